"""RFC 5005 archives: the capped subscription feed and stable, linked archive pages."""

from __future__ import annotations

import datetime as dt
import json

import feedparser
import pytest
from support import make_project
from support.feeds import NOW, NS, build, feed_files, post_text, xml

from trustpublish.render.feeds.archive import paginate
from trustpublish.render.feeds.items import FeedItem

BASE = "https://harborview-counseling.example/blog/feeds"


def _item(n: int) -> FeedItem:
    when = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=n)
    return FeedItem(id=f"id-{n}", title=f"Post {n}", url=f"https://x/{n}", content_html="<p>x</p>",
                    summary="x", author="A", published=when, updated=when)


@pytest.mark.parametrize("n,limit", [(1, 3), (3, 3), (4, 3), (6, 3), (7, 3), (10, 1), (25, 4)])
def test_paginate_covers_everything_with_full_stable_pages(n: int, limit: int) -> None:
    items = [_item(i) for i in reversed(range(n))]  # newest first
    pages = paginate(items, limit)
    assert pages.current == items[:limit]
    covered = {i.id for page in pages.archives for i in page} | {i.id for i in pages.current}
    assert covered == {i.id for i in items}
    assert all(len(page) == limit for page in pages.archives)  # only full pages
    # page 1 holds the oldest entries; pages do not move when newer items arrive
    more = paginate([_item(i) for i in reversed(range(n + 2 * limit))], limit)
    assert more.archives[:len(pages.archives)] == pages.archives


def test_no_limit_means_one_document() -> None:
    items = [_item(i) for i in range(5)]
    assert paginate(items, None).archives == [] and paginate(items, None).current == items


def _posts(count: int) -> dict[str, str]:
    return {f"p{i}.md": post_text(f"Post {i}", f"2025-01-{i + 1:02d}", slug=f"post-{i}")
            for i in range(count)}


def test_capped_build_writes_linked_archive_pages(tmp_path) -> None:
    schedule = make_project(tmp_path, posts=_posts(7), rest="feeds: {limit: 3}\n")
    build(schedule)
    files = feed_files(tmp_path)
    assert sorted(files) == sorted(
        ["rss.xml", "atom.xml", "feed.json"]
        + [f"archive/{f}-{n}.{e}" for n in (1, 2) for f, e in
           (("rss", "xml"), ("atom", "xml"), ("feed", "json"))])
    current = feedparser.parse(files["atom.xml"])
    assert not current.bozo and len(current.entries) == 3
    assert {ln.rel: ln.href for ln in current.feed.links}["prev-archive"] == (
        f"{BASE}/archive/atom-2.xml")
    page1 = xml(files["archive/atom-1.xml"])
    page2 = xml(files["archive/atom-2.xml"])
    assert page1.find("fh:archive", NS) is not None and page2.find("fh:archive", NS) is not None
    links1 = {ln.get("rel"): ln.get("href") for ln in page1.findall("atom:link", NS)}
    links2 = {ln.get("rel"): ln.get("href") for ln in page2.findall("atom:link", NS)}
    assert links1["current"] == links2["current"] == f"{BASE}/atom.xml"
    assert links1["self"] == f"{BASE}/archive/atom-1.xml"
    assert links1["next-archive"] == f"{BASE}/archive/atom-2.xml" and "prev-archive" not in links1
    assert links2["prev-archive"] == f"{BASE}/archive/atom-1.xml" and "next-archive" not in links2
    titles = [e.findtext("atom:title", namespaces=NS) for e in page1.findall("atom:entry", NS)]
    assert titles == ["Post 2", "Post 1", "Post 0"]
    for name in ("archive/rss-1.xml", "archive/atom-2.xml"):
        assert not feedparser.parse(files[name]).bozo
    rss2 = xml(files["archive/rss-2.xml"]).find("channel")
    assert {ln.get("rel") for ln in rss2.findall("atom:link", NS)} == {
        "self", "current", "prev-archive"}
    assert json.loads(files["feed.json"])["next_url"] == f"{BASE}/archive/feed-2.json"
    assert json.loads(files["archive/feed-2.json"])["next_url"] == f"{BASE}/archive/feed-1.json"
    assert "next_url" not in json.loads(files["archive/feed-1.json"])

    # a new post: old archive pages are byte-identical, the current feed moves on
    (tmp_path / "posts" / "p7.md").write_text(
        post_text("Post 7", "2025-01-08", slug="post-7"), encoding="utf-8")
    build(schedule, now=NOW + dt.timedelta(days=1))
    after = feed_files(tmp_path)
    for name in ("archive/atom-1.xml", "archive/atom-2.xml", "archive/rss-1.xml"):
        assert after[name] == files[name]
    assert after["atom.xml"] != files["atom.xml"]

    # lowering nothing but raising the cap removes archive pages that no longer exist
    schedule.write_text(schedule.read_text().replace("limit: 3", "limit: 0"))
    build(schedule, now=NOW + dt.timedelta(days=2))
    assert sorted(feed_files(tmp_path)) == ["atom.xml", "feed.json", "rss.xml"]
    assert len(feedparser.parse(feed_files(tmp_path)["rss.xml"]).entries) == 8
