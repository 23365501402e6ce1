"""GET with a timeout, a size cap, conditional headers and one-line errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import SourceUnavailable

__all__ = ["USER_AGENT", "Fetched", "get", "new_session"]

USER_AGENT = "trustpublish-sync (+https://github.com/trustpublish)"


@dataclass(frozen=True)
class Fetched:
    """A response: status (200 or 304), headers we use, and the body (empty for 304)."""

    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str
    encoding: str | None


def new_session() -> Any:
    """A requests Session with our User-Agent."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def get(session: Any, url: str, *, timeout: float, max_bytes: int, etag: str | None = None,
        last_modified: str | None = None, accept: str = "*/*",
        ok: tuple[int, ...] = (200,)) -> Fetched:
    """GET ``url``; 304 when the conditional headers match. Anything else raises
    SourceUnavailable naming the address and what went wrong (never a secret: the
    query string is left out of messages)."""
    import requests

    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    shown = url.split("?", 1)[0]
    try:
        with session.get(url, headers=headers, timeout=timeout, stream=True,
                         allow_redirects=True) as response:
            if response.status_code == 304:
                return Fetched(304, b"", etag, last_modified, "", None)
            if response.status_code not in ok:
                raise SourceUnavailable(f"{shown} answered HTTP {response.status_code}")
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise SourceUnavailable(f"{shown} is {declared} bytes, more than max_bytes "
                                        f"({max_bytes})", hint="raise `max_bytes` for this source")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > max_bytes:
                    raise SourceUnavailable(f"{shown} is more than max_bytes ({max_bytes})",
                                            hint="raise `max_bytes` for this source")
                chunks.append(chunk)
            return Fetched(response.status_code, b"".join(chunks),
                           response.headers.get("ETag"), response.headers.get("Last-Modified"),
                           response.headers.get("Content-Type", ""), response.encoding)
    except requests.Timeout:
        raise SourceUnavailable(f"{shown} did not answer within {timeout:g} s") from None
    except requests.ConnectionError:
        raise SourceUnavailable(f"could not connect to {shown}") from None
    except requests.RequestException as exc:
        raise SourceUnavailable(f"could not fetch {shown}: {type(exc).__name__}") from None


def status_of(session: Any, url: str, *, timeout: float) -> int | None:
    """The HTTP status of ``url`` (redirects followed), or None when it cannot be reached."""
    import requests

    try:
        with session.get(url, timeout=timeout, stream=True, allow_redirects=True) as response:
            return int(response.status_code)
    except requests.RequestException:
        return None
