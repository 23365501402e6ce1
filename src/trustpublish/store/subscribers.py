"""Subscribers of the email channels (minimal: the subscribers issue completes it).

A subscriber has an ``email`` (unique, stored lower-case), a ``name``, a ``status``
(``active`` or ``unsubscribed``) and ``channels`` (the email channel names they
get; empty means every email channel). ``import_csv`` reads a CSV with an ``email``
column and optional ``name``, ``channels`` (separated by ``;`` or spaces) and
``status`` columns. A re-import never undoes an unsubscribe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Integer, String, Table, insert, select, update
from sqlalchemy.engine import Engine

from ..errors import ContentError
from .db import metadata

__all__ = ["Subscriber", "Subscribers", "ImportReport"]

subscribers = Table(
    "tp_subscribers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("status", String(20), nullable=False, default="active"),
    Column("channels", String(1000), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str
    status: str
    channels: tuple[str, ...]

    def gets(self, channel: str) -> bool:
        return self.status == "active" and (not self.channels or channel in self.channels)


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    kept_unsubscribed: int = 0


def _channels(text: str) -> tuple[str, ...]:
    return tuple(sorted({c for c in text.replace(";", " ").replace(",", " ").split() if c}))


class Subscribers:
    """Reads and writes of the subscriber table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self) -> list[Subscriber]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(subscribers).order_by(subscribers.c.id))
            return [Subscriber(r.id, r.email, r.name, r.status, _channels(r.channels)) for r in rows]

    def recipients(self, channel: str) -> list[Subscriber]:
        """Active subscribers of ``channel``, in the order they were added."""
        return [s for s in self.all() if s.gets(channel)]

    def is_active(self, email: str, channel: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(select(subscribers).where(subscribers.c.email == email.lower())).first()
        return row is not None and Subscriber(row.id, row.email, row.name, row.status,
                                              _channels(row.channels)).gets(channel)

    def upsert(self, rows: Iterable[tuple[str, str, tuple[str, ...], str]], now: dt.datetime) -> ImportReport:
        """Add or update (email, name, channels, status); unsubscribes are never undone."""
        report = ImportReport()
        stamp = now.astimezone(dt.timezone.utc).isoformat()
        with self.engine.begin() as conn:
            existing = {r.email: r for r in conn.execute(select(subscribers))}
            for email, name, chans, status in rows:
                old = existing.get(email)
                if old is None:
                    conn.execute(insert(subscribers).values(
                        email=email, name=name, status=status, channels=" ".join(chans),
                        created_at=stamp, updated_at=stamp))
                    report.added += 1
                    continue
                if old.status == "unsubscribed" and status == "active":
                    report.kept_unsubscribed += 1
                    status = "unsubscribed"
                conn.execute(update(subscribers).where(subscribers.c.id == old.id).values(
                    name=name or old.name, status=status, channels=" ".join(chans) or old.channels,
                    updated_at=stamp))
                report.updated += 1
        return report

    def import_csv(self, path: Path, now: dt.datetime) -> ImportReport:
        """Import ``path``; a bad row is a ContentError naming file and line."""
        from email_validator import EmailNotValidError, validate_email

        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ContentError("file not found", file=path) from None
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        if "email" not in fields:
            raise ContentError("the CSV has no `email` column", file=path, line=1,
                               hint="the first line must name the columns, e.g. email,name,channels")
        reader.fieldnames = fields
        rows: dict[str, tuple[str, str, tuple[str, ...], str]] = {}
        for number, record in enumerate(reader, start=2):
            raw = (record.get("email") or "").strip()
            try:
                email = validate_email(raw, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                raise ContentError(f"{raw!r} is not an email address: {exc}", file=path, line=number,
                                   hint="fix or delete that line and import again") from None
            status = (record.get("status") or "active").strip().lower() or "active"
            if status not in ("active", "unsubscribed"):
                raise ContentError(f"status {status!r} must be active or unsubscribed",
                                   file=path, line=number)
            rows[email] = (email, (record.get("name") or "").strip(),
                           _channels(record.get("channels") or ""), status)
        return self.upsert(rows.values(), now)
