"""Bounce webhooks of email services, mounted by ``serve``: ``POST /bounces/ses`` (Amazon
SES through SNS) and ``POST /bounces/mailgun``. A WSGI app with no logic of its own: the
handlers passed in verify the event and record it (``deliver/provider_events.py``); a
forged, stale or foreign event gets 403 and changes nothing; a body over 256 KiB gets 413.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["make_bounce_app", "MAX_EVENT_BYTES"]

MAX_EVENT_BYTES = 256 * 1024

#: handler(body) -> "ok" | "forged" | "error"
Handler = Callable[[bytes], str]


def make_bounce_app(handlers: Mapping[str, Handler]) -> Callable[..., Iterable[bytes]]:
    """``handlers`` maps a provider name (``ses``, ``mailgun``) to its handler."""

    def answer(start: Callable[..., Any], status: str, text: str) -> list[bytes]:
        body = text.encode()
        start(status, [("Content-Type", "text/plain; charset=utf-8"),
                       ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
        return [body]

    def app(environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        provider = environ.get("PATH_INFO", "").rstrip("/").rsplit("/", 1)[-1]
        handler = handlers.get(provider)
        if handler is None:
            return answer(start, "404 Not Found", "no such webhook\n")
        if environ.get("REQUEST_METHOD") != "POST":
            start("405 Method Not Allowed", [("Allow", "POST"), ("Content-Length", "0")])
            return [b""]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return answer(start, "400 Bad Request", "bad Content-Length\n")
        if length < 0 or length > MAX_EVENT_BYTES:
            return answer(start, "413 Content Too Large", "too large\n")
        outcome = handler(environ["wsgi.input"].read(length))
        if outcome == "forged":
            return answer(start, "403 Forbidden", "signature not valid\n")
        if outcome == "error":
            return answer(start, "503 Service Unavailable", "try again later\n")
        return answer(start, "200 OK", "ok\n")

    return app
