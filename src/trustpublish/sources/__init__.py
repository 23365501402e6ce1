"""Incoming adapters: the clinic's existing blog → entries (``sources:`` in schedule.yaml).

The only intake code that touches the network (besides ``import URL``). Each adapter
fetches one source with a conditional GET (``If-None-Match`` / ``If-Modified-Since``),
a timeout and a size cap, and returns plain :class:`Entry` values; deciding what to
write into ``posts/`` is :mod:`trustpublish.actions.sync`'s job. Every network or
server problem becomes :class:`SourceUnavailable` (one line, no traceback), which
``sync`` reports as a warning.
"""

from __future__ import annotations

from typing import Any

from .model import Entry, FetchResult, SourceSpec, SourceUnavailable, sources_from_config

__all__ = [
    "Entry",
    "FetchResult",
    "SourceSpec",
    "SourceUnavailable",
    "fetch_source",
    "sources_from_config",
]


def fetch_source(spec: SourceSpec, session: Any, *, etag: str | None = None,
                 last_modified: str | None = None) -> FetchResult:
    """Fetch ``spec`` with the adapter of its type; raises SourceUnavailable."""
    if spec.type == "wordpress":
        from .wordpress import fetch_wordpress

        return fetch_wordpress(spec, session, etag=etag, last_modified=last_modified)
    from .feed import fetch_feed

    return fetch_feed(spec, session, etag=etag, last_modified=last_modified)
