"""Posts, blocks and excerpts as plain JSON values, and back (for the content cache).

Only JSON types go in and come out, so a cache file can be read without running
anything it contains. Datetimes keep their zone: ``[iso text, zone key or null]``;
an excerpt keeps its blocks, and its ``body`` and ``text`` are rebuilt from them
(they are the blocks joined by blank lines, see :func:`trustpublish.content.split.split_post`).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..content.model import Block, Excerpt, Post

__all__ = ["when_out", "when_in", "meta_out", "post_in", "blocks_out", "blocks_in",
           "excerpt_out", "excerpt_in"]


def when_out(value: dt.datetime | None) -> list[Any] | None:
    if value is None:
        return None
    zone = value.tzinfo
    return [value.isoformat(), _shared(zone.key) if isinstance(zone, ZoneInfo) else None]


def _shared(value: Any) -> Any:
    """``value``, as the one copy of that string this process holds (:func:`sys.intern`):
    for the values many posts repeat (zone, author, status, tags), so that the index of a
    thousand posts keeps one of each (a parse worker's interned strings come back as the
    parent's, see :mod:`.parse`)."""
    return sys.intern(value) if type(value) is str else value


def when_in(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value[0])
    return parsed.astimezone(ZoneInfo(value[1])) if value[1] else parsed


def meta_out(post: Post) -> dict[str, Any]:
    """Everything of ``post`` except its body and source path."""
    return {"title": post.title, "date": when_out(post.date), "slug": post.slug, "url": post.url,
            "summary": post.summary, "author": _shared(post.author),
            "tags": [_shared(tag) for tag in post.tags],
            "image": post.image, "image_alt": post.image_alt, "status": _shared(post.status),
            "publish_after": when_out(post.publish_after),
            "channels": [_shared(c) for c in post.channels] if post.channels is not None else None,
            "language": _shared(post.language), "updated": when_out(post.updated),
            "privacy_ok": list(post.privacy_ok),
            "hold": [[channel, list(refs)] for channel, refs in post.hold],
            "notes": [[line, message] for line, message in post.notes]}


def post_in(meta: dict[str, Any], source: Path, body: Any) -> Post:
    """The post of :func:`meta_out` with ``body`` (blocks, or a lazy sequence of them)."""
    return Post(source=source, title=meta["title"], date=when_in(meta["date"]),
                slug=meta["slug"], url=meta["url"], body=body, summary=meta["summary"],
                author=meta["author"], tags=tuple(meta["tags"]), image=meta["image"],
                image_alt=meta["image_alt"], status=meta["status"],
                publish_after=when_in(meta["publish_after"]),
                channels=tuple(meta["channels"]) if meta["channels"] is not None else None,
                language=meta["language"], updated=when_in(meta["updated"]),
                privacy_ok=tuple(meta["privacy_ok"]),
                hold=tuple((str(c), tuple(refs)) for c, refs in meta.get("hold", ())),
                notes=tuple((int(line), str(message)) for line, message in meta.get("notes", ())))


def blocks_out(blocks: Sequence[Block]) -> list[list[Any]]:
    return [[b.kind, b.markdown, b.text, b.line, b.level] for b in blocks]


def blocks_in(values: list[list[Any]]) -> tuple[Block, ...]:
    return tuple(Block(kind, markdown, text, line, level)
                 for kind, markdown, text, line, level in values)


def excerpt_out(excerpt: Excerpt) -> dict[str, Any]:
    return {"id": excerpt.id, "post_slug": excerpt.post_slug, "anchor": excerpt.anchor,
            "title": excerpt.title, "teaser": excerpt.teaser, "words": excerpt.words,
            "position": excerpt.position, "total": excerpt.total, "url": excerpt.url,
            "blocks": blocks_out(excerpt.blocks)}


def excerpt_in(value: dict[str, Any]) -> Excerpt:
    blocks = blocks_in(value["blocks"])
    return Excerpt(id=value["id"], post_slug=value["post_slug"], anchor=value["anchor"],
                   title=value["title"], body="\n\n".join(b.markdown for b in blocks),
                   text="\n\n".join(b.text for b in blocks), teaser=value["teaser"],
                   words=value["words"], position=value["position"], total=value["total"],
                   url=value["url"], blocks=blocks)
