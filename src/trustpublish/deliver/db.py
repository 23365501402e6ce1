"""Engine and schema setup for the state database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine, create_engine

from ..env import checked_value
from ..files import PRIVATE_FILE, ensure_dir

__all__ = ["metadata", "open_engine", "state_url"]

#: One MetaData for every table; modules declare their tables on it.
metadata = MetaData()


def state_url(state_dir: Path, configured: str | None = None) -> str:
    """The database URL: env ``TRUSTPUBLISH_STATE_URL``, then config, then SQLite in ``state_dir``."""
    url = checked_value("TRUSTPUBLISH_STATE_URL") or configured
    if url:
        return url
    return f"sqlite:///{(state_dir / 'trustpublish.db').resolve()}"


def _private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 in a 0700 folder before SQLite opens it.

    SQLite creates its ``-wal`` and ``-shm`` files with the database file's mode, so
    they are private too. An existing file with a wider mode is corrected.
    """
    if str(path) in ("", ":memory:"):
        return
    ensure_dir(path.parent, private=True, fix_existing=path.parent.name == "state")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    os.close(fd)
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            if file.stat().st_mode & 0o777 != PRIVATE_FILE:
                os.chmod(file, PRIVATE_FILE)
        except FileNotFoundError:
            pass


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=FULL")  # a committed ledger row survives power loss
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An Engine for ``url`` with every table created (SQLite folders made as needed)."""
    if url.startswith("sqlite:///"):
        _private_sqlite_file(Path(url.removeprefix("sqlite:///").split("?", 1)[0]))
        engine = create_engine(url, future=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    if create:
        # Import the modules that declare tables so metadata knows them all.
        from importlib import import_module

        for name in ("ledger", "subscribers"):
            try:
                import_module(f"{__package__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__package__}.{name}":
                    raise
        metadata.create_all(engine)
    return engine
