"""The content model: plain, immutable data shared by every stage.

A :class:`Post` is what a reader produced from one file: metadata plus an ordered
list of :class:`Block` (headings, paragraphs, lists, tables, code, quotes), each
keeping its Markdown source and the source line it came from. The splitter turns
a post into :class:`Excerpt` objects. Nothing here does I/O or reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

BlockKind = Literal["heading", "paragraph", "list", "table", "code", "quote", "rule", "html"]
Status = Literal["draft", "review", "approved"]
STATUSES: tuple[str, ...] = ("draft", "review", "approved")

#: Blocks that are never cut in half by the splitter.
UNSPLITTABLE: frozenset[str] = frozenset({"list", "table", "code", "quote", "html"})


@dataclass(frozen=True)
class Block:
    """One block of a post body.

    ``markdown`` is the block's Markdown source (headings without the ``#`` marks are
    in ``text``); ``text`` is its plain-text reading; ``line`` is the 1-based line in
    the source file (0 when unknown); ``level`` is set for headings (2..6).
    """

    kind: BlockKind
    markdown: str
    text: str
    line: int = 0
    level: int = 0


@dataclass(frozen=True)
class Site:
    """The ``site`` section of schedule.yaml."""

    title: str
    url: str
    timezone: str = "UTC"
    language: str = "en"
    postal_address: str = ""
    author: str = ""
    description: str = ""
    websub_hub: str | None = None
    feed_url: str | None = None


@dataclass(frozen=True)
class Post:
    """An article read from ``posts/``.

    ``date`` is timezone-aware, or ``None`` for a draft or a post in review that has
    no date yet (an approved post always has one: the readers refuse it otherwise).
    ``url`` is the canonical link on the clinic's site. ``body`` is the ordered list
    of blocks (the title is not part of it). ``notes`` are ``(line, message)`` remarks
    for ``check`` that never block the post (front-matter fields that are kept but not
    used, a missing date on a draft). ``hold`` is the front matter's ``hold:`` as
    ``(channel, (excerpt anchor or id, ...))`` pairs: those excerpts are kept out of that
    channel.
    """

    source: Path
    title: str
    date: dt.datetime | None
    slug: str
    url: str
    body: tuple[Block, ...]
    summary: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    image: str | None = None
    image_alt: str = ""
    status: Status = "draft"
    publish_after: dt.datetime | None = None
    channels: tuple[str, ...] | None = None
    language: str | None = None
    updated: dt.datetime | None = None
    privacy_ok: tuple[str, ...] = ()
    notes: tuple[tuple[int, str], ...] = ()
    hold: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def markdown(self) -> str:
        """The body as one Markdown document."""
        return "\n\n".join(b.markdown for b in self.body) + "\n"


@dataclass(frozen=True)
class Excerpt:
    """A digest-sized piece of one post.

    ``id`` is ``<post slug>/<section anchor>`` (``-part-N`` appended when a long
    section is split), stable under edits to other sections. ``body`` is Markdown,
    ``text`` plain text (subheadings included, title excluded). ``url`` is the
    canonical read-more link with the section anchor and no tracking parameters;
    use :meth:`link` for a channel's link with UTM parameters.
    """

    id: str
    post_slug: str
    anchor: str
    title: str
    body: str
    text: str
    teaser: str
    words: int
    position: int
    total: int
    url: str
    blocks: tuple[Block, ...] = field(default=(), repr=False)

    @property
    def position_label(self) -> str:
        return f"{self.position} of {self.total}"

    def link(self, channel: str, medium: str = "social", campaign: str | None = None) -> str:
        """The read-more URL with ``utm_source``/``utm_medium``/``utm_campaign`` for a channel."""
        return with_utm(self.url, source=channel, medium=medium, campaign=campaign or self.post_slug)


def with_utm(url: str, *, source: str, medium: str, campaign: str) -> str:
    """Add UTM parameters to ``url``, keeping its fragment and other query parameters."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.startswith("utm_")]
    query += [("utm_source", source), ("utm_medium", medium), ("utm_campaign", campaign)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
