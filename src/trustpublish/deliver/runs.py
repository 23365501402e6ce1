"""Who is running: each delivering process registers a run with a heartbeat (a lease).

Contract (``docs/delivery.md``, "Claims and recovery"): a run that claims deliveries
first registers itself in ``tp_runs`` (id, host, pid, heartbeat) and refreshes the
heartbeat every :data:`HEARTBEAT` seconds from a background thread; it removes its row
when it ends. A run is **dead** when its row is gone, when its heartbeat is older than
:data:`LEASE` seconds, or (same host) when its process no longer exists. Recovery
touches only rows whose claimer is dead, so a live run's ``sending`` rows are never
taken from it. The heartbeat uses the real clock (not ``--now``); hosts that share a
PostgreSQL database need their clocks in sync (NTP) within a few seconds.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Float, Integer, String, Table, delete, insert, select, update
from sqlalchemy.engine import Engine

from .db import metadata

__all__ = ["Run", "dead_owners", "describe_owner", "LEASE", "HEARTBEAT"]

#: seconds without a heartbeat after which a run on another host counts as dead
LEASE = 60.0
#: seconds between heartbeats
HEARTBEAT = 10.0

runs = Table(
    "tp_runs", metadata,
    Column("id", String(80), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
)

_HOST = socket.gethostname()


class Run:
    """This process's run: ``with Run(db) as run:`` registers it and keeps it alive."""

    def __init__(self, db: Engine) -> None:
        from .db import open_engine

        self.db = db
        # the heartbeat thread has an engine of its own: a fan-out forks worker processes
        # while it runs, and a child must never inherit a pool lock the thread was holding
        self._beat_db = open_engine(db.url.render_as_string(hide_password=False), create=False)
        self.id = f"{_HOST[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __enter__(self) -> "Run":
        stamp = time.time()
        with self.db.begin() as conn:
            conn.execute(insert(runs).values(id=self.id, host=_HOST, pid=os.getpid(),
                                             started_at=stamp, heartbeat_at=stamp))
        self._beat = threading.Thread(target=self._heartbeat, name="run-heartbeat", daemon=True)
        self._beat.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(5)
        self._beat_db.dispose()
        try:
            with self.db.begin() as conn:
                conn.execute(delete(runs).where(runs.c.id == self.id))
        except Exception:  # the database went away: the lease expires by itself
            pass

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                with self._beat_db.begin() as conn:
                    conn.execute(update(runs).where(runs.c.id == self.id)
                                 .values(heartbeat_at=time.time()))
            except Exception:  # a busy or lost database: try again at the next beat
                continue


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child not yet reaped by its parent is a zombie: gone as well
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _alive(row: Any, now: float) -> bool:
    if now - row.heartbeat_at > LEASE:
        return False
    return not (row.host == _HOST and _process_gone(int(row.pid)))


def dead_owners(db: Engine, owners: Iterable[str | None]) -> set[str | None]:
    """Those of ``owners`` that are dead (see the module docstring); None is always dead
    (a claim made before claims carried their owner)."""
    wanted = {o for o in owners if o}
    with db.connect() as conn:
        found = {r.id: r for r in conn.execute(select(runs).where(runs.c.id.in_(wanted)))} \
            if wanted else {}
    now = time.time()
    dead: set[str | None] = {o for o in wanted if o not in found or not _alive(found[o], now)}
    if any(not o for o in owners):
        dead.add(None)
    return dead


def describe_owner(db: Engine, owner: str | None) -> str | None:
    """"process 123 on host h, last heard 4 s ago" for a live claimer; None when dead."""
    if not owner or owner in dead_owners(db, [owner]):
        return None
    with db.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == owner)).first()
    if row is None:
        return None
    return (f"process {row.pid} on {row.host}, last heard "
            f"{max(0.0, time.time() - row.heartbeat_at):.0f} s ago")
