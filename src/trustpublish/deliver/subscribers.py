"""Subscribers of the email channels and the suppression list (``docs/delivery.md``, ``docs/guarantees.md#unsubscribes``).

A subscriber has an ``email`` (validated with email-validator, stored lower-case, so
addresses compare case-insensitively), a ``name``, a ``status`` (``active``,
``unsubscribed``, ``bounced`` or ``complained``), where their consent came from and
when (``consent_source``, ``consent_at``) and ``channels`` (the email channel names
they get; empty means every email channel).

The **suppression list** (``tp_suppressions``) holds every address that must not be
mailed again, with the reason and how it was recorded (one-click link,
``subscribers remove``, an import that said so). It is never cleared by an import:
an import that lists a suppressed address as active keeps it suppressed and counts
it as "kept unsubscribed". Only active, unsuppressed subscribers are recipients.

Recipients are streamed with keyset pagination (``id > last`` in batches), so a
fan-out never holds the whole list in memory. All SQL about subscribers lives here.

CSV files are hostile input. On import: a row whose quote is never closed (which
would silently swallow the following lines into one field) is reported with its
line span and skipped, as is any field holding a control character (NUL, CR...);
channel names must be email channels of schedule.yaml ("did you mean" otherwise);
internationalised domains are stored in their ASCII (punycode) form, so every mail
server accepts them. On export, a cell starting with ``=``, ``+``, ``-``, ``@``, tab
or CR is prefixed with ``'`` (OWASP CSV injection), so a spreadsheet never runs it
as a formula; import removes that prefix again.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    String,
    Table,
    and_,
    exists,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine

from ..errors import ContentError
from .db import metadata

__all__ = ["Subscriber", "Subscribers", "ImportReport", "BadRow", "STATUSES", "normalize_email",
           "email_hash"]

STATUSES = ("active", "unsubscribed", "bounced", "complained")
CSV_COLUMNS = ("email", "name", "status", "channels", "consent_source", "consent_at")

subscribers = Table(
    "tp_subscribers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("status", String(20), nullable=False, default="active"),
    Column("channels", String(1000), nullable=False, default=""),
    Column("consent_source", String(200), nullable=False, default=""),
    Column("consent_at", String(40), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

suppressions = Table(
    "tp_suppressions", metadata,
    Column("email", String(320), primary_key=True),
    Column("reason", String(20), nullable=False),  # unsubscribed | bounced | complained
    Column("channel", String(100), nullable=False, default=""),  # where it came from, if known
    Column("source", String(200), nullable=False, default=""),
    Column("created_at", String(40), nullable=False),
)


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str
    status: str
    channels: tuple[str, ...]
    consent_source: str = ""
    consent_at: str = ""

    def gets(self, channel: str) -> bool:
        return self.status == "active" and (not self.channels or channel in self.channels)

    def as_dict(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "status": self.status,
                "channels": list(self.channels), "consent_source": self.consent_source,
                "consent_at": self.consent_at}


@dataclass(frozen=True)
class BadRow:
    line: int
    message: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    kept_unsubscribed: int = 0
    bad: list[BadRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated,
                "kept_unsubscribed": self.kept_unsubscribed,
                "bad": [{"line": b.line, "message": b.message} for b in self.bad]}


def normalize_email(raw: str) -> str:
    """The canonical (lower-case) form of ``raw``; ValueError with the reason when invalid.

    The domain is kept in ASCII (``bücher.example`` → ``xn--bcher-kva.example``); a
    non-ASCII local part stays as it is and needs a server offering SMTPUTF8.
    """
    from email_validator import EmailNotValidError, validate_email

    if _CONTROL.search(raw):
        raise ValueError("it contains a control character")
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return f"{info.local_part}@{info.ascii_domain}".lower()


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run: ``'`` before a formula-leading character."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _unneutralise(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def email_hash(email: str) -> str:
    """The one-way form a forgotten address keeps on the suppression list (``forget``)."""
    import hashlib

    return "sha256:" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _channels(text: str) -> tuple[str, ...]:
    return tuple(sorted({c for c in text.replace(";", " ").replace(",", " ").split() if c}))


def _subscriber(r: Any) -> Subscriber:
    return Subscriber(r.id, r.email, r.name, r.status, _channels(r.channels),
                      r.consent_source, r.consent_at)


def _stamp(now: dt.datetime) -> str:
    return now.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def _receives(channel: str) -> Any:
    """SQL condition: active, not suppressed, and on ``channel`` (or on every channel)."""
    c = subscribers.c
    padded = " " + c.channels + " "
    return and_(c.status == "active",
                or_(c.channels == "", padded.like(f"% {channel} %")),
                not_(exists().where(suppressions.c.email == c.email)))


class Subscribers:
    """Reads and writes of the subscriber table and the suppression list."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- reading -----------------------------------------------------------------------
    def iter_all(self, status: str | None = None, *, batch: int = 1000) -> Iterator[Subscriber]:
        """Every subscriber (optionally of one status), streamed in id order."""
        where = subscribers.c.status == status if status else None
        yield from self._stream(where, batch)

    def all(self, status: str | None = None) -> list[Subscriber]:
        return list(self.iter_all(status))

    def iter_recipients(self, channel: str, *, batch: int = 1000) -> Iterator[Subscriber]:
        """Active, unsuppressed subscribers of ``channel`` in id order, ``batch`` rows per query."""
        yield from self._stream(_receives(channel), batch)

    def recipients(self, channel: str) -> list[Subscriber]:
        """Like :meth:`iter_recipients`, as a list (small lists only)."""
        return list(self.iter_recipients(channel))

    def _stream(self, where: Any, batch: int) -> Iterator[Subscriber]:
        last = 0
        while True:
            query = select(subscribers).where(subscribers.c.id > last)
            if where is not None:
                query = query.where(where)
            query = query.order_by(subscribers.c.id).limit(batch)
            with self.engine.connect() as conn:
                rows = [_subscriber(r) for r in conn.execute(query)]
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1].id

    def get(self, email: str) -> Subscriber | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(subscribers).where(
                subscribers.c.email == email.strip().lower())).first()
        return _subscriber(row) if row is not None else None

    def names(self, emails: Iterable[str]) -> dict[str, str]:
        """email → name for these addresses (one query per call; pass a batch)."""
        wanted = [e.lower() for e in emails]
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(subscribers.c.email, subscribers.c.name)
                                .where(subscribers.c.email.in_(wanted)))
            return {r.email: r.name for r in rows}

    def receiving(self, emails: Iterable[str], channel: str) -> set[str]:
        """Which of ``emails`` still receive ``channel`` right now (checked at send time)."""
        wanted = [e.lower() for e in emails]
        if not wanted:
            return set()
        with self.engine.connect() as conn:
            rows = conn.execute(select(subscribers.c.email)
                                .where(subscribers.c.email.in_(wanted), _receives(channel)))
            return {r.email for r in rows}

    def count(self) -> int:
        from sqlalchemy import func

        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(subscribers)).scalar() or 0)

    # -- writing -----------------------------------------------------------------------
    def suppress(self, email: str, *, reason: str, source: str, now: dt.datetime,
                 channel: str = "") -> bool:
        """Stop mailing ``email`` (status and suppression list). False if it was unknown."""
        if reason not in STATUSES[1:]:
            raise ValueError(reason)
        email = email.strip().lower()
        stamp = _stamp(now)
        with self.engine.begin() as conn:
            known = conn.execute(update(subscribers).where(subscribers.c.email == email)
                                 .values(status=reason, updated_at=stamp)).rowcount == 1
            if conn.execute(select(suppressions.c.email)
                            .where(suppressions.c.email == email)).first() is None:
                conn.execute(insert(suppressions).values(email=email, reason=reason,
                                                         channel=channel, source=source,
                                                         created_at=stamp))
        return known

    def upsert(self, rows: Iterable[tuple[str, str, tuple[str, ...], str]], now: dt.datetime, *,
               consent_source: str = "", consent_at: str = "") -> ImportReport:
        """Add or update (email, name, channels, status); a suppressed address stays suppressed."""
        return self._upsert(((e, n, c, s, consent_source, consent_at) for e, n, c, s in rows),
                            now, consent_source)

    def _upsert(self, rows: Iterable[tuple[str, str, tuple[str, ...], str, str, str]],
                now: dt.datetime, source: str, batch: int = 500) -> ImportReport:
        report = ImportReport()
        chunk: list[tuple[str, str, tuple[str, ...], str, str, str]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                self._upsert_chunk(chunk, now, source, report)
                chunk = []
        if chunk:
            self._upsert_chunk(chunk, now, source, report)
        return report

    def _upsert_chunk(self, chunk: list[tuple[str, str, tuple[str, ...], str, str, str]],
                      now: dt.datetime, source: str, report: ImportReport) -> None:
        stamp = _stamp(now)
        emails = [r[0] for r in chunk]
        with self.engine.begin() as conn:
            existing = {r.email: r for r in conn.execute(
                select(subscribers).where(subscribers.c.email.in_(emails)))}
            hashes = {email_hash(e): e for e in emails}
            found = {r.email for r in conn.execute(select(suppressions.c.email).where(
                suppressions.c.email.in_(emails + list(hashes))))}
            suppressed = found & set(emails)
            forgotten = {hashes[h] for h in found & set(hashes)}  # erased: store nothing
            fresh: list[dict[str, str]] = []
            for email, name, chans, status, consent_source, consent_at in chunk:
                if email in forgotten:
                    report.kept_unsubscribed += 1
                    continue
                if status != "active" and email not in suppressed:
                    conn.execute(insert(suppressions).values(
                        email=email, reason=status, source=f"import ({source})" if source else "import",
                        created_at=stamp))
                    suppressed.add(email)
                old = existing.get(email)
                if status == "active" and (email in suppressed or
                                           (old is not None and old.status != "active")):
                    report.kept_unsubscribed += 1
                    status = old.status if old is not None and old.status != "active" \
                        else "unsubscribed"
                if old is None:
                    fresh.append({"email": email, "name": name, "status": status,
                                  "channels": " ".join(chans),
                                  "consent_source": consent_source or source,
                                  "consent_at": consent_at or stamp,
                                  "created_at": stamp, "updated_at": stamp})
                    report.added += 1
                    continue
                conn.execute(update(subscribers).where(subscribers.c.id == old.id).values(
                    name=name or old.name, status=status,
                    channels=" ".join(chans) or old.channels,
                    consent_source=consent_source or old.consent_source,
                    consent_at=consent_at or old.consent_at, updated_at=stamp))
                report.updated += 1
            if fresh:
                conn.execute(insert(subscribers), fresh)

    def import_csv(self, path: Path, now: dt.datetime,
                   channels: Iterable[str] | None = None) -> ImportReport:
        """Import ``path``. Each bad row is reported (line, reason) and skipped; the rest import.

        Columns (first line): ``email`` (required), optional ``name``, ``channels``
        (separated by ``;`` or spaces), ``status`` and ``consent_source``/``consent_at``.
        A later row with an address seen earlier in the file is reported as a duplicate.
        ``channels`` are the email channel names a row may list (None: any name).
        """
        known = sorted(channels) if channels is not None else None
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:  # keep a lone CR
                text = handle.read()
        except FileNotFoundError:
            raise ContentError("file not found", file=path) from None
        except UnicodeDecodeError:
            raise ContentError("the file is not UTF-8", file=path,
                               hint="save it as 'CSV UTF-8' from your spreadsheet") from None
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        lines = text.splitlines()
        fields = [(f or "").strip().lower() for f in (reader.fieldnames or [])]
        if "email" not in fields:
            raise ContentError("the CSV has no `email` column", file=path, line=1,
                               hint="the first line must name the columns, e.g. email,name,channels")
        reader.fieldnames = fields
        bad: list[BadRow] = []
        seen: dict[str, int] = {}

        where = {"start": reader.line_num + 1}  # the first line of the row being read

        def good_rows() -> Iterator[tuple[str, str, tuple[str, ...], str, str, str]]:
            end = reader.line_num
            for record in reader:
                number, end = end + 1, reader.line_num
                while number < end and not lines[number - 1].strip():
                    number += 1  # blank lines the reader skipped: the row starts after them
                where["start"] = end + 1
                cells = [v for v in record.values() if isinstance(v, str)]
                cells += [x for v in record.values() if isinstance(v, list) for x in v]
                if None in record:  # more cells than columns
                    bad.append(BadRow(number, f"{len(cells)} cells but only {len(fields)} "
                                              "columns (a comma in a name needs quotes)"))
                    continue
                if any("\n" in v for v in cells):
                    bad.append(BadRow(number, f"a quote opened on line {number} is not closed "
                                              f"before line {end}: lines {number}-{end} were "
                                              "read as one row and none of them is imported"))
                    continue
                column = next((k for k, v in record.items() if v and _CONTROL.search(v)), None)
                if column is not None:
                    char = _CONTROL.search(record[column]).group()  # type: ignore[union-attr]
                    bad.append(BadRow(number, f"column {column!r} contains a control character "
                                              f"(U+{ord(char):04X})"))
                    continue
                record = {k: _unneutralise(v) if isinstance(v, str) else v
                          for k, v in record.items()}
                raw = (record.get("email") or "").strip()
                if not raw:
                    bad.append(BadRow(number, "no email address"))
                    continue
                try:
                    email = normalize_email(raw)
                except ValueError as exc:
                    bad.append(BadRow(number, f"{raw!r} is not an email address: {exc}"))
                    continue
                if email in seen:
                    bad.append(BadRow(number, f"{email} is a duplicate of line {seen[email]}"))
                    continue
                seen[email] = number
                status = (record.get("status") or "active").strip().lower() or "active"
                if status not in STATUSES:
                    bad.append(BadRow(number, f"status {status!r} must be one of "
                                              f"{', '.join(STATUSES)}"))
                    continue
                consent_at = (record.get("consent_at") or "").strip()
                if consent_at:
                    try:
                        dt.datetime.fromisoformat(consent_at.replace("Z", "+00:00"))
                    except ValueError:
                        bad.append(BadRow(number, f"consent_at {consent_at!r} is not a date "
                                                  "(write it like 2026-01-31)"))
                        continue
                wanted = _channels(record.get("channels") or "")
                unknown = [c for c in wanted if known is not None and c not in known]
                if unknown:
                    guess = difflib.get_close_matches(unknown[0], known or [], n=1)
                    bad.append(BadRow(number, f"channel {unknown[0]!r} is not an email channel "
                                              "in schedule.yaml"
                                      + (f"; did you mean {guess[0]!r}?" if guess else "")
                                      + f" (email channels: {', '.join(known or []) or 'none'})"))
                    continue
                yield (email, " ".join((record.get("name") or "").split()), wanted, status,
                       (record.get("consent_source") or "").strip(), consent_at)

        try:  # the whole file is read before anything is written: no half imports
            rows = list(good_rows())
        except csv.Error as exc:
            start, end = where["start"], reader.line_num
            span = f"the row starting on line {start}" + (f" (read up to line {end})"
                                                          if end > start else "")
            raise ContentError(f"{span} is malformed ({exc}); nothing was imported",
                               file=path, line=start,
                               hint="a field with a comma or a quote must be wrapped in "
                                    "double quotes, with inner quotes doubled (\"\")") from None
        report = self._upsert(rows, now, Path(path).name)
        report.bad = bad
        return report


def write_csv(rows: Iterable[Subscriber], handle: Any,
              consents: Any = None) -> int:
    """Write subscribers as CSV (the import format) to ``handle``; returns the row count.

    ``consents`` (email → the latest consent record, see deliver/signups.py) adds the
    exact wording shown and the confirmation time; an import ignores those two columns.
    """
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS + (("consent_wording", "confirmed_at") if consents is not None
                                   else ()))
    n = 0
    for s in rows:
        cells = [s.email, s.name, s.status, ";".join(s.channels), s.consent_source, s.consent_at]
        if consents is not None:
            consent = consents.get(s.email)
            cells += [consent.wording, consent.confirmed_at] if consent else ["", ""]
        writer.writerow([neutralise_cell(v) for v in cells])
        n += 1
    return n
