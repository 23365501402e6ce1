"""Engine and schema setup for the state database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine, create_engine

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["metadata", "open_engine", "open_state", "state_url"]

#: One MetaData for every table; modules declare their tables on it.
metadata = MetaData()


def state_url(state_dir: Path, configured: str | None = None) -> str:
    """The database URL: env ``TRUSTPUBLISH_STATE_URL``, then config, then SQLite in ``state_dir``."""
    url = os.environ.get("TRUSTPUBLISH_STATE_URL") or configured
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

        for name in ("ledger", "subscribers", "bounces", "signups", "runs"):
            try:
                import_module(f"{__package__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__package__}.{name}":
                    raise
        _create_tables(engine)
    return engine


#: columns added after the first release: (table, column, SQL type), added when missing
_ADDED_COLUMNS = (("tp_deliveries", "claimed_by", "VARCHAR(80)"),)
_SCHEMA_LOCK = 0x7470_0001  # PostgreSQL advisory lock key while creating tables


def _create_tables(engine: Engine) -> None:
    """Create missing tables and columns; safe when several processes start at once
    (PostgreSQL: under an advisory lock; SQLite: one writer at a time, retried)."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
                metadata.create_all(conn)
                inspector = inspect(conn)
                for table, column, sql_type in _ADDED_COLUMNS:
                    have = {c["name"] for c in inspector.get_columns(table)}
                    if column not in have:
                        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))
            return
        except (OperationalError, ProgrammingError):
            if attempt == 4:  # a SQLite race with another process creating the same table
                raise
            import time

            time.sleep(0.05 * (attempt + 1))


def open_state(project: "Project") -> Engine:
    """The state database of ``project`` (``state.url``, env, or SQLite in state/)."""
    configured = (project.config.raw.get("state") or {}).get("url")
    return open_engine(state_url(project.state_dir, configured))
