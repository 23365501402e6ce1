"""The delivery ledger (``docs/delivery.md``): what went where and when, recorded before it is attempted.

Two tables on the shared metadata:

* ``tp_slots`` — one row per (channel, slot instant) the engine has handled: the item
  it took (an excerpt id, or a digest issue id plus its excerpt ids) and whether the
  slot was ``assigned``, ``missed`` (beyond the grace window) or ``skipped``.
  A slot is recorded once (unique key), so a restart re-uses the same assignment.
* ``tp_deliveries`` — one row per delivery (for email: per recipient) with a
  deterministic ``key`` (the idempotency key) and a state:
  ``planned → sending → sent | failed | unknown``, or ``skipped``; a thread that
  broke partway is ``partial`` (its live parts kept in ``remote``) until a later run
  resumes it.

A row is committed as ``sending`` before the attempt and settled after, so a crash
leaves evidence. Claims are atomic and carry their owner (``claimed_by``, the run id of
:mod:`trustpublish.deliver.runs`): a row moves ``planned → sending`` in one conditional
UPDATE only one process can win (batches: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and
a settle is a compare-and-set on ``sending`` *and* the owner. Slots and deliveries are
inserted with insert-or-ignore on their unique keys, so two runs that record the same
slot at the same moment both succeed and make one set of rows. Timestamps are UTC ISO 8601 strings (sortable, exact in SQLite and
PostgreSQL alike). ``tp_meta`` holds small engine values (the "looked until" horizon).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine

from ..errors import StateError
from ..redact import redact
from .db import metadata

_CHUNK = 1000

__all__ = ["Ledger", "Settler", "SlotRecord", "DeliveryRecord", "STATES", "iso", "from_iso"]

STATES = ("planned", "sending", "sent", "partial", "failed", "unknown", "missed", "skipped")

slots = Table(
    "tp_slots", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(100), nullable=False),
    Column("when_utc", String(40), nullable=False),
    Column("entry", String(200), nullable=False, default=""),
    Column("item", String(400), nullable=False, default=""),
    Column("excerpts", Text, nullable=False, default="[]"),
    Column("issue_number", Integer),
    Column("state", String(20), nullable=False),
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("channel", "when_utc", name="uq_tp_slots_channel_when"),
)

deliveries = Table(
    "tp_deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(600), nullable=False, unique=True),
    Column("slot_id", Integer, ForeignKey("tp_slots.id"), nullable=False),
    Column("channel", String(100), nullable=False, index=True),
    Column("item", String(400), nullable=False),
    Column("recipient", String(320)),
    Column("state", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", String(40)),
    Column("remote", Text),
    Column("error", Text),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("claimed_by", String(80)),  # the run that holds a ``sending`` row
)

meta = Table(
    "tp_meta", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)


def iso(value: dt.datetime) -> str:
    """UTC ISO 8601 with offset, second precision (``2026-03-08T08:00:00+00:00``)."""
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def from_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@dataclass(frozen=True)
class SlotRecord:
    id: int
    channel: str
    when: dt.datetime
    entry: str
    item: str
    excerpts: tuple[str, ...]
    issue_number: int | None
    state: str


@dataclass(frozen=True)
class DeliveryRecord:
    id: int
    key: str
    slot_id: int
    channel: str
    item: str
    recipient: str | None
    state: str
    attempts: int
    next_attempt_at: dt.datetime | None
    remote: str | None
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    when: dt.datetime | None = None
    claimed_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "channel": self.channel, "item": self.item,
                "recipient": self.recipient, "state": self.state, "attempts": self.attempts,
                "remote": self.remote, "error": self.error,
                "when": iso(self.when) if self.when else None, "updated_at": iso(self.updated_at)}


def _slot(row: Any) -> SlotRecord:
    return SlotRecord(row.id, row.channel, from_iso(row.when_utc), row.entry, row.item,
                      tuple(json.loads(row.excerpts)), row.issue_number, row.state)


def _delivery(row: Any, when: str | None = None) -> DeliveryRecord:
    return DeliveryRecord(row.id, row.key, row.slot_id, row.channel, row.item, row.recipient,
                          row.state, row.attempts,
                          from_iso(row.next_attempt_at) if row.next_attempt_at else None,
                          row.remote, redact(row.error) if row.error else row.error,
                          from_iso(row.created_at), from_iso(row.updated_at),
                          from_iso(when) if when else None, row.claimed_by)


class Ledger:
    """All ledger reads and writes; each write method commits before it returns."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite lets one writer in at a time and makes the others poll with sleeps of
        # 1 ms and more; settlers of one process take turns on this lock instead.
        self._sqlite_writes = threading.Lock()

    # -- slots ---------------------------------------------------------------------
    def slots(self, channel: str | None = None) -> list[SlotRecord]:
        query = select(slots).order_by(slots.c.when_utc, slots.c.channel)
        if channel:
            query = query.where(slots.c.channel == channel)
        with self.engine.connect() as conn:
            return [_slot(r) for r in conn.execute(query)]

    def record_slot(self, *, channel: str, when: dt.datetime, entry: str, item: str,
                    excerpts: Sequence[str], issue_number: int | None, state: str,
                    now: dt.datetime, recipients: Iterable[str | None] = (),
                    delivery_state: str = "planned") -> int:
        """Record a handled slot and its deliveries (``planned``) in one transaction.

        A missed or skipped slot gets one delivery row in that state, so history shows it.
        Idempotent: when another process recorded the same (channel, instant) first, its
        slot id is returned and nothing is added.
        """
        stamp = iso(now)
        with self.engine.begin() as conn:
            new_id = conn.execute(_insert_ignore(conn, slots, ["channel", "when_utc"]).values(
                channel=channel, when_utc=iso(when), entry=entry, item=item,
                excerpts=json.dumps(list(excerpts)), issue_number=issue_number, state=state,
                created_at=stamp).returning(slots.c.id)).scalar()
            if new_id is None:  # recorded by another run meanwhile: theirs stands
                return int(conn.execute(select(slots.c.id).where(
                    slots.c.channel == channel, slots.c.when_utc == iso(when))).scalar_one())
            slot_id = new_id
            add_rows = _insert_ignore(conn, deliveries, ["key"])
            key_item = item or f"slot@{iso(when)}"
            rows: list[dict[str, Any]] = []
            for r in recipients:  # streamed: a big list is inserted in chunks, one transaction
                rows.append({"key": delivery_key(channel, key_item, r), "slot_id": slot_id,
                             "channel": channel, "item": item, "recipient": r,
                             "state": delivery_state, "attempts": 0,
                             "created_at": stamp, "updated_at": stamp})
                if len(rows) >= _CHUNK:
                    conn.execute(add_rows, rows)
                    rows = []
            if rows:
                conn.execute(add_rows, rows)
        return int(slot_id)

    def pending_slots(self, now: dt.datetime) -> list[int]:
        """Ids of slots with ``planned`` deliveries due by ``now``, in slot order."""
        query = (select(slots.c.id).join(deliveries, deliveries.c.slot_id == slots.c.id)
                 .where(deliveries.c.state == "planned", _due(now))
                 .group_by(slots.c.id, slots.c.when_utc, slots.c.channel)
                 .order_by(slots.c.when_utc, slots.c.channel))
        with self.engine.connect() as conn:
            return [int(r[0]) for r in conn.execute(query)]

    def slot(self, slot_id: int) -> SlotRecord:
        with self.engine.connect() as conn:
            return _slot(conn.execute(select(slots).where(slots.c.id == slot_id)).one())

    def count_planned(self, slot_id: int, now: dt.datetime) -> int:
        query = (select(func.count()).select_from(deliveries)
                 .where(deliveries.c.slot_id == slot_id, deliveries.c.state == "planned", _due(now)))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def iter_planned(self, slot_id: int, now: dt.datetime, *,
                     batch: int = 500) -> Iterator[list[DeliveryRecord]]:
        """Batches of the slot's due ``planned`` rows in id order (keyset pagination)."""
        last = 0
        while True:
            query = (self._select().where(deliveries.c.slot_id == slot_id,
                                          deliveries.c.state == "planned", _due(now),
                                          deliveries.c.id > last)
                     .order_by(deliveries.c.id).limit(batch))
            with self.engine.connect() as conn:
                rows = [_delivery(r, r.when_utc) for r in conn.execute(query)]
            if not rows:
                return
            yield rows
            last = rows[-1].id

    def claim(self, ids: Sequence[int], now: dt.datetime, owner: str | None = None) -> set[int]:
        """Move these ``planned`` rows to ``sending`` (one more attempt each) in one commit.

        A compare-and-set: returns the ids this call claimed (rows another worker took,
        or that changed state meanwhile, are left out).
        """
        if not ids:
            return set()
        query = (update(deliveries)
                 .where(deliveries.c.id.in_(list(ids)), deliveries.c.state == "planned")
                 .values(state="sending", updated_at=iso(now), next_attempt_at=None,
                         attempts=deliveries.c.attempts + 1, claimed_by=owner)
                 .returning(deliveries.c.id))
        with self.engine.begin() as conn:
            return {int(r[0]) for r in conn.execute(query)}

    def claim_batch(self, slot_id: int, now: dt.datetime, owner: str, *,
                    limit: int = 500) -> list[DeliveryRecord]:
        """Claim up to ``limit`` of the slot's due ``planned`` rows for ``owner``, lowest
        ids first, in one statement (rows locked by another claimer are skipped on
        PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite runs one writer at a time).

        Returns the claimed rows as they are after the claim (``attempts`` counts it)."""
        # a CTE, evaluated once: PostgreSQL may re-run an IN (… LIMIT … SKIP LOCKED)
        # subquery and then claims far more than ``limit`` rows
        pick = (select(deliveries.c.id)
                .where(deliveries.c.slot_id == slot_id, deliveries.c.state == "planned",
                       _due(now))
                .order_by(deliveries.c.id).limit(limit)
                .with_for_update(skip_locked=True)).cte("picked")
        query = (update(deliveries)
                 .where(deliveries.c.id.in_(select(pick.c.id)),
                        deliveries.c.state == "planned")
                 .values(state="sending", updated_at=iso(now), next_attempt_at=None,
                         attempts=deliveries.c.attempts + 1, claimed_by=owner)
                 .returning(*deliveries.c))
        with self.engine.begin() as conn:
            rows = [_delivery(r) for r in conn.execute(query)]
        return sorted(rows, key=lambda r: r.id)

    def release(self, ids: Iterable[int], now: dt.datetime, owner: str | None = None, *,
                state: str = "planned", error: str | None = None,
                next_attempt_at: dt.datetime | None = None) -> int:
        """Claimed rows that were never attempted go back to ``planned`` (uncounted), or to
        ``state`` (``skipped`` for a recipient who left). Only rows still ``sending`` for
        ``owner`` change; returns how many did."""
        wanted = list(ids)
        changed = 0
        values: dict[str, Any] = {"state": state, "updated_at": iso(now),
                                  "attempts": deliveries.c.attempts - 1, "claimed_by": None,
                                  "next_attempt_at": iso(next_attempt_at) if next_attempt_at
                                  else None}
        if error is not None:
            values["error"] = error
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start:start + _CHUNK]
            query = (update(deliveries)
                     .where(deliveries.c.id.in_(part), deliveries.c.state == "sending")
                     .values(**values))
            if owner is not None:
                query = query.where(deliveries.c.claimed_by == owner)
            with self.engine.begin() as conn:
                changed += conn.execute(query).rowcount
        return changed

    def hold_planned(self, slot_id: int | None, channel: str, now: dt.datetime, *,
                     until: dt.datetime, error: str) -> int:
        """Give the due ``planned`` rows of a channel (or of one of its slots) a next attempt
        time and the reason they wait; returns how many (the circuit breaker's hold)."""
        query = (update(deliveries)
                 .where(deliveries.c.channel == channel, deliveries.c.state == "planned",
                        _due(now))
                 .values(next_attempt_at=iso(until), error=error, updated_at=iso(now)))
        if slot_id is not None:
            query = query.where(deliveries.c.slot_id == slot_id)
        with self.engine.begin() as conn:
            return int(conn.execute(query).rowcount)

    @contextmanager
    def settler(self, lock: Any = None, owner: str | None = None) -> Iterator["Settler"]:
        """A connection kept open for many small commits (one per settled delivery).

        ``lock`` (for SQLite): a lock the settlers of several processes share, so they
        take turns instead of polling SQLite's busy handler; default one per ledger."""
        with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if conn.dialect.name == "postgresql":
                # the same trade as SQLite's NORMAL below: a commit survives this process
                # being killed (the server has it); only a crash of the database server
                # itself can roll back the last few settles to ``sending`` (sent again)
                conn.exec_driver_sql("SET synchronous_commit TO off")
                conn.commit()
            if sqlite:
                # WAL + NORMAL: each commit survives the process being killed (what the
                # exactly-once guarantee is about) without an fsync per message; on power
                # loss the last settled rows may roll back to ``sending`` and be resent.
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                conn.commit()
            try:
                yield Settler(conn, (lock or self._sqlite_writes) if sqlite else None, owner)
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA synchronous=FULL")
                    conn.commit()
                elif conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET synchronous_commit TO DEFAULT")
                    conn.commit()

    # -- deliveries ----------------------------------------------------------------
    def _select(self) -> Any:
        return (select(deliveries, slots.c.when_utc)
                .join(slots, slots.c.id == deliveries.c.slot_id))

    def deliveries(self, *, states: Sequence[str] | None = None, channel: str | None = None,
                   limit: int | None = None, newest_first: bool = False) -> list[DeliveryRecord]:
        query = self._select()
        if states:
            query = query.where(deliveries.c.state.in_(list(states)))
        if channel:
            query = query.where(deliveries.c.channel == channel)
        order = (slots.c.when_utc.desc(), deliveries.c.id.desc()) if newest_first else \
            (slots.c.when_utc, deliveries.c.id)
        query = query.order_by(*order)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_delivery(r, r.when_utc) for r in conn.execute(query)]

    def by_key(self, key: str) -> DeliveryRecord | None:
        """The delivery with this deterministic key, if one was ever recorded."""
        with self.engine.connect() as conn:
            row = conn.execute(self._select().where(deliveries.c.key == key)).first()
        return None if row is None else _delivery(row, row.when_utc)

    def get(self, delivery_id: int) -> DeliveryRecord:
        with self.engine.connect() as conn:
            row = conn.execute(self._select().where(deliveries.c.id == delivery_id)).first()
        if row is None:
            raise StateError(f"no delivery with id {delivery_id}",
                             hint="`trustpublish history` lists deliveries with their ids")
        return _delivery(row, row.when_utc)

    def slot_states(self) -> dict[tuple[str, dt.datetime], set[str]]:
        """(channel, slot instant) → the states of its deliveries (one grouped query)."""
        query = (select(slots.c.channel, slots.c.when_utc, deliveries.c.state)
                 .join(slots, slots.c.id == deliveries.c.slot_id)
                 .group_by(slots.c.channel, slots.c.when_utc, deliveries.c.state))
        result: dict[tuple[str, dt.datetime], set[str]] = {}
        with self.engine.connect() as conn:
            for channel, when, state in conn.execute(query):
                result.setdefault((channel, from_iso(when)), set()).add(state)
        return result

    def counts(self) -> dict[str, int]:
        """State → number of deliveries."""
        query = select(deliveries.c.state, func.count()).group_by(deliveries.c.state)
        with self.engine.connect() as conn:
            return {state: n for state, n in conn.execute(query)}

    def set_state(self, delivery_id: int, state: str, *, now: dt.datetime,
                  remote: str | None = None, error: str | None = None,
                  next_attempt_at: dt.datetime | None = None, attempt: bool = False,
                  only_from: Sequence[str] | None = None, owner: str | None = None) -> bool:
        """Move a delivery to ``state`` (committed). ``attempt`` counts one more try.

        With ``only_from`` the change happens only when the row is in one of those
        states (a compare-and-set, so two workers never claim the same row). With
        ``owner``, a move to ``sending`` records it as the claimer, and any other move
        happens only while the row is still claimed by ``owner``.
        """
        if state not in STATES:
            raise ValueError(state)
        values: dict[str, Any] = {"state": state, "updated_at": iso(now),
                                  "next_attempt_at": iso(next_attempt_at) if next_attempt_at else None}
        if remote is not None:
            values["remote"] = redact(remote)
        if error is not None or state in ("sent", "planned"):
            values["error"] = redact(error) if error else error
        if attempt:
            values["attempts"] = deliveries.c.attempts + 1
        values["claimed_by"] = owner if state == "sending" else None
        query = update(deliveries).where(deliveries.c.id == delivery_id).values(**values)
        if owner is not None and state != "sending":
            query = query.where(deliveries.c.claimed_by == owner)
        if only_from:
            query = query.where(deliveries.c.state.in_(list(only_from)))
        with self.engine.begin() as conn:
            return conn.execute(query).rowcount == 1

    # -- meta ----------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            if conn.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
                conn.execute(_insert_ignore(conn, meta, ["key"]).values(key=key, value=value))


class Settler:
    """Settles deliveries on one open connection, committing each change before returning.

    The UPDATE is built once with bound parameters: a fan-out settles thousands of rows.
    """

    _query = (update(deliveries).where(deliveries.c.id == bindparam("_id"),
                                       deliveries.c.state == bindparam("_from"),
                                       deliveries.c.claimed_by == bindparam("_owner"))
              .values(claimed_by=bindparam("_nobody"), state=bindparam("_state"), updated_at=bindparam("_at"),
                      error=bindparam("_error"), next_attempt_at=bindparam("_next"),
                      remote=func.coalesce(bindparam("_remote"), deliveries.c.remote)))

    def __init__(self, conn: Any, lock: Any = None, owner: str | None = None) -> None:
        self.lock, self.owner = lock, owner
        # The statement is compiled once and run on the driver connection directly:
        # SQLAlchemy's per-call overhead would cost more than the commit itself.
        compiled = self._query.compile(dialect=conn.dialect)
        self.sql = compiled.string
        self.order = list(compiled.positiontup or []) if conn.dialect.positional else None
        self.raw = conn.connection.dbapi_connection
        self.cursor = self.raw.cursor()

    def set_state(self, delivery_id: int, state: str, *, now: dt.datetime,
                  remote: str | None = None, error: str | None = None,
                  next_attempt_at: dt.datetime | None = None) -> bool:
        """Settle a row this settler's owner claimed (compare-and-set); False when the row
        is no longer ours (nothing changes then)."""
        if state not in STATES:
            raise ValueError(state)
        params: dict[str, Any] = {"_id": delivery_id, "_state": state, "_at": iso(now),
                                  "_owner": self.owner, "_nobody": None, "_from": "sending",
                                  "_error": redact(error) if error else error,
                                  "_remote": redact(remote) if remote else remote,
                                  "_next": iso(next_attempt_at) if next_attempt_at else None}
        args = [params[k] for k in self.order] if self.order is not None else params
        if self.lock is None:
            self.cursor.execute(self.sql, args)
            self.raw.commit()
            return bool(self.cursor.rowcount == 1)
        with self.lock:
            self.cursor.execute(self.sql, args)
            self.raw.commit()
            return bool(self.cursor.rowcount == 1)


def _insert_ignore(conn: Any, table: Table, unique: list[str]) -> Any:
    """INSERT that does nothing when a row with the same ``unique`` columns exists."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=unique)
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=unique)
    return insert(table)  # pragma: no cover - only SQLite and PostgreSQL are supported


def _due(now: dt.datetime) -> Any:
    return or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at <= iso(now))


def delivery_key(channel: str, item: str, recipient: str | None = None) -> str:
    """The deterministic key of a delivery; also its idempotency key on the platform."""
    return f"{channel}:{item}" + (f":{recipient.lower()}" if recipient else "")
