"""A threaded standard-library WSGI server for the studio (any WSGI server works too)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _make_server

__all__ = ["make_server"]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # request lines carry login tokens: never log them


def make_server(app: Callable[..., Iterable[bytes]], host: str, port: int) -> Any:
    """A bound server; the caller runs ``serve_forever()``. ``port`` 0 picks a free one."""
    return _make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
