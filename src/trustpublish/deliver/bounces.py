"""Bounces and complaints clean the list: reports in, suppressions out.

A *report* is a message a mail system sends back about one of ours:

* a delivery status notification (RFC 3464) or one of the older text formats (Exim,
  qmail, Exchange...), read with flufl.bounce: permanent failures are **hard** bounces,
  temporary ones (``Action: delayed``, 4.x.x) **soft** bounces;
* an abuse report (RFC 5965, ``multipart/report; report-type=feedback-report``), read
  here: a **complaint** (the subscriber pressed "this is spam").

Each report is matched to the one delivery row it is about, in this order: the VERP
envelope sender it was addressed to (``bounces+d<row id>.<signature>@domain``, made by
:func:`verp_address` and signed with the project's secret key, so a forged report cannot
name an arbitrary row), then the original ``Message-ID`` (deterministic per issue and
recipient, recorded as the delivery's ``remote``), then the newest sent delivery to the
bouncing address.

The rules (``bounces:`` in schedule.yaml): a hard bounce or a complaint suppresses the
address at once; soft bounces suppress it after ``soft_limit`` (default 3) within
``soft_window`` (default 30 days). Every report is kept in ``tp_bounces`` so ``history``
and ``status`` can count bounces and complaints per issue.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from typing import Any, Literal

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, func, insert, select
from sqlalchemy.engine import Engine

from .db import metadata
from .ledger import deliveries, iso
from .subscribers import Subscribers

__all__ = ["Report", "BounceRules", "Bounces", "Outcome", "read_report", "verp_address",
           "verp_delivery"]

Kind = Literal["hard", "soft", "complaint"]

bounces = Table(
    "tp_bounces", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("tp_deliveries.id"), index=True),
    Column("email", String(320), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("source", String(200), nullable=False, default=""),
    Column("at", String(40), nullable=False),
)

_VERP = re.compile(r"^(?P<local>[^+@]+)\+d(?P<id>\d+)\.(?P<sig>[a-z2-7]{10})@(?P<domain>.+)$",
                   re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


# -- VERP ----------------------------------------------------------------------------
def _signature(delivery_id: int, key: bytes) -> str:
    mac = hmac.new(key, f"verp:{delivery_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii")[:10].lower()


def verp_address(return_path: str, delivery_id: int, key: bytes) -> str:
    """``bounces@clinic.example`` → ``bounces+d42.<signature>@clinic.example`` for row 42."""
    local, _, domain = return_path.rpartition("@")
    return f"{local}+d{delivery_id}.{_signature(delivery_id, key)}@{domain}"


def verp_delivery(address: str, key: bytes) -> int | None:
    """The delivery row id a VERP address names, or None (not VERP, or a bad signature)."""
    match = _VERP.match(address.strip().strip("<>"))
    if match is None:
        return None
    delivery_id = int(match["id"])
    if not hmac.compare_digest(match["sig"].lower(), _signature(delivery_id, key)):
        return None
    return delivery_id


# -- reading reports -------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """What one report says: its kind, the addresses, and how to find the delivery."""

    kind: Kind
    addresses: tuple[str, ...]
    message_id: str | None = None
    envelope: tuple[str, ...] = ()  # addresses the report was sent to (VERP candidates)
    detail: str = ""
    reporter: str = ""


def _parts(msg: Message, content_type: str) -> list[Message]:
    return [p for p in msg.walk() if p.get_content_type() == content_type]


def _original_message_id(msg: Message) -> str | None:
    """The Message-ID of our message inside the report (headers, attached copy, text)."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, Message) and inner.get("Message-ID"):
                return str(inner["Message-ID"]).strip()
        elif kind in ("text/rfc822-headers", "text/plain"):
            payload = part.get_payload(decode=True) or b""
            text = payload.decode("utf-8", "replace")
            for line in text.splitlines():
                if line.lower().startswith("message-id:"):
                    found = _MESSAGE_ID.search(line)
                    if found:
                        return found.group(0)
    for header in ("X-Original-Message-ID", "In-Reply-To", "References"):
        found = _MESSAGE_ID.search(str(msg.get(header, "")))
        if found:  # matched against the ledger's recorded Message-IDs later
            return found.group(0)
    return None


def _envelope(msg: Message) -> tuple[str, ...]:
    found: list[str] = []
    for header in ("Delivered-To", "X-Original-To", "Envelope-To", "To"):
        for _name, address in getaddresses([str(v) for v in msg.get_all(header, [])]):
            if address and address not in found:
                found.append(address)
    for part in _parts(msg, "message/feedback-report") + _parts(msg, "message/delivery-status"):
        for block in (part.get_payload() if part.is_multipart() else [part]):
            for header in ("Original-Mail-From", "X-Postfix-Sender"):
                value = str(block.get(header, "")) if isinstance(block, Message) else ""
                address = value.split(";")[-1].strip().strip("<>")
                if address and address not in found:
                    found.append(address)
    return tuple(found)


def _feedback(msg: Message) -> Report | None:
    reports = _parts(msg, "message/feedback-report")
    if not reports:
        return None
    fields: dict[str, str] = {}
    for block in (reports[0].get_payload() if reports[0].is_multipart() else [reports[0]]):
        if isinstance(block, Message):
            fields.update({k.lower(): str(v) for k, v in block.items()})
    addresses: list[str] = []
    for key in ("original-rcpt-to", "removal-recipient"):
        if fields.get(key):
            addresses.append(fields[key].split(";")[-1].strip().strip("<>"))
    if not addresses:  # e.g. Microsoft JMRP: the recipient is in the attached copy
        for part in _parts(msg, "message/rfc822"):
            inner = part.get_payload(0) if part.is_multipart() else None
            if isinstance(inner, Message):
                for header in ("X-HmXmrOriginalRecipient", "To"):
                    pairs = getaddresses([str(inner.get(header, ""))])
                    addresses += [a for _n, a in pairs if a]
                    if addresses:
                        break
    return Report("complaint", tuple(dict.fromkeys(a.lower() for a in addresses)),
                  _original_message_id(msg), _envelope(msg),
                  detail=f"feedback-type {fields.get('feedback-type', 'abuse')}",
                  reporter=fields.get("user-agent", "") or fields.get("reporting-mta", ""))


def read_report(data: bytes) -> Report | None:
    """The report in ``data`` (one RFC 5322 message), or None when it is not a bounce
    or complaint (an auto-reply, a person writing back)."""
    from flufl.bounce import all_failures

    msg = email.message_from_bytes(data)
    complaint = _feedback(msg)
    if complaint is not None:
        return complaint
    temporary, permanent = all_failures(msg)
    if not (temporary or permanent):
        return None
    kind: Kind = "hard" if permanent else "soft"
    addresses = permanent or temporary
    status = ""
    for part in _parts(msg, "message/delivery-status"):
        for block in (part.get_payload() if part.is_multipart() else [part]):
            if isinstance(block, Message) and block.get("Status"):
                status = f"status {block['Status']}"
    return Report(kind, tuple(sorted(a.decode("utf-8", "replace").lower() for a in addresses)),
                  _original_message_id(msg), _envelope(msg), detail=status,
                  reporter=str(msg.get("From", "")))


# -- applying the rules ----------------------------------------------------------------
@dataclass(frozen=True)
class BounceRules:
    """``bounces:`` in schedule.yaml."""

    soft_limit: int = 3
    soft_window: dt.timedelta = dt.timedelta(days=30)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> "BounceRules":
        from ..plan.timetable import parse_duration

        options = raw.get("bounces") or {}
        base = cls()
        return cls(int(options.get("soft_limit", base.soft_limit)),
                   parse_duration(options["soft_window"], "bounces.soft_window")
                   if "soft_window" in options else base.soft_window)


@dataclass(frozen=True)
class Outcome:
    """What one report did to one address."""

    email: str
    kind: Kind
    delivery_id: int | None
    suppressed: bool
    reason: str


class Bounces:
    """Records reports and applies the suppression rules. All SQL about bounces is here."""

    def __init__(self, engine: Engine, key: bytes, rules: BounceRules | None = None) -> None:
        self.engine, self.key = engine, key
        self.rules = rules or BounceRules()
        self.subscribers = Subscribers(engine)

    def _delivery(self, report: Report, address: str) -> int | None:
        for candidate in report.envelope:
            row = verp_delivery(candidate, self.key)
            if row is not None:
                return row
        with self.engine.connect() as conn:
            if report.message_id:
                found = conn.execute(
                    select(deliveries.c.id).where(deliveries.c.remote == report.message_id,
                                                  func.lower(deliveries.c.recipient) == address)
                ).scalar()
                if found is not None:
                    return int(found)
            found = conn.execute(
                select(deliveries.c.id).where(func.lower(deliveries.c.recipient) == address,
                                              deliveries.c.state == "sent")
                .order_by(deliveries.c.id.desc()).limit(1)).scalar()
        return None if found is None else int(found)

    def record(self, report: Report, now: dt.datetime, *, source: str) -> list[Outcome]:
        """Store the report and suppress what the rules say; one Outcome per address."""
        outcomes: list[Outcome] = []
        for address in report.addresses:
            delivery_id = self._delivery(report, address)
            with self.engine.begin() as conn:
                conn.execute(insert(bounces).values(
                    delivery_id=delivery_id, email=address, kind=report.kind,
                    detail=report.detail[:500], source=source[:200], at=iso(now)))
            suppress, reason = self._verdict(report.kind, address, now)
            if suppress:
                self.subscribers.suppress(address, reason=reason,
                                          source=f"{report.kind}: {source}"[:200], now=now)
            outcomes.append(Outcome(address, report.kind, delivery_id, suppress,
                                    reason if suppress else "soft bounce counted"))
        return outcomes

    def _verdict(self, kind: Kind, address: str, now: dt.datetime) -> tuple[bool, str]:
        if kind == "complaint":
            return True, "complained"
        if kind == "hard":
            return True, "bounced"
        since = iso(now - self.rules.soft_window)
        with self.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(bounces).where(
                bounces.c.email == address, bounces.c.kind == "soft",
                bounces.c.at >= since)).scalar() or 0
        return count >= self.rules.soft_limit, "bounced"

    def counts_by_item(self) -> dict[str, dict[str, int]]:
        """Issue (or excerpt) id → ``{"bounced": n, "complaints": n}`` (hard and soft together
        as bounced)."""
        query = (select(deliveries.c.item, bounces.c.kind, func.count())
                 .join(deliveries, deliveries.c.id == bounces.c.delivery_id)
                 .group_by(deliveries.c.item, bounces.c.kind))
        result: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for item, kind, n in conn.execute(query):
                entry = result.setdefault(item, {"bounced": 0, "complaints": 0})
                entry["complaints" if kind == "complaint" else "bounced"] += int(n)
        return result
