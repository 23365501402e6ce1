"""Skip an output whose inputs did not change since it was written.

A builder computes an *input key* (a hash of everything its bytes depend on: the
time it is built for, schedule.yaml, the templates, the posts it shows, the code)
and asks :func:`unchanged`; when the key and the files it wrote last time are the
same (size and modification time), it returns those files and the builder renders
nothing. Keys live in the content cache (:mod:`trustpublish.workspace.index`), so a
deleted or edited output, or a lost cache, only means the output is built again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..content.model import Post
    from ..workspace.project import Project

__all__ = ["code_version", "input_key", "unchanged", "record", "ledger_stamp", "file_stamp"]


@lru_cache(maxsize=1)
def code_version() -> str:
    """Key (:func:`~trustpublish.files.code_key`) of the package version, the rendering
    code and the built-in templates."""
    from .. import __version__

    from ..files import code_key

    package = Path(__file__).resolve().parent.parent
    return code_key([*(package / "render").rglob("*.py"), *(package / "templates").rglob("*"),
                     *(package / "channels").glob("*.py")], seed=__version__)


def file_stamp(path: Path) -> list[int]:
    """[size, mtime in ns] of ``path``; [0, 0] when it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return [0, 0]
    return [stat.st_size, stat.st_mtime_ns]


def local_database(project: "Project") -> Path | None:
    """The local SQLite state file (which may not exist yet), or None for a server
    database (``state.url`` or ``TRUSTPUBLISH_STATE_URL``)."""
    import os

    configured = (project.config.raw.get("state") or {}).get("url")
    if os.environ.get("TRUSTPUBLISH_STATE_URL") or configured:
        return None  # the same rule as trustpublish.deliver.db.state_url
    return project.state_dir / "trustpublish.db"


def ledger_stamp(project: "Project") -> list[int] | None:
    """What tells whether the state database changed, without opening it: the local
    SQLite file's size and modification time and its write-ahead log's size (a read
    leaves them as they are; a write changes one). None for a server database: it
    cannot be known without a query.
    """
    db = local_database(project)
    if db is None:
        return None
    return [*file_stamp(db), file_stamp(db.with_name(db.name + "-wal"))[0]]


def _stamps(folder: Path) -> list[list[Any]]:
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            out.append([str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns])
    return out


def input_key(project: "Project", name: str, now: dt.datetime, posts: Iterable["Post"],
              *parts: Any) -> str:
    """The input key of output ``name`` built at ``now`` from ``posts`` and ``parts``
    (JSON-able values; datetimes by their ISO text)."""
    data = [name, code_version(), now.isoformat(), project.config.raw,
            _stamps(project.templates_dir), _stamps(project.state_dir / "channels"),
            sorted({(p.slug, project.index.entry(p).get("sha", "")) for p in posts}), parts]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False,
                      default=lambda v: v.isoformat() if hasattr(v, "isoformat") else repr(v))
    return hashlib.sha256(text.encode()).hexdigest()


def unchanged(project: "Project", name: str, key: str) -> list[Path] | None:
    """The files output ``name`` wrote from ``key``, if all are still as written."""
    index = project.index
    index.use_output(name)
    stored = index.outputs.get(name)
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    files = []
    for path, size, mtime in stored.get("files", []):
        try:
            stat = Path(path).stat()
        except OSError:
            return None
        if [stat.st_size, stat.st_mtime_ns] != [size, mtime]:
            return None
        files.append(Path(path))
    return files


def record(project: "Project", name: str, key: str, files: Iterable[Path]) -> None:
    """Remember that output ``name`` wrote ``files`` from ``key``."""
    stamps = []
    for path in files:
        stat = path.stat()
        stamps.append([str(path), stat.st_size, stat.st_mtime_ns])
    project.index.set_output(name, {"key": key, "files": stamps})
