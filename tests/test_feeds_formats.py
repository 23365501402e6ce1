"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 from `trustpublish build`: parseable, complete, correct dates."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re

import feedparser
import pytest
from support import make_project
from support.feeds import DRAFT, FIRST, NOW, NS, SECOND, THIRD, build, xml

BASE = "https://harborview-counseling.example/blog/feeds"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
                    r"Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
IDS = [
    "tag:harborview-counseling.example,2025-03-11:blog/cultural-competence",
    "tag:harborview-counseling.example,2025-02-04:blog/confidentiality",
    "tag:harborview-counseling.example,2025-01-21:blog/building-trust",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("site")
    schedule = make_project(root, posts={"a.md": FIRST, "b.md": SECOND, "c.md": THIRD, "d.md": DRAFT})
    paths = build(schedule)
    folder = root / "dist" / "feeds"
    return {"paths": paths, "rss": (folder / "rss.xml").read_bytes(),
            "atom": (folder / "atom.xml").read_bytes(),
            "json": (folder / "feed.json").read_bytes(), "root": root}


def test_build_writes_the_three_feeds(built) -> None:
    names = sorted(p.name for p in built["paths"])
    assert names == ["atom.xml", "feed.json", "rss.xml"]
    assert all(p.parent == built["root"] / "dist" / "feeds" for p in built["paths"])


# feedparser 6.0 has no JSON Feed reader: feed.json is checked in test_json_feed_1_1_is_valid
@pytest.mark.parametrize("fmt,version", [("rss", "rss20"), ("atom", "atom10")])
def test_feedparser_reads_each_feed_without_bozo(built, fmt: str, version: str) -> None:
    parsed = feedparser.parse(built[fmt])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == version
    assert [e.id for e in parsed.entries] == IDS  # approved posts only, newest first
    assert parsed.feed.title == "Harborview Counseling"


def test_rss_required_and_recommended_elements(built) -> None:
    rss = xml(built["rss"])
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("title") == "Harborview Counseling"
    assert channel.findtext("link") == "https://harborview-counseling.example/blog"
    assert channel.findtext("description") == "Practical notes on therapy from the Harborview team."
    assert channel.findtext("language") == "en"
    assert channel.findtext("generator") == "trustpublish"
    self_links = [ln for ln in channel.findall("atom:link", NS) if ln.get("rel") == "self"]
    assert [(ln.get("href"), ln.get("type")) for ln in self_links] == [
        (f"{BASE}/rss.xml", "application/rss+xml")]
    last_build = channel.findtext("lastBuildDate")
    assert RFC822.match(last_build), last_build
    # the feed's date is its newest entry's, not the build clock
    assert email.utils.parsedate_to_datetime(last_build) == dt.datetime(
        2025, 3, 11, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    items = channel.findall("item")
    assert len(items) == 3
    for item in items:
        for tag in ("title", "link", "description", "guid", "pubDate", "dc:creator",
                    "content:encoded"):
            assert (item.findtext(tag, namespaces=NS) or "").strip(), tag
        assert item.find("guid").get("isPermaLink") == "false"
        pub = item.findtext("pubDate")
        assert RFC822.match(pub), pub
        assert email.utils.parsedate_to_datetime(pub).tzinfo is not None
        assert item.find("author") is None  # RSS <author> must be an e-mail; dc:creator instead
    first = items[2]
    assert first.findtext("title") == "Building trust in therapy"
    assert first.findtext("link") == ("https://harborview-counseling.example/blog/building-trust")
    assert first.findtext("description") == "Why trust is the heart of therapy."
    assert first.findtext("pubDate") == "Tue, 21 Jan 2025 00:00:00 -0600"
    assert [c.text for c in first.findall("category")] == ["trust", "therapy"]
    enclosure = first.find("enclosure")
    assert enclosure.attrib == {
        "url": "https://harborview-counseling.example/blog/images/trust.jpg",
        "length": "0", "type": "image/jpeg"}
    assert "<h2>Why it matters</h2>" in first.findtext("content:encoded", namespaces=NS)
    assert items[1].findtext("dc:creator", namespaces=NS) == "Dr. Ana Ruiz"
    assert items[0].findtext("dc:creator", namespaces=NS) == "Harborview Counseling Team"


def test_atom_required_and_recommended_elements(built) -> None:
    feed = xml(built["atom"])
    a = lambda tag: f"atom:{tag}"  # noqa: E731
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert feed.findtext(a("id"), namespaces=NS) == f"{BASE}/atom.xml"
    assert feed.findtext(a("title"), namespaces=NS) == "Harborview Counseling"
    assert feed.findtext(a("subtitle"), namespaces=NS).startswith("Practical notes")
    updated = feed.findtext(a("updated"), namespaces=NS)
    assert RFC3339.match(updated) and updated == "2025-03-11T08:00:00-05:00"
    assert feed.findtext("atom:author/atom:name", namespaces=NS) == "Harborview Counseling Team"
    links = {(ln.get("rel"), ln.get("href"), ln.get("type"))
             for ln in feed.findall(a("link"), namespaces=NS)}
    assert ("self", f"{BASE}/atom.xml", "application/atom+xml") in links
    assert ("alternate", "https://harborview-counseling.example/blog", "text/html") in links
    entries = feed.findall(a("entry"), namespaces=NS)
    assert [e.findtext(a("id"), namespaces=NS) for e in entries] == IDS
    for entry in entries:
        for tag in ("title", "updated", "published", "summary", "content"):
            assert (entry.findtext(a(tag), namespaces=NS) or "").strip(), tag
        for tag in ("updated", "published"):
            assert RFC3339.match(entry.findtext(a(tag), namespaces=NS))
        assert entry.findtext("atom:author/atom:name", namespaces=NS)
        assert entry.find(a("content"), namespaces=NS).get("type") == "html"
        alternates = [ln for ln in entry.findall(a("link"), namespaces=NS)
                      if ln.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1  # RFC 4287 §4.1.1: at most one alternate per type/lang
    first = entries[2]
    assert first.findtext(a("published"), namespaces=NS) == "2025-01-21T00:00:00-06:00"
    assert first.findtext(a("updated"), namespaces=NS) == "2025-01-21T00:00:00-06:00"
    assert [c.get("term") for c in first.findall(a("category"), namespaces=NS)] == [
        "trust", "therapy"]
    enclosure = [ln for ln in first.findall(a("link"), namespaces=NS)
                 if ln.get("rel") == "enclosure"]
    assert [(ln.get("href"), ln.get("type")) for ln in enclosure] == [
        ("https://harborview-counseling.example/blog/images/trust.jpg", "image/jpeg")]


def test_json_feed_1_1_is_valid(built) -> None:
    doc = json.loads(built["json"])
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] == "Harborview Counseling"  # required
    assert doc["home_page_url"] == "https://harborview-counseling.example/blog"
    assert doc["feed_url"] == f"{BASE}/feed.json"
    assert doc["language"] == "en"
    assert doc["authors"] == [{"name": "Harborview Counseling Team"}]
    assert "hubs" not in doc  # no hub configured
    assert isinstance(doc["items"], list) and len(doc["items"]) == 3  # required
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]  # required, a string
        assert item["content_html"] or item.get("content_text")  # one of them is required
        for key in ("date_published", "date_modified"):
            assert RFC3339.match(item[key])
            assert dt.datetime.fromisoformat(item[key]).tzinfo is not None
        assert set(item) <= {"id", "url", "external_url", "title", "content_html",
                             "content_text", "summary", "image", "banner_image",
                             "date_published", "date_modified", "authors", "tags",
                             "language", "attachments"}
    assert [i["id"] for i in doc["items"]] == IDS
    first = doc["items"][2]
    assert first["image"] == "https://harborview-counseling.example/blog/images/trust.jpg"
    assert first["tags"] == ["trust", "therapy"]


def test_feed_url_and_hub_come_from_schedule(tmp_path, httpserver) -> None:
    httpserver.expect_request("/hub", method="POST").respond_with_data("", status=204)
    hub = httpserver.url_for("/hub")
    schedule = make_project(tmp_path, posts={"a.md": FIRST}, site_extra=(
        "  feed_url: https://cdn.example/clinic-feeds/\n"
        f"  websub_hub: {hub}\n"))
    from trustpublish.actions.feed_files import build_feeds
    from trustpublish.render.feeds.items import FeedInfo
    from trustpublish.workspace.project import Project

    project = Project.load(schedule)
    build_feeds(project, NOW)
    folder = tmp_path / "dist" / "feeds"
    rss = xml((folder / "rss.xml").read_bytes()).find("channel")
    rels = {ln.get("rel"): ln.get("href") for ln in rss.findall("atom:link", NS)}
    assert rels == {"self": "https://cdn.example/clinic-feeds/rss.xml",
                    "hub": hub}
    atom = xml((folder / "atom.xml").read_bytes())
    rels = {ln.get("rel"): ln.get("href") for ln in atom.findall("atom:link", NS)}
    assert rels["self"] == "https://cdn.example/clinic-feeds/atom.xml"
    assert rels["hub"] == hub
    doc = json.loads((folder / "feed.json").read_bytes())
    assert doc["feed_url"] == "https://cdn.example/clinic-feeds/feed.json"
    assert doc["hubs"] == [{"type": "WebSub", "url": hub}]


def test_future_and_unapproved_posts_stay_out(tmp_path) -> None:
    later = FIRST.replace("date: 2025-01-21", "date: 2026-06-01")
    schedule = make_project(tmp_path, posts={"a.md": later, "b.md": SECOND, "d.md": DRAFT})
    build(schedule)
    parsed = feedparser.parse((tmp_path / "dist" / "feeds" / "atom.xml").read_bytes())
    assert [e.id for e in parsed.entries] == [IDS[1]]
    build(schedule, now=dt.datetime(2026, 6, 2, tzinfo=dt.timezone.utc))
    parsed = feedparser.parse((tmp_path / "dist" / "feeds" / "atom.xml").read_bytes())
    assert len(parsed.entries) == 2


def test_json_feed_items_read_back_exactly() -> None:
    from trustpublish.render.feeds.items import FeedInfo, FeedItem
    from trustpublish.render.feeds.jsonfeed import item_contents, json_feed_bytes

    when = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc)
    tricky = ["<p>a\r\nb\u2028c\x00 \"q\" \\ é 🙂</p>", "", "  spaced  \n"]
    items = [FeedItem(id=f"tag:x,2026-01-02:{i}", title="t", url="https://x.example/",
                      content_html=html, summary=html[::-1], author="a", published=when,
                      updated=when) for i, html in enumerate(tricky)]
    info = FeedInfo(id="tag:x", title="T", description="", home_url="https://x.example/",
                    language="en", author="A", updated=when, self_url="https://x.example/f")
    back = item_contents(json_feed_bytes(info, items))
    assert back == {item.id: (item.content_html, item.summary) for item in items}


@pytest.mark.parametrize("data", [b"", b"not json", b"[1, 2]", b'{"items": 3}',
                                  b'{"items": [1, {"id": 2, "content_html": "", "summary": ""},'
                                  b' {"id": "k", "content_html": "<p>ok</p>"}]}',
                                  "\ufeff{}".encode("utf-16")])
def test_json_feed_read_back_of_anything_else_gives_what_it_can(data: bytes) -> None:
    from trustpublish.render.feeds.jsonfeed import item_contents

    assert item_contents(data) == {}
