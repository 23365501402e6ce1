"""(FeedInfo, items) → RSS 2.0 or Atom 1.0 bytes, through feedgen (the only module using it).

feedgen stamps "now" into ``lastBuildDate``/``updated`` unless told otherwise; every
time here is passed explicitly from the data, so the same input gives the same
bytes. Items are written in the order given (callers pass newest first).

What feedgen 1.0 cannot express is added by a small feedgen extension
(:class:`_Extras`): ``<atom:link rel="hub">`` and the RFC 5005 archive links and
``<fh:archive/>`` marker, the entry's author name in RSS (``dc:creator``, since RSS
``<author>`` must be an e-mail address), the RSS ``<enclosure>`` and the Atom
``<link rel="enclosure">`` for the post image (feedgen's own Atom entry links drop
``rel``/``type``, which would turn an enclosure into a second ``alternate`` link).
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from .items import Enclosure, FeedInfo, FeedItem

__all__ = ["rss_bytes", "atom_bytes", "GENERATOR"]

GENERATOR = "trustpublish"
ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
FH_NS = "http://purl.org/syndication/history/1.0"


class _Extras(BaseExtension):
    """Feed-level links feedgen 1.0 does not write (hub, RFC 5005)."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []  # (rel, href)
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        ns = {"dc": DC_NS}
        if self.archive:
            ns["fh"] = FH_NS
        return ns

    def _add(self, parent: Any, link_tag: str) -> None:
        for rel, href in self.links:
            etree.SubElement(parent, link_tag, rel=rel, href=href)
        if self.archive:
            etree.SubElement(parent, f"{{{FH_NS}}}archive")

    def extend_atom(self, feed: Any) -> Any:
        self._add(feed, "link")  # feedgen's Atom root is in the default namespace
        return feed

    def extend_rss(self, feed: Any) -> Any:
        self._add(feed.find("channel"), f"{{{ATOM_NS}}}link")
        return feed


class _EntryExtras(BaseEntryExtension):
    """Entry-level additions: RSS ``dc:creator`` and the image enclosure in both formats."""

    def __init__(self) -> None:
        self.creator: str | None = None
        self.image: Enclosure | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.image is not None:
            etree.SubElement(entry, "link", rel="enclosure", href=self.image.url,
                             type=self.image.type, length="0")
        return entry

    def extend_rss(self, entry: Any) -> Any:
        if self.creator:
            etree.SubElement(entry, f"{{{DC_NS}}}creator").text = self.creator
        if self.image is not None:
            etree.SubElement(entry, "enclosure", url=self.image.url, length="0",
                             type=self.image.type)
        return entry


def _generator(info: FeedInfo, items: list[FeedItem], kind: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("tp", _Extras, _EntryExtras)
    fg.id(info.id)
    fg.title(info.title)
    fg.description(info.description or info.title)
    if kind == "atom" and info.description:
        fg.subtitle(info.description)
    mime = "application/atom+xml" if kind == "atom" else "application/rss+xml"
    fg.link(href=info.self_url, rel="self", type=mime)
    fg.link(href=info.home_url, rel="alternate", type="text/html")  # last link = RSS <link>
    fg.language(info.language)
    fg.author({"name": info.author})
    fg.generator(GENERATOR)
    fg.updated(info.updated)
    fg.lastBuildDate(info.updated)
    extras: _Extras = fg.tp  # type: ignore[attr-defined]
    if info.hub:
        extras.links.append(("hub", info.hub))
    if info.current_url:
        extras.links.append(("current", info.current_url))
    if info.prev_archive:
        extras.links.append(("prev-archive", info.prev_archive))
    if info.next_archive:
        extras.links.append(("next-archive", info.next_archive))
    extras.archive = info.archive
    for item in items:
        fe = fg.add_entry(order="append")
        fe.id(item.id)
        fe.title(item.title)
        fe.link(href=item.url)
        fe.author({"name": item.author})
        fe.content(item.content_html, type="html")
        fe.summary(item.summary)
        fe.published(item.published)
        fe.updated(item.updated)
        if item.categories:  # one call: feedgen re-maps every category on each call
            fe.category([{"term": term, "label": term} for term in item.categories])
        entry_extras: _EntryExtras = fe.tp
        entry_extras.creator = item.author
        entry_extras.image = item.image
    return fg


def rss_bytes(info: FeedInfo, items: list[FeedItem]) -> bytes:
    """An RSS 2.0 document (UTF-8, pretty-printed, ``guid isPermaLink="false"`` = the tag id)."""
    return _generator(info, items, "rss").rss_str(pretty=True)


def atom_bytes(info: FeedInfo, items: list[FeedItem]) -> bytes:
    """An Atom 1.0 (RFC 4287) document (UTF-8, pretty-printed)."""
    return _generator(info, items, "atom").atom_str(pretty=True)
