"""The guard's package stays pure: it imports only the model, text rules, errors and
third-party libraries, never configuration, the project or anything with I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import trustpublish.content.privacy as guard

ALLOWED_INTERNAL = {"trustpublish.content.model", "trustpublish.content.text", "trustpublish.errors"}
STDLIB_IO = {"os", "io", "pathlib", "subprocess", "socket", "shutil", "sqlite3", "requests"}


def _imports(path: Path) -> set[str]:
    package = "trustpublish.content.privacy"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            else:
                found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_guard_imports_nothing_it_must_not():
    folder = Path(guard.__file__).parent
    for path in folder.glob("*.py"):
        for name in _imports(path):
            if name.startswith("trustpublish.content.privacy"):
                continue
            if name.startswith("trustpublish"):
                assert name in ALLOWED_INTERNAL, f"{path.name} imports {name}"
            assert name.split(".")[0] not in STDLIB_IO, f"{path.name} imports {name} (I/O)"
