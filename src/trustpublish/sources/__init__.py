"""Incoming adapters: the clinic's existing blog → entries (PRODUCT: "sources").

The only intake code that touches the network (besides ``import URL``). Each adapter
fetches one source with a conditional GET (``If-None-Match`` / ``If-Modified-Since``),
a timeout and a size cap, and returns plain :class:`Entry` values; deciding what to
write into ``posts/`` is :mod:`trustpublish.actions.sync`'s job. Every network or
server problem becomes :class:`SourceUnavailable` (one line, no traceback), which
``sync`` reports as a warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import TrustpublishError

__all__ = [
    "Entry",
    "FetchResult",
    "SourceSpec",
    "SourceUnavailable",
    "fetch_source",
    "sources_from_config",
]

DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 5_000_000


class SourceUnavailable(TrustpublishError):
    """A source could not be read now (server down, timeout, HTTP error, too large, not a feed)."""

    kind = "Source"


@dataclass(frozen=True)
class SourceSpec:
    """One entry of ``sources:`` in schedule.yaml."""

    name: str
    url: str
    type: str = "feed"
    status: str = "review"
    fetch_pages: str = "auto"
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES


def sources_from_config(raw: list[dict[str, Any]] | None) -> list[SourceSpec]:
    """``sources:`` (already validated by the schema) as SourceSpecs; names default to the host."""
    specs: list[SourceSpec] = []
    for item in raw or []:
        host = urlsplit(str(item["url"])).hostname or "source"
        specs.append(SourceSpec(
            name=str(item.get("name") or host.replace(".", "-")), url=str(item["url"]),
            type=str(item.get("type", "feed")), status=str(item.get("status", "review")),
            fetch_pages=str(item.get("fetch_pages", "auto")),
            timeout=float(item.get("timeout", DEFAULT_TIMEOUT)),
            max_bytes=int(item.get("max_bytes", DEFAULT_MAX_BYTES))))
    return specs


@dataclass(frozen=True)
class Entry:
    """One article of a source. ``key`` is the source's own stable id (feed guid, WordPress id).

    ``html`` is the full article body when the source carries it ("" when it only has a
    summary); ``summary`` is plain text.
    """

    key: str
    title: str
    link: str
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    author: str = ""
    summary: str = ""
    html: str = ""
    tags: tuple[str, ...] = ()
    image: str = ""
    image_alt: str = ""
    slug_hint: str = ""


@dataclass
class FetchResult:
    """What a fetch found. ``complete`` is True when ``entries`` is every article of the
    source (a WordPress site), False for a feed (it only lists the latest ones)."""

    not_modified: bool
    entries: list[Entry] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    complete: bool = False


def fetch_source(spec: SourceSpec, session: Any, *, etag: str | None = None,
                 last_modified: str | None = None) -> FetchResult:
    """Fetch ``spec`` with the adapter of its type; raises SourceUnavailable."""
    if spec.type == "wordpress":
        from .wordpress import fetch_wordpress

        return fetch_wordpress(spec, session, etag=etag, last_modified=last_modified)
    from .feed import fetch_feed

    return fetch_feed(spec, session, etag=etag, last_modified=last_modified)
