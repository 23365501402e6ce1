"""Login links, sessions and CSRF tokens (in memory: a restart logs everyone out).

* A **login link** carries a one-time token (256 random bits) that is exchanged for a
  session cookie on first use and is useless afterwards (or after ``link_ttl``).
* A **session** is a random id in a cookie (``HttpOnly; SameSite=Strict``, ``Secure``
  when asked for), expiring after ``idle`` without use.
* Every session has its own **CSRF token**; every form carries it and every POST is
  checked against it in constant time.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import threading
from dataclasses import dataclass, field

from .users import User

__all__ = ["Session", "Sessions", "COOKIE"]

COOKIE = "tp_studio"


@dataclass
class Session:
    id: str
    user: User
    csrf: str
    last_seen: dt.datetime
    flash: list[tuple[str, str]] = field(default_factory=list)

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token or "")


class Sessions:
    """Thread-safe in-memory sessions and one-time login tokens."""

    def __init__(self, *, idle: dt.timedelta = dt.timedelta(hours=12),
                 link_ttl: dt.timedelta = dt.timedelta(hours=1)) -> None:
        self.idle, self.link_ttl = idle, link_ttl
        self._sessions: dict[str, Session] = {}
        self._links: dict[str, tuple[User, dt.datetime]] = {}
        self._lock = threading.Lock()

    def login_link_token(self, user: User, now: dt.datetime) -> str:
        """A new one-time token that logs ``user`` in."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._links[token] = (user, now + self.link_ttl)
        return token

    def redeem(self, token: str, now: dt.datetime) -> Session | None:
        """Exchange a login token for a new session (once), else None."""
        with self._lock:
            found = None
            for known in list(self._links):
                if hmac.compare_digest(known, token):
                    found = self._links.pop(known)
            if found is None or found[1] < now:
                return None
        return self.start(found[0], now)

    def start(self, user: User, now: dt.datetime) -> Session:
        session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), now)
        with self._lock:
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None, now: dt.datetime) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > self.idle:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            return session

    def end(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
