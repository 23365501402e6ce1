"""Posts and excerpts → format-neutral feed data (:class:`FeedInfo`, :class:`FeedItem`).

Pure functions. Every piece of HTML that goes into an item is rendered from Markdown
with :func:`trustpublish.content.markup.to_html` and then passed through
:func:`trustpublish.content.sanitize.clean_html`, so no script, event handler or
``javascript:`` link can reach a feed reader.

Ids
---
:func:`tag_uri` builds RFC 4151 tag URIs: ``tag:<host>,<YYYY-MM-DD>:<path>`` where
``host`` is the domain of ``site.url``, the date is the post's first-publication
date (its ``date:`` front matter, in the post's own timezone) and ``path`` is the
site URL's path plus the post slug (plus ``/<section anchor>`` for an excerpt).
None of these change when a post's text is edited or other posts are added.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mimetypes
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from ...content.markup import to_html
from ...content.model import Excerpt, Post, Site
from ...content.sanitize import clean_html, is_web_url
from ...content.text import teaser

__all__ = [
    "FeedInfo", "FeedItem", "Enclosure", "tag_uri", "post_item", "excerpt_item",
    "feed_base_url", "content_hash",
]


@dataclass(frozen=True)
class Enclosure:
    """An attached image: absolute URL and MIME type (length unknown: 0)."""

    url: str
    type: str
    alt: str = ""


@dataclass(frozen=True)
class FeedItem:
    """One feed entry, the same for RSS, Atom and JSON Feed.

    ``updated`` is filled in by :func:`trustpublish.render.feeds.dates.resolve_updated`; until
    then it equals ``published``.
    """

    id: str
    title: str
    url: str
    content_html: str
    summary: str
    author: str
    published: dt.datetime
    updated: dt.datetime
    categories: tuple[str, ...] = ()
    image: Enclosure | None = None
    language: str | None = None
    #: an explicit ``updated:`` from the post's front matter (wins over the content record)
    stated_updated: dt.datetime | None = None


@dataclass(frozen=True)
class FeedInfo:
    """Feed-level data. ``self_url`` is the address of the document being written.

    ``urls`` maps each format (``rss``, ``atom``, ``json``) to the address of the
    subscription (current) document, so a document can point at its siblings.
    Archive fields follow RFC 5005: ``archive`` marks an archive document,
    ``current_url`` points at the subscription document, ``prev_archive`` /
    ``next_archive`` at the older / newer archive page.
    """

    id: str
    title: str
    description: str
    home_url: str
    language: str
    author: str
    updated: dt.datetime
    self_url: str
    hub: str | None = None
    archive: bool = False
    current_url: str | None = None
    prev_archive: str | None = None
    next_archive: str | None = None
    urls: dict[str, str] = field(default_factory=dict)


def feed_base_url(site: Site) -> str:
    """Where ``dist/feeds/`` is served: ``site.feed_url``, else ``<site.url>/feeds``."""
    return (site.feed_url or f"{site.url}/feeds").rstrip("/")


def tag_uri(site_url: str, date: dt.date, path: str) -> str:
    """``tag:<host>,<YYYY-MM-DD>:<site path>/<path>`` (RFC 4151)."""
    host, base = _tag_site(site_url)
    specific = "/".join(p for p in (base, path.strip("/")) if p)
    return f"tag:{host},{date.isoformat()}:{specific}"


@lru_cache(maxsize=8)
def _tag_site(site_url: str) -> tuple[str, str]:
    """(host, path) of the site in its tag URIs (one site, thousands of entries)."""
    parts = urlsplit(site_url)
    return (parts.hostname or "localhost").lower(), parts.path.strip("/")


def _enclosure(post: Post) -> Enclosure | None:
    if not post.image:
        return None
    url = urljoin(post.url, post.image)
    if not is_web_url(url):  # never javascript:, data:, file: (checked on read, too)
        return None
    mime = mimetypes.guess_type(urlsplit(url).path)[0] or "image/jpeg"
    return Enclosure(url=url, type=mime, alt=post.image_alt)


def _author(post: Post, site: Site) -> str:
    return post.author or site.author or site.title


def _plain_summary(post: Post) -> str:
    if post.summary:
        return post.summary
    text = " ".join(b.text for b in post.body if b.kind in ("paragraph", "quote"))
    return teaser(text)


def post_item(post: Post, site: Site, *, content_html: str | None = None,
              summary: str | None = None) -> FeedItem:
    """The feed entry of a whole post: full sanitized content plus a plain summary.

    ``content_html`` and ``summary``, when given, are used as they are (computed
    earlier by this function, or left empty for a stub that only orders and dates).
    """
    return FeedItem(
        id=tag_uri(site.url, post.date.date(), post.slug),
        title=post.title,
        url=post.url,
        content_html=(clean_html(to_html(post.markdown)) if content_html is None
                      else content_html),
        summary=_plain_summary(post) if summary is None else summary,
        author=_author(post, site),
        published=post.date,
        updated=post.date,
        categories=post.tags,
        image=_enclosure(post),
        language=post.language or site.language,
        stated_updated=post.updated,
    )


def excerpt_item(excerpt: Excerpt, post: Post, site: Site, *, channel: str,
                 slot: dt.datetime) -> FeedItem:
    """The feed entry of one excerpt, published at its slot time.

    The content is the excerpt's sanitized HTML followed by a "Continue reading" link
    (the canonical URL with ``utm_medium=feed`` and ``utm_source=<channel>``).
    """
    link = excerpt.link(channel, medium="feed")
    body = to_html(excerpt.body)
    more = f'<p><a href="{_attr(link)}">Continue reading “{_text(post.title)}”</a></p>'
    title = excerpt.title if excerpt.title and excerpt.title != post.title else post.title
    return FeedItem(
        id=tag_uri(site.url, post.date.date(), excerpt.id),
        title=title,
        url=link,
        content_html=clean_html(body + "\n" + more),
        summary=excerpt.teaser,
        author=_author(post, site),
        published=slot,
        updated=slot,
        categories=post.tags,
        image=_enclosure(post),
        language=post.language or site.language,
        stated_updated=None,
    )


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


def content_hash(item: FeedItem) -> str:
    """A hash of what a reader sees (not the dates): changes only when content changes."""
    data = [item.title, item.url, item.content_html, item.summary, item.author,
            list(item.categories), item.image.url if item.image else None]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:32]
