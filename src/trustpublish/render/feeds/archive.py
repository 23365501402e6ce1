"""RFC 5005 paged archives: cap the subscription feed and keep older entries in stable pages.

:func:`paginate` takes the items newest first and a limit ``L``:

* the subscription (current) document always holds the newest ``min(n, L)`` entries;
* older entries go to archive pages of exactly ``L`` entries, numbered from the
  oldest (page 1 = the ``L`` oldest entries). Only full pages are written, so a page,
  once written, never changes when new posts arrive (it changes only if one of its
  own posts is edited). The newest archive page may overlap the current document by
  up to ``L - 1`` entries, which RFC 5005 allows: readers merge by entry id.

Links: the current document carries ``prev-archive`` → the newest page; page ``i``
carries ``current`` → the subscription document, ``prev-archive`` → page ``i-1``
and ``next-archive`` → page ``i+1``, plus ``<fh:archive/>``. JSON Feed uses
``next_url`` for the same older-page chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from .items import FeedItem

__all__ = ["Pages", "paginate", "archive_name", "FORMATS"]

#: format → (subscription file name, archive file name pattern)
FORMATS: dict[str, tuple[str, str]] = {
    "rss": ("rss.xml", "rss-{n}.xml"),
    "atom": ("atom.xml", "atom-{n}.xml"),
    "json": ("feed.json", "feed-{n}.json"),
}


@dataclass(frozen=True)
class Pages:
    """``current`` newest first; ``archives[0]`` is page 1 (the oldest), each newest first."""

    current: list[FeedItem]
    archives: list[list[FeedItem]]


def paginate(items: list[FeedItem], limit: int | None) -> Pages:
    """Split newest-first ``items`` into the capped current document and full archive pages."""
    if limit is None or len(items) <= limit:
        return Pages(current=list(items), archives=[])
    if limit < 1:
        raise ValueError("limit must be at least 1")
    oldest_first = list(reversed(items))
    n = len(items)
    pages = -(-n // limit) - 1  # ceil(n / L) - 1 full pages cover everything before the cap
    archives = [list(reversed(oldest_first[i * limit:(i + 1) * limit])) for i in range(pages)]
    return Pages(current=list(items[:limit]), archives=archives)


def archive_name(fmt: str, number: int) -> str:
    """File name of archive page ``number`` (1-based) for ``fmt`` (under ``archive/``)."""
    return "archive/" + FORMATS[fmt][1].format(n=number)
