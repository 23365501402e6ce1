"""RSS 2.0 / Atom 1.0 / RSS 1.0 feeds, parsed by feedparser (fetched by :mod:`.http`)."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from typing import Any

from . import Entry, FetchResult, SourceSpec, SourceUnavailable
from .http import get

__all__ = ["fetch_feed", "parse_feed"]

_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
           "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")


def _when(entry: Any, name: str) -> dt.datetime | None:
    parsed = dict.get(entry, f"{name}_parsed")  # not .get: feedparser maps updated→published
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC)


def _text(html: str) -> str:
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(html or "", "html.parser").get_text(" ").split())


def _image(entry: Any) -> tuple[str, str]:
    for media in entry.get("media_content", []) + entry.get("media_thumbnail", []):
        url = media.get("url", "")
        if url.startswith(("http://", "https://")) and media.get("medium", "image") == "image":
            return url, ""
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return str(link.get("href", "")), ""
    return "", ""


def parse_feed(body: bytes, url: str) -> list[Entry]:
    """The entries of a feed document; raises SourceUnavailable when it is not a feed."""
    import feedparser

    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise SourceUnavailable(f"{url} is not an RSS or Atom feed"
                                + (f" ({type(problem).__name__})" if problem else ""),
                                hint="give the feed's address (often /feed or /rss.xml)")
    entries: list[Entry] = []
    for item in parsed.entries:
        link = str(item.get("link") or "")
        key = str(item.get("id") or link or hashlib.sha256(
            str(item.get("title", "")).encode()).hexdigest()[:16])
        contents = item.get("content") or []
        html = max((c.get("value", "") for c in contents), key=len, default="")
        summary_html = str(item.get("summary") or "")
        summary = _text(summary_html)
        image, alt = _image(item)
        entries.append(Entry(
            key=key, title=" ".join(str(item.get("title") or "").split()), link=link,
            published=_when(item, "published") or _when(item, "updated"),
            updated=_when(item, "updated"), author=str(item.get("author") or ""),
            summary=summary, html=html,
            tags=tuple(str(t.get("term")) for t in item.get("tags", []) if t.get("term")),
            image=image, image_alt=alt))
    return entries


def fetch_feed(spec: SourceSpec, session: Any, *, etag: str | None = None,
               last_modified: str | None = None) -> FetchResult:
    """Fetch and parse the feed at ``spec.url`` (conditional GET)."""
    got = get(session, spec.url, timeout=spec.timeout, max_bytes=spec.max_bytes, etag=etag,
              last_modified=last_modified, accept=_ACCEPT)
    if got.status == 304:
        return FetchResult(True, etag=etag, last_modified=last_modified)
    return FetchResult(False, parse_feed(got.body, spec.url), got.etag, got.last_modified)
