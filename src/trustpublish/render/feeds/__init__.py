"""Feeds (README: "Feeds"): RSS 2.0 and Atom 1.0 through feedgen, JSON Feed 1.1, RFC 5005 archives.

The core is pure: :mod:`.items` turns posts and excerpts into :class:`FeedItem` objects,
:mod:`.dates` decides each entry's ``updated`` time from a small content-hash record,
:mod:`.build` and :mod:`.jsonfeed` turn (:class:`FeedInfo`, items) into bytes, and
:mod:`.archive` pages a long feed. Nothing in the core reads the clock: ``now`` is
passed in. I/O lives at the edges: :mod:`.builder` (the ``trustpublish build`` step,
reading and writing files) and :mod:`.websub` (the hub ping, the one network call).

Entry ids are tag: URIs (RFC 4151) made of the site's domain, the post's
first-publication date and its path, e.g.
``tag:harborview-counseling.example,2025-01-21:blog/<slug>`` for a post and
``.../blog/<slug>/<section>`` for an excerpt, so they never change when the site is
rebuilt, a post is edited, or posts are added.
"""

from __future__ import annotations

from .items import FeedInfo, FeedItem, post_item, tag_uri

__all__ = ["FeedInfo", "FeedItem", "post_item", "tag_uri"]
