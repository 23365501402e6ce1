"""``trustpublish serve``: the one-click unsubscribe endpoint and the preview site.

Routes (a small WSGI app; :data:`ROUTES` maps exact paths, :data:`PREFIXES` path
prefixes, so a new page is one entry and one function):

* ``GET /unsubscribe?t=TOKEN`` — a confirmation page with one button. A GET never
  unsubscribes anyone: mail scanners and link previewers follow links with GET.
* ``POST /unsubscribe?t=TOKEN`` — unsubscribes (RFC 8058: mail clients send the
  body ``List-Unsubscribe=One-Click``; the confirmation page's button posts the same).
* ``GET /preview/...`` — files from ``dist/preview/`` (and ``/dist/...`` for the rest of dist);
* ``/subscribe...`` — the sign-up pages (:mod:`trustpublish.web.subscribe`), when given;
* ``POST /bounces/<provider>`` — bounce webhooks (:mod:`trustpublish.web.bounce_hooks`).

A tampered or foreign token gets a 400 page and changes nothing. The handler that
records the unsubscribe is passed in, so this module never touches the database.

Hostile requests get a 4xx, never a 500 and never a traceback: a body larger than
:data:`MAX_BODY` or a ``Content-Length`` that is negative or not a number is refused
before anything is read; a path with NUL or other control characters is a 400. Every
response carries a Content-Security-Policy (with ``frame-ancestors``), ``nosniff``
and ``no-referrer`` (added to the mounted sign-up and bounce apps' answers too). The app
never logs request lines: they carry tokens.

:func:`serve` runs the app on waitress (a production WSGI server: requests are read
by one asynchronous loop and only complete ones reach a bounded pool of worker
threads, so idle and slow clients cost a socket, not a thread), with a body limit,
idle timeouts and a connection limit. See the README for running it behind nginx or
Caddy.
"""

from __future__ import annotations

import html
import mimetypes
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..deliver.unsubscribe import InvalidToken, TokenSigner, Unsubscribe

__all__ = ["make_app", "serve", "MAX_BODY", "SERVER_SETTINGS", "SECURITY_HEADERS"]

Handler = Callable[[Unsubscribe], bool]
Start = Callable[..., Any]
App = Callable[[dict[str, Any], Start], Iterable[bytes]]

#: the largest request body read (a one-click POST is ~30 bytes; bounce webhooks, mounted
#: under /bounces/, check their own smaller-or-equal limit)
MAX_BODY = 256 * 1024
#: the largest unsubscribe form read
FORM_BODY = 64 * 1024
#: waitress settings (documented in the README): bounded threads and connections,
#: idle connections closed after ``channel_timeout`` seconds, small headers and bodies
SERVER_SETTINGS: dict[str, Any] = {
    "threads": 4,
    "connection_limit": 1000,
    "channel_timeout": 30,
    "cleanup_interval": 5,
    "max_request_header_size": 16 * 1024,
    "max_request_body_size": MAX_BODY,
    "asyncore_use_poll": True,  # select() fails beyond 1024 file descriptors
    "ident": "trustpublish",
    "expose_tracebacks": False,
}
_PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'")
_STATIC_CSP = ("default-src 'self'; img-src 'self' https: data:; style-src 'self' "
               "'unsafe-inline'; script-src 'self'; frame-src 'self'; object-src 'none'; "
               "form-action 'self'; frame-ancestors 'self'; base-uri 'none'")
#: headers on every response
SECURITY_HEADERS = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                    ("Cache-Control", "no-store")]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font:17px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;
color:#1f2933;background:#fff}}button{{font:inherit;padding:.6rem 1.2rem;border-radius:6px;
border:0;background:#1d4e89;color:#fff;cursor:pointer}}
@media (prefers-color-scheme:dark){{body{{color:#e4e7eb;background:#111}}}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


class BadRequest(Exception):
    """A request the app refuses with a 4xx (``status`` like ``400 Bad Request``)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _page(title: str, body: str, lang: str = "en") -> bytes:
    return _PAGE.format(title=html.escape(title), body=body, lang=html.escape(lang)).encode()


def respond(start: Start, status: str, body: bytes, content_type: str = "text/html; charset=utf-8",
            *, csp: str = _PAGE_CSP, extra: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    """Start a response with the security headers and return its body."""
    frame = "SAMEORIGIN" if "frame-ancestors 'self'" in csp else "DENY"
    start(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                   ("Content-Security-Policy", csp), ("X-Frame-Options", frame),
                   *SECURITY_HEADERS, *extra])
    return [body]


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, at most :data:`FORM_BODY` bytes; BadRequest for a bad length.

    A missing length reads nothing; a negative, non-numeric or huge one is refused
    without reading a byte (``Content-Length: -1`` must not mean "read everything").
    """
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return b""
    if not raw.isdigit() or not raw.isascii():
        raise BadRequest("400 Bad Request", "Content-Length must be a whole number")
    length = int(raw)
    if length > FORM_BODY:
        raise BadRequest("413 Content Too Large", f"the body is limited to {FORM_BODY} bytes")
    return environ["wsgi.input"].read(length) if length else b""


def _query(environ: dict[str, Any]) -> dict[str, list[str]]:
    query = str(environ.get("QUERY_STRING", ""))
    if len(query) > 8192:
        raise BadRequest("414 URI Too Long", "the address is too long")
    try:
        return parse_qs(query, max_num_fields=20)
    except ValueError:
        raise BadRequest("400 Bad Request", "the address has too many fields") from None


def _secure(start: Start, csp: str = _PAGE_CSP) -> Start:
    """``start`` that adds the security headers a mounted app did not set itself."""

    def wrapped(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        have = {name.lower() for name, _ in headers}
        extra = [(n, v) for n, v in [("Content-Security-Policy", csp), ("X-Frame-Options", "DENY"),
                                      *SECURITY_HEADERS] if n.lower() not in have]
        return start(status, [*headers, *extra], exc_info) if exc_info else \
            start(status, [*headers, *extra])

    return wrapped


def make_app(signer: TokenSigner, on_unsubscribe: Handler, *, site_title: str,
             dist_dir: Path | None = None, language: str = "en", subscribe: App | None = None,
             bounces: App | None = None) -> App:
    """The WSGI application; ``subscribe`` serves ``/subscribe...`` (web/subscribe.py) and
    ``bounces`` the ``/bounces/<provider>`` webhooks (web/bounce_hooks.py)."""

    def invalid_link(start: Start) -> list[bytes]:
        return respond(start, "400 Bad Request", _page(
            "This link is not valid",
            "<p>The unsubscribe link is incomplete or was changed. Please use the link from "
            "the most recent email, or reply to it and ask to be removed.</p>", language))

    def unsubscribe(environ: dict[str, Any], start: Start) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD", "POST"):
            return respond(start, "405 Method Not Allowed", b"", "text/plain",
                           extra=[("Allow", "GET, POST")])
        token = (_query(environ).get("t") or [""])[0]
        if method == "POST":
            body = read_body(environ)
            if not token:
                try:
                    form = parse_qs(body.decode("utf-8"), max_num_fields=20)
                except (UnicodeDecodeError, ValueError):
                    raise BadRequest("400 Bad Request", "the form is not valid") from None
                token = (form.get("t") or [""])[0]
        try:
            request = signer.verify(token)
        except InvalidToken:
            return invalid_link(start)
        if method in ("GET", "HEAD"):
            form = (f'<form method="post" action="?t={html.escape(token)}">'
                    '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
                    '<button type="submit">Unsubscribe</button></form>')
            return respond(start, "200 OK", _page(
                f"Unsubscribe from {site_title}?",
                f"<p>Stop sending <strong>{html.escape(request.channel)}</strong> emails to "
                f"<strong>{html.escape(request.email)}</strong>?</p>{form}", language))
        on_unsubscribe(request)
        return respond(start, "200 OK", _page(
            "You are unsubscribed",
            f"<p>{html.escape(request.email)} will get no more {html.escape(request.channel)} "
            f"emails from {html.escape(site_title)}.</p>", language))

    def static(path: str, start: Start) -> list[bytes]:
        if dist_dir is None:
            return respond(start, "404 Not Found", _page("Not found", ""))
        root = dist_dir.resolve()
        try:
            target = (root / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            found = target.is_relative_to(root) and target.is_file()
        except (OSError, ValueError):
            found = False
        if not found:
            return respond(start, "404 Not Found", _page("Not found", "<p>Run trustpublish build.</p>"))
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return respond(start, "200 OK", target.read_bytes(), kind, csp=_STATIC_CSP)

    def preview(environ: dict[str, Any], start: Start) -> list[bytes]:
        return static(environ["PATH_INFO"], start)

    def dist(environ: dict[str, Any], start: Start) -> list[bytes]:
        return static(environ["PATH_INFO"].removeprefix("/dist"), start)

    def home(environ: dict[str, Any], start: Start) -> list[bytes]:
        return respond(start, "302 Found", b"", "text/plain", extra=[("Location", "/preview/")])

    def mounted(inner: App) -> Callable[[dict[str, Any], Start], list[bytes]]:
        def handler(environ: dict[str, Any], start: Start) -> list[bytes]:
            return list(inner(environ, _secure(start)))

        return handler

    #: exact path → handler; add a page here
    routes: dict[str, Callable[[dict[str, Any], Start], list[bytes]]] = {
        "/": home, "/unsubscribe": unsubscribe, "/unsubscribe/": unsubscribe,
    }
    #: path prefix → (handler, methods allowed or None for the handler to decide)
    prefixes: list[tuple[str, Callable[[dict[str, Any], Start], list[bytes]],
                         tuple[str, ...] | None]] = [
        ("/preview", preview, ("GET", "HEAD")), ("/dist/", dist, ("GET", "HEAD")),
    ]
    if subscribe is not None:
        routes["/subscribe"] = routes["/subscribe/"] = mounted(subscribe)
        prefixes.append(("/subscribe/", mounted(subscribe), None))
    if bounces is not None:
        prefixes.append(("/bounces/", mounted(bounces), None))

    def route(environ: dict[str, Any], start: Start) -> list[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if not isinstance(path, str) or _CONTROL.search(path) or len(path) > 2048:
            raise BadRequest("400 Bad Request", "the address is not valid")
        if environ.get("CONTENT_LENGTH"):  # every handler below sees a sane length
            length = str(environ["CONTENT_LENGTH"]).strip()
            if not (length.isdigit() and length.isascii()):
                raise BadRequest("400 Bad Request", "Content-Length must be a whole number")
            if int(length) > MAX_BODY:
                raise BadRequest("413 Content Too Large", "the body is too large")
        handler = routes.get(path)
        if handler is not None:
            return handler(environ, start)
        for prefix, prefixed, methods in prefixes:
            if path.startswith(prefix):
                if methods is not None and environ.get("REQUEST_METHOD") not in methods:
                    return respond(start, "405 Method Not Allowed", b"", "text/plain",
                                   extra=[("Allow", ", ".join(m for m in methods
                                                              if m != "HEAD"))])
                return prefixed(environ, start)
        return respond(start, "404 Not Found", _page("Not found", ""))

    def app(environ: dict[str, Any], start: Start) -> list[bytes]:
        try:
            return route(environ, start)
        except BadRequest as exc:
            return respond(start, exc.status, _page(exc.message, ""))
        except Exception as exc:  # noqa: BLE001 - a bug: answer 500, show and log no details
            import logging
            import sys

            logging.getLogger("trustpublish.web").error(
                "internal error while serving a request: %s", type(exc).__name__)
            body = _page("Something went wrong", "")
            start("500 Internal Server Error",
                  [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                   ("Content-Security-Policy", _PAGE_CSP), *SECURITY_HEADERS], sys.exc_info())
            return [body]

    app.routes = routes  # type: ignore[attr-defined]
    app.prefixes = prefixes  # type: ignore[attr-defined]
    return app


class Server:
    """A bound waitress server. ``serve_forever()`` runs it (in any thread) until
    ``shutdown()``; ``server_port`` is the port bound (``port=0`` picks a free one)."""

    def __init__(self, app: App, host: str, port: int, settings: dict[str, Any]) -> None:
        import logging

        from waitress.server import create_server

        logging.getLogger("waitress").setLevel(logging.ERROR)  # no request lines, no tokens
        self._server = create_server(app, host=host, port=port, **settings)
        self.server_port: int = int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        self._server.run()

    def shutdown(self) -> None:
        """Stop accepting, end the loop and the worker threads."""
        self._server.close()
        self._server.task_dispatcher.shutdown()

    def server_close(self) -> None:
        self._server.close()


def serve(app: App, host: str, port: int, **settings: Any) -> Server:
    """A waitress server for ``app`` with :data:`SERVER_SETTINGS` (``settings`` override)."""
    return Server(app, host, port, {**SERVER_SETTINGS, **settings})
