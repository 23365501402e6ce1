"""``trustpublish serve``: the one-click unsubscribe endpoint and the preview site.

Routes (a small WSGI app, served by the standard library's threaded server):

* ``GET /unsubscribe?t=TOKEN`` — a confirmation page with one button. A GET never
  unsubscribes anyone: mail scanners and link previewers follow links with GET.
* ``POST /unsubscribe?t=TOKEN`` — unsubscribes (RFC 8058: mail clients send the
  body ``List-Unsubscribe=One-Click``; the confirmation page's button posts the same).
* ``GET /preview/...`` — files from ``dist/preview/`` (and ``/dist/...`` for the rest of dist).

A tampered or foreign token gets a 400 page and changes nothing. The handler that
records the unsubscribe is passed in, so this module never touches the database.
"""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..deliver.unsubscribe import InvalidToken, TokenSigner, Unsubscribe

__all__ = ["make_app", "serve"]

Handler = Callable[[Unsubscribe], bool]
_MAX_BODY = 64 * 1024

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


def _page(title: str, body: str, lang: str = "en") -> bytes:
    return _PAGE.format(title=html.escape(title), body=body, lang=html.escape(lang)).encode()


def make_app(signer: TokenSigner, on_unsubscribe: Handler, *, site_title: str,
             dist_dir: Path | None = None, language: str = "en",
             subscribe: Callable[..., Iterable[bytes]] | None = None,
             bounces: Callable[..., Iterable[bytes]] | None = None
             ) -> Callable[..., Iterable[bytes]]:
    """The WSGI application; ``subscribe`` serves ``/subscribe...`` (web/subscribe.py) and
    ``bounces`` the ``/bounces/<provider>`` webhooks (web/bounce_hooks.py)."""

    def respond(start: Callable[..., Any], status: str, body: bytes,
                content_type: str = "text/html; charset=utf-8") -> list[bytes]:
        start(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                       ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                       ("Referrer-Policy", "no-referrer")])
        return [body]

    def unsubscribe(environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        token = (parse_qs(environ.get("QUERY_STRING", "")).get("t") or [""])[0]
        method = environ["REQUEST_METHOD"]
        if method == "POST" and not token:
            length = min(int(environ.get("CONTENT_LENGTH") or 0), _MAX_BODY)
            form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
            token = (form.get("t") or [""])[0]
        try:
            request = signer.verify(token)
        except InvalidToken:
            return respond(start, "400 Bad Request", _page(
                "This link is not valid",
                "<p>The unsubscribe link is incomplete or was changed. Please use the link from "
                "the most recent email, or reply to it and ask to be removed.</p>", language))
        if method == "GET":
            form = (f'<form method="post" action="?t={html.escape(token)}">'
                    '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
                    '<button type="submit">Unsubscribe</button></form>')
            return respond(start, "200 OK", _page(
                f"Unsubscribe from {site_title}?",
                f"<p>Stop sending <strong>{html.escape(request.channel)}</strong> emails to "
                f"<strong>{html.escape(request.email)}</strong>?</p>{form}", language))
        if method != "POST":
            start("405 Method Not Allowed", [("Allow", "GET, POST"), ("Content-Length", "0")])
            return [b""]
        on_unsubscribe(request)
        return respond(start, "200 OK", _page(
            "You are unsubscribed",
            f"<p>{html.escape(request.email)} will get no more {html.escape(request.channel)} "
            f"emails from {html.escape(site_title)}.</p>", language))

    def static(path: str, start: Callable[..., Any]) -> list[bytes]:
        if dist_dir is None:
            return respond(start, "404 Not Found", _page("Not found", ""))
        root = dist_dir.resolve()
        target = (root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(root) or not target.is_file():
            return respond(start, "404 Not Found", _page("Not found", "<p>Run trustpublish build.</p>"))
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return respond(start, "200 OK", target.read_bytes(), kind)

    def app(environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path.rstrip("/") == "/unsubscribe":
            return unsubscribe(environ, start)
        if subscribe is not None and (path.rstrip("/") == "/subscribe"
                                      or path.startswith("/subscribe/")):
            return subscribe(environ, start)
        if bounces is not None and path.startswith("/bounces/"):
            return bounces(environ, start)
        if path.startswith("/preview"):
            return static(path, start)
        if path.startswith("/dist/"):
            return static(path.removeprefix("/dist"), start)
        if path == "/":
            start("302 Found", [("Location", "/preview/"), ("Content-Length", "0")])
            return [b""]
        return respond(start, "404 Not Found", _page("Not found", ""))

    return app


def serve(app: Callable[..., Iterable[bytes]], host: str, port: int) -> Any:
    """A threaded WSGI server (stdlib); the caller runs ``serve_forever()``."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # request lines carry tokens: never log them

    return make_server(host, port, app, server_class=Server, handler_class=QuietHandler)
