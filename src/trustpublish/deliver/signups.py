"""Readers subscribe themselves: double opt-in, consent records, and forgetting a person.

A sign-up (from the form ``trustpublish serve`` shows, or ``subscribers add --confirm``)
is stored as *pending* with a random token (only its SHA-256 is kept) that expires
(``subscribe.expires``, default 48 h), and a confirmation email carries the link. The
address becomes an active subscriber only when the link's page is confirmed (a POST), and
a **consent record** keeps when it was asked, from which form, the exact wording shown, and
when it was confirmed. A GET never changes anything.

Abuse is refused without storing anything: per-IP and per-address limits within a window
(``subscribe.per_ip_per_hour``, ``subscribe.per_address_per_day``). The caller shows the
same answer whatever happened, so the form cannot tell who is subscribed.

:meth:`Signups.forget` erases a person: subscriber row, sign-ups, consent records and the
plain address on the suppression list, which keeps only a one-way hash
(``sha256:<hex>``) so no later import or sign-up can re-add them without a new
confirmation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, String, Table, Text, delete, func, insert, select, update
from sqlalchemy.engine import Engine

from .db import metadata
from .subscribers import (
    Subscribers,
    email_hash,
    normalize_email,
    subscribers,
    suppressions,
)

__all__ = ["Signups", "Signup", "Consent", "SignupRules", "email_hash"]

signups = Table(
    "tp_signups", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, index=True),
    Column("name", String(200), nullable=False, default=""),
    Column("channel", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("form", String(300), nullable=False, default=""),
    Column("wording", Text, nullable=False, default=""),
    Column("ip_hash", String(64), nullable=False, default="", index=True),
    Column("requested_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("confirmed_at", String(40)),
)

consents = Table(
    "tp_consents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, index=True),
    Column("channel", String(100), nullable=False),
    Column("source", String(300), nullable=False),
    Column("wording", Text, nullable=False, default=""),
    Column("requested_at", String(40), nullable=False),
    Column("confirmed_at", String(40), nullable=False),
)


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignupRules:
    """``subscribe:`` in schedule.yaml (abuse limits and the link's lifetime)."""

    expires: dt.timedelta = dt.timedelta(hours=48)
    per_ip_per_hour: int = 5
    per_address_per_day: int = 3

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> "SignupRules":
        from ..plan.timetable import parse_duration

        options = raw.get("subscribe") or {}
        base = cls()
        return cls(parse_duration(options["expires"], "subscribe.expires")
                   if "expires" in options else base.expires,
                   int(options.get("per_ip_per_hour", base.per_ip_per_hour)),
                   int(options.get("per_address_per_day", base.per_address_per_day)))


@dataclass(frozen=True)
class Signup:
    email: str
    name: str
    channel: str
    form: str
    wording: str
    requested_at: str
    expires_at: str
    confirmed_at: str | None


@dataclass(frozen=True)
class Consent:
    email: str
    channel: str
    source: str
    wording: str
    requested_at: str
    confirmed_at: str

    def as_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "source": self.source, "wording": self.wording,
                "requested_at": self.requested_at, "confirmed_at": self.confirmed_at}


class Signups:
    """Pending sign-ups and consent records. All SQL about them is here."""

    def __init__(self, engine: Engine, key: bytes, rules: SignupRules | None = None) -> None:
        self.engine, self.key = engine, key
        self.rules = rules or SignupRules()

    def _ip_hash(self, ip: str) -> str:
        return hmac.new(self.key, f"ip:{ip}".encode(), hashlib.sha256).hexdigest() if ip else ""

    def request(self, email: str, *, name: str, channel: str, form: str, wording: str,
                ip: str, now: dt.datetime) -> str | None:
        """Store a pending sign-up; its token (to mail) or None when nothing may be sent:
        an invalid address, a limit reached, or an address already receiving ``channel``."""
        try:
            address = normalize_email(email)
        except ValueError:
            return None
        ip_hash = self._ip_hash(ip)
        with self.engine.connect() as conn:
            hour, day = _stamp(now - dt.timedelta(hours=1)), _stamp(now - dt.timedelta(days=1))
            if ip_hash and (conn.execute(select(func.count()).select_from(signups).where(
                    signups.c.ip_hash == ip_hash, signups.c.requested_at >= hour)).scalar()
                    or 0) >= self.rules.per_ip_per_hour:
                return None
            if (conn.execute(select(func.count()).select_from(signups).where(
                    signups.c.email == address, signups.c.requested_at >= day)).scalar()
                    or 0) >= self.rules.per_address_per_day:
                return None
        if Subscribers(self.engine).receiving([address], channel):
            return None  # already subscribed: the answer on the page is the same
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(insert(signups).values(
                email=address, name=" ".join(name.split())[:200], channel=channel,
                token_hash=_token_hash(token), form=form[:300], wording=wording,
                ip_hash=ip_hash, requested_at=_stamp(now),
                expires_at=_stamp(now + self.rules.expires)))
        return token

    def pending(self, token: str, now: dt.datetime) -> Signup | None:
        """The unexpired, unconfirmed sign-up of ``token`` (None for a wrong or old link)."""
        if not token or len(token) > 200:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(signups).where(
                signups.c.token_hash == _token_hash(token))).first()
        if row is None or row.confirmed_at or row.expires_at < _stamp(now):
            return None
        return Signup(row.email, row.name, row.channel, row.form, row.wording,
                      row.requested_at, row.expires_at, row.confirmed_at)

    def confirm(self, token: str, now: dt.datetime) -> Signup | None:
        """Activate the subscriber of a pending sign-up and record their consent."""
        signup = self.pending(token, now)
        if signup is None:
            return None
        stamp = _stamp(now)
        with self.engine.begin() as conn:
            done = conn.execute(update(signups).where(
                signups.c.token_hash == _token_hash(token), signups.c.confirmed_at.is_(None))
                .values(confirmed_at=stamp)).rowcount
            if done != 1:  # confirmed meanwhile by another request
                return None
            # the person confirmed themselves: an earlier unsubscribe or forget is lifted
            conn.execute(delete(suppressions).where(
                suppressions.c.email.in_([signup.email, email_hash(signup.email)])))
            existing = conn.execute(select(subscribers).where(
                subscribers.c.email == signup.email)).first()
            source = f"sign-up form {signup.form}".strip()
            if existing is None:
                conn.execute(insert(subscribers).values(
                    email=signup.email, name=signup.name, status="active",
                    channels=signup.channel, consent_source=source, consent_at=stamp,
                    created_at=stamp, updated_at=stamp))
            else:
                channels = set(existing.channels.split())
                conn.execute(update(subscribers).where(subscribers.c.id == existing.id).values(
                    status="active", name=existing.name or signup.name,
                    channels=" ".join(sorted(channels | {signup.channel})) if channels else "",
                    consent_source=source, consent_at=stamp, updated_at=stamp))
            conn.execute(insert(consents).values(
                email=signup.email, channel=signup.channel, source=source,
                wording=signup.wording, requested_at=signup.requested_at, confirmed_at=stamp))
        return Signup(signup.email, signup.name, signup.channel, signup.form, signup.wording,
                      signup.requested_at, signup.expires_at, stamp)

    def consents(self, email: str) -> list[Consent]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(consents).where(consents.c.email == email.strip().lower())
                                .order_by(consents.c.id)).all()
        return [Consent(r.email, r.channel, r.source, r.wording, r.requested_at, r.confirmed_at)
                for r in rows]

    def latest_consents(self) -> dict[str, Consent]:
        """Email → its newest consent record (for ``subscribers export``)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(consents).order_by(consents.c.id)).all()
        return {r.email: Consent(r.email, r.channel, r.source, r.wording, r.requested_at,
                                 r.confirmed_at) for r in rows}

    def forget(self, email: str, now: dt.datetime) -> bool:
        """Erase everything about ``email`` but a one-way hash on the suppression list."""
        address = email.strip().lower()
        with self.engine.begin() as conn:
            known = conn.execute(delete(subscribers).where(
                subscribers.c.email == address)).rowcount > 0
            known = conn.execute(delete(signups).where(signups.c.email == address)).rowcount \
                > 0 or known
            known = conn.execute(delete(consents).where(consents.c.email == address)).rowcount \
                > 0 or known
            conn.execute(delete(suppressions).where(suppressions.c.email == address))
            hashed = email_hash(address)
            if conn.execute(select(suppressions.c.email).where(
                    suppressions.c.email == hashed)).first() is None:
                conn.execute(insert(suppressions).values(
                    email=hashed, reason="unsubscribed", channel="", source="forgotten",
                    created_at=_stamp(now)))
        return known
