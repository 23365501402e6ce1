"""Behaviour is chosen by the channel class, never by comparing ``type:`` names.

Walks the syntax tree of every module and lists each comparison that involves a
channel's ``type`` (``cfg.get("type")``, ``cfg["type"]``, ``x.type``) or a literal
channel type name. Only the registry may resolve type names (docs/channels.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

from trustpublish.channels.registry import known_types

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "trustpublish"
ALLOWED = {"channels/registry.py"}



def _is_type_lookup(node: ast.AST) -> bool:
    """``cfg.get("type")`` or ``cfg["type"]``: a channel's configured type name."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "get" and node.args \
            and isinstance(node.args[0], ast.Constant) and node.args[0].value == "type":
        return True
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
        and node.slice.value == "type"


def _names_a_type(node: ast.AST) -> bool:
    """An expression that holds a type name: ``kind``, ``type_name``, ``options.get(...)``..."""
    for sub in ast.walk(node):
        name = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(
            sub, ast.Attribute) else ""
        if "type" in name.lower() or "kind" in name.lower():
            return True
    return False


def _type_comparisons(source: str, types: set[str]) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        literal = [o for o in operands if isinstance(o, ast.Constant) and o.value in types
                   or isinstance(o, (ast.Tuple, ast.List, ast.Set)) and any(
                       isinstance(e, ast.Constant) and e.value in types for e in o.elts)]
        others = [o for o in operands if o not in literal]
        attribute = any(isinstance(o, ast.Attribute) and o.attr == "type" for o in others)
        if (literal and (attribute or any(_names_a_type(o) for o in others))) \
                or any(_is_type_lookup(o) for o in operands):
            lines.append(node.lineno)
    return lines


def test_the_walk_finds_a_type_comparison():
    types = set(known_types())
    assert _type_comparisons('if cfg.get("type") == "email": pass', types) == [1]
    assert _type_comparisons('x = kind in ("mastodon", "bluesky")', types) == [1]
    assert _type_comparisons('safe = kind == "email" or cls.idempotent', types) == [1]
    assert _type_comparisons('ok = channel.type != "email"', types) == [1]
    assert _type_comparisons('ok = tok.type != "list_item_open"', types) == []  # not a channel
    assert _type_comparisons('if kind == "digest": pass', types) == []
    assert _type_comparisons('if "email" not in fields: pass', types) == []  # a CSV column


def test_no_module_outside_the_registry_compares_channel_type_names():
    types = set(known_types()) - {"feed"}  # "feed" is also a kind: checked through .type below
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in ALLOWED or rel.startswith("content/"):
            continue  # content/ cannot know channels (floors); its "email" is a finding kind
        for line in _type_comparisons(path.read_text(encoding="utf-8"), types):
            found.append(f"{rel}:{line}")
    assert found == []


def test_each_shipped_type_names_its_adapter_and_kind() -> None:
    """The registry's table (read without importing adapters) lists every adapter class
    in the package, each under its own type and kind."""
    import importlib
    import inspect
    import pkgutil

    import trustpublish.channels as package
    from trustpublish.channels.base import KINDS, Channel
    from trustpublish.channels.registry import OUTBOX, SHIPPED, channel_class

    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Channel) and cls.type and cls.__module__ == module.__name__:
                found[cls.type] = f"{cls.__module__}:{cls.__name__}"
    assert found.pop(OUTBOX) == "trustpublish.channels.outbox:OutboxChannel"
    assert found == {type_name: target for type_name, (target, _) in SHIPPED.items()}
    for type_name, (_, kind) in SHIPPED.items():
        cls = channel_class(type_name)
        assert cls.type == type_name and cls.kind == kind and kind in KINDS
