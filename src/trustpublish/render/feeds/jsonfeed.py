"""(FeedInfo, items) → JSON Feed 1.1 bytes (https://www.jsonfeed.org/version/1.1/).

Pure. Keys are written in a fixed order and dates as RFC 3339 with their offset, so
the same input gives the same bytes. The entry ``id`` is the same tag: URI as in
RSS and Atom. ``hubs`` lists the WebSub hub; ``next_url`` points at the next older
archive page (RFC 5005 ``prev-archive``) when the feed is paged.
"""

from __future__ import annotations

import json
from typing import Any

from .items import FeedInfo, FeedItem

__all__ = ["json_feed_bytes", "item_contents", "VERSION_URL"]

VERSION_URL = "https://jsonfeed.org/version/1.1"


def _item(item: FeedItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_html": item.content_html,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "authors": [{"name": item.author}],
    }
    if item.image is not None:
        out["image"] = item.image.url
    if item.categories:
        out["tags"] = list(item.categories)
    if item.language:
        out["language"] = item.language
    return out


def json_feed_bytes(info: FeedInfo, items: list[FeedItem]) -> bytes:
    """A JSON Feed 1.1 document, UTF-8, indented, ending with a newline."""
    doc: dict[str, Any] = {
        "version": VERSION_URL,
        "title": info.title,
        "home_page_url": info.home_url,
        "feed_url": info.urls.get("json", info.self_url),
    }
    if info.description:
        doc["description"] = info.description
    if info.prev_archive:
        doc["next_url"] = info.prev_archive
    doc["language"] = info.language
    doc["authors"] = [{"name": info.author}]
    if info.hub:
        doc["hubs"] = [{"type": "WebSub", "url": info.hub}]
    doc["items"] = [_item(i) for i in items]
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def item_contents(data: bytes) -> dict[str, tuple[str, str]]:
    """Item id → (``content_html``, ``summary``) of a JSON Feed document, read back.

    Made for the documents :func:`json_feed_bytes` wrote (JSON keeps every string as it
    was). Anything else gives what it can: items without an id or with a missing or
    non-string field are left out, and bytes that are not a JSON Feed give ``{}``.
    """
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    items = doc.get("items") if isinstance(doc, dict) else None
    found: dict[str, tuple[str, str]] = {}
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        fields = (item.get("id"), item.get("content_html"), item.get("summary"))
        if all(isinstance(value, str) for value in fields):
            found[fields[0]] = (fields[1], fields[2])
    return found
