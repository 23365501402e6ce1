"""Engine and schema setup for the state database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event

from ..env import checked_value
from sqlalchemy.engine import Engine, create_engine

__all__ = ["metadata", "open_engine", "state_url"]

#: One MetaData for every table; modules declare their tables on it.
metadata = MetaData()


def state_url(state_dir: Path, configured: str | None = None) -> str:
    """The database URL: env ``TRUSTPUBLISH_STATE_URL``, then config, then SQLite in ``state_dir``."""
    url = checked_value("TRUSTPUBLISH_STATE_URL") or configured
    if url:
        return url
    return f"sqlite:///{(state_dir / 'trustpublish.db').resolve()}"


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
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
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
