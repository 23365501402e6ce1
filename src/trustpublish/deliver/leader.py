"""One scheduler leader per state database (``docs/delivery.md``, "Several processes").

Contract of :class:`SchedulerLease`: ``acquire()`` returns True in at most one
``trustpublish run`` process per state database at a time, and keeps returning True
for it until ``release()`` or the process ends.

* **PostgreSQL:** a session advisory lock (``pg_try_advisory_lock``) held on a
  connection of its own. When the leader dies its connection closes and the server
  frees the lock at once; a follower takes over at its next try (every
  :data:`FOLLOW_EVERY` seconds). When the leader's machine vanishes without closing
  the connection, the session's TCP keepalives (10 s idle, 5 s × 3 probes) end it
  within about 25 s, so the takeover takes at most about 30 s.
* **SQLite:** an exclusive ``flock`` on ``<database>.run.lock`` next to the database
  file, freed by the kernel when the process ends. SQLite is for one machine: a
  second ``run`` is told that another is running and exits 0.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["SchedulerLease", "FOLLOW_EVERY"]

#: seconds between a follower's attempts to become the leader (and its delivery rounds)
FOLLOW_EVERY = 5.0
_LEADER_KEY = 0x7470_0002


class SchedulerLease:
    """The scheduler leadership of one state database (see the module docstring)."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self.shared = db.dialect.name == "postgresql"
        self._conn: Any = None
        self._file: Any = None

    def describe_holder(self) -> str:
        """Who holds the lease, in words (best effort, for the message to the user)."""
        if self._path() is not None:
            try:
                pid = self._path().read_text(encoding="ascii").strip()  # type: ignore[union-attr]
            except OSError:
                pid = ""
            return f"process {pid}" if pid else "another process"
        return "another process"

    def _path(self) -> Path | None:
        url = self.db.url
        if url.get_backend_name() == "sqlite" and url.database:
            return Path(url.database).with_name(Path(url.database).name + ".run.lock")
        return None

    def acquire(self) -> bool:
        if self._conn is not None or self._file is not None:
            return True
        if self.shared:
            conn = self.db.connect()
            for setting in ("tcp_keepalives_idle = 10", "tcp_keepalives_interval = 5",
                            "tcp_keepalives_count = 3"):
                conn.execute(text(f"SET {setting}"))
            won = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": _LEADER_KEY}).scalar())
            conn.commit()
            if won:
                self._conn = conn
            else:
                conn.close()
            return won
        path = self._path()
        if path is None:  # an in-memory database: nobody else can share it
            self._file = True
            return True
        import fcntl

        handle = open(path, "a+", encoding="ascii")  # noqa: SIM115 - held while leading
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LEADER_KEY})
                self._conn.commit()
            except Exception:  # the connection is gone: so is the lock
                pass
            self._conn.close()
            self._conn = None
        if self._file is not None and self._file is not True:
            self._file.close()  # closing the descriptor frees the flock
        self._file = None
