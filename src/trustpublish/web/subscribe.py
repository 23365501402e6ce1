"""The sign-up pages ``trustpublish serve`` shows: a WSGI app with no logic of its own.

Routes:

* ``GET /subscribe`` — the form (``web/subscribe.html.j2``): email, optional first name,
  a honeypot field hidden from people, and a signed time stamp;
* ``POST /subscribe`` — hands the request to the desk (store, mail the confirmation link)
  unless it is a bot's: the honeypot is filled, or the form came back faster than
  ``min_seconds`` or with a forged stamp. Every POST gets the same page, so the form
  never tells whether an address is subscribed;
* ``GET /subscribe/confirm?t=TOKEN`` — a page with a Confirm button; a GET changes nothing;
* ``POST /subscribe/confirm`` — confirms (the subscriber becomes active).

Requests from the pasted snippet (``trustpublish snippet``) carry no time stamp: they get
the honeypot, the rate limits and the double opt-in, but not the minimum fill time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs

from ..content.model import Site
from ..render.templating import render

__all__ = ["SignupDesk", "SubscribePages", "make_subscribe_app", "MAX_FORM_BYTES"]

MAX_FORM_BYTES = 8 * 1024


class SignupDesk(Protocol):
    """What the pages need from the delivery floor (see deliver/signup_desk.py)."""

    def request(self, email: str, name: str, *, ip: str, form: str, now: dt.datetime) -> bool: ...

    def pending_email(self, token: str, now: dt.datetime) -> str | None: ...

    def confirm(self, token: str, now: dt.datetime) -> str | None: ...


@dataclass(frozen=True)
class SubscribePages:
    """Settings of the pages: the site, the consent wording shown, the bot guard."""

    site: Site
    wording: str
    key: bytes
    templates: Path | None = None
    min_seconds: float = 3.0
    prefix: str = "/subscribe"

    def stamp(self, now: dt.datetime) -> str:
        seconds = str(int(now.timestamp()))
        return f"{seconds}.{self._mac(seconds)}"

    def _mac(self, seconds: str) -> str:
        return hmac.new(self.key, f"form:{seconds}".encode(), hashlib.sha256).hexdigest()[:20]

    def human(self, stamp: str | None, now: dt.datetime) -> bool:
        """False when the stamp is forged or the form came back too fast (a bot)."""
        if stamp is None:
            return True  # the pasted snippet: no stamp to check
        seconds, _, mac = stamp.partition(".")
        if not seconds.isdigit() or not hmac.compare_digest(mac, self._mac(seconds)):
            return False
        age = now.timestamp() - int(seconds)
        return self.min_seconds <= age <= 86400


def _form(environ: dict[str, Any]) -> dict[str, str] | None:
    """The url-encoded body (at most MAX_FORM_BYTES), or None when it is not acceptable."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length < 0 or length > MAX_FORM_BYTES:
        return None
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, max_num_fields=20).items() if v}


def make_subscribe_app(pages: SubscribePages, desk: SignupDesk,
                       clock: Callable[[], dt.datetime]) -> Callable[..., Iterable[bytes]]:
    """The WSGI app for the sign-up routes (mounted by ``serve``)."""

    def page(start: Callable[..., Any], status: str, template: str, title: str,
             **context: Any) -> list[bytes]:
        body = render(f"web/{template}", {"site": pages.site, "title": title, **context},
                      templates=pages.templates).encode("utf-8")
        start(status, [("Content-Type", "text/html; charset=utf-8"),
                       ("Content-Length", str(len(body))), ("Cache-Control", "no-store"),
                       ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                       ("Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                        "frame-ancestors 'none'; base-uri 'none'")])
        return [body]

    def app(environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "").rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        now = clock()
        form_url = pages.prefix
        confirm_url = f"{pages.prefix}/confirm"
        if path == pages.prefix and method == "GET":
            return page(start, "200 OK", "subscribe.html.j2", f"Subscribe to {pages.site.title}",
                        action=form_url, stamp=pages.stamp(now), wording=pages.wording)
        if path == pages.prefix and method == "POST":
            form = _form(environ)
            if form is None:
                return page(start, "413 Content Too Large", "invalid.html.j2",
                            "That did not work", form_url=form_url)
            if not form.get("website") and pages.human(form.get("ts"), now):
                desk.request(form.get("email", ""), form.get("name", ""),
                             ip=str(environ.get("REMOTE_ADDR", "")),
                             form=str(environ.get("HTTP_REFERER", "")) or form_url, now=now)
            return page(start, "200 OK", "sent.html.j2", "Check your inbox")
        if path == confirm_url and method == "GET":
            token = (parse_qs(environ.get("QUERY_STRING", "")).get("t") or [""])[0]
            email = desk.pending_email(token, now)
            if email is None:
                return page(start, "400 Bad Request", "invalid.html.j2",
                            "This link is not valid", form_url=form_url)
            return page(start, "200 OK", "confirm.html.j2", "Confirm your subscription",
                        email=email, token=token, action=confirm_url, wording=pages.wording)
        if path == confirm_url and method == "POST":
            form = _form(environ) or {}
            email = desk.confirm(form.get("t", ""), now)
            if email is None:
                return page(start, "400 Bad Request", "invalid.html.j2",
                            "This link is not valid", form_url=form_url)
            return page(start, "200 OK", "confirmed.html.j2", "You are subscribed", email=email)
        start("405 Method Not Allowed", [("Allow", "GET, POST"), ("Content-Length", "0")])
        return [b""]

    return app
