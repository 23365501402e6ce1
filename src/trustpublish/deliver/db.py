"""Engine and schema setup for the state database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine, create_engine

from ..env import checked_value
from ..files import PRIVATE_FILE, ensure_dir

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["metadata", "open_engine", "open_state", "state_url", "check_state_url",
           "DRIVER_HINTS"]

#: what to install for a database type whose driver is missing
DRIVER_HINTS = {"postgresql": "pip install 'psycopg[binary]'", "mysql": "pip install pymysql",
                "mariadb": "pip install pymysql"}

#: One MetaData for every table; modules declare their tables on it.
metadata = MetaData()


def state_url(state_dir: Path, configured: str | None = None) -> str:
    """The database URL: env ``TRUSTPUBLISH_STATE_URL``, then config, then SQLite in ``state_dir``."""
    from_env = checked_value("TRUSTPUBLISH_STATE_URL")
    if from_env:
        check_state_url(from_env, key_path="TRUSTPUBLISH_STATE_URL")
        return from_env
    if configured is not None:
        check_state_url(configured, key_path="state.url")
        return str(configured)
    return f"sqlite:///{(state_dir / 'trustpublish.db').resolve()}"


def check_state_url(url: object, *, key_path: str = "state.url", file: Path | None = None,
                    line: int | None = None) -> None:
    """Raise ConfigError unless ``url`` is a SQLAlchemy URL whose driver is installed.

    Messages name the database type, never the URL (it may hold a password).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from ..errors import ConfigError

    def fail(message: str, hint: str) -> ConfigError:
        return ConfigError(message, file=file, key_path=key_path, line=line, hint=hint)

    example = "sqlite:///state/trustpublish.db or postgresql+psycopg://user@host/db"
    if not isinstance(url, str) or not url.strip():
        raise fail("must be a database URL", f"write it like {example}")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise fail("is not a database URL (the value is not shown)",
                   f"write it like {example}") from None
    kind = parsed.get_backend_name()
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise fail(f"unknown database type {parsed.drivername!r}",
                   "use sqlite or postgresql+psycopg") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise fail(f"the driver for {parsed.drivername!r} is not installed "
                   f"(module {exc.name or 'unknown'} is missing)",
                   DRIVER_HINTS.get(kind, "install the database driver package")) from None


def _private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 in a 0700 folder before SQLite opens it.

    SQLite creates its ``-wal`` and ``-shm`` files with the database file's mode, so
    they are private too. An existing file with a wider mode is corrected with chmod only:
    opening and closing an SQLite file outside SQLite would drop this process's POSIX
    locks on it, and another process could then checkpoint away a live WAL.
    """
    if str(path) in ("", ":memory:"):
        return
    ensure_dir(path.parent, private=True, fix_existing=path.parent.name == "state")
    if not path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        except FileExistsError:
            pass  # made meanwhile by another process: only its mode is checked below
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
