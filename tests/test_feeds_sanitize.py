"""An article with <script>, onerror= and javascript: links gives feeds without them."""

from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser

import feedparser
from support import make_project
from support.feeds import NOW, build, post_text

from trustpublish.content.model import Site
from trustpublish.content.readers import read_post
from trustpublish.content.readers.metadata import Defaults
from trustpublish.render.feeds.formats import atom_bytes, rss_bytes
from trustpublish.render.feeds.items import FeedInfo, post_item
from trustpublish.render.feeds.jsonfeed import json_feed_bytes

EVIL_MARKDOWN = post_text("Staying safe online", "2025-02-10", slug="safe-online", body="""\
## Links

Read [our guide](javascript:alert('md-link')) and [the real one](https://example.org/guide).

<script>alert('md-script')</script>

<img src="x.png" onerror="alert('md-img')">

<a href="javascript:alert('md-raw')" onclick="steal()">raw link</a>

Plain text after the attack, which stays.
""")

EVIL_HTML = """<!doctype html><html><head><title>Safety</title>
<script>alert('head')</script></head>
<body><article><h1>Staying safe, HTML edition</h1>
<time datetime="2025-02-11T10:00">Feb 11</time>
<h2>Links</h2>
<p>Visit <a href="javascript:alert('html-link')">this page</a> or
<a href="https://example.org/ok" onmouseover="alert('hover')">that one</a>.</p>
<script>alert('html-script')</script>
<p><img src="x.png" alt="chart" onerror="alert('html-img')"> A picture.</p>
<p onclick="alert('p')">Plain text after the attack, which stays.</p>
</article></body></html>
"""


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]


def assert_safe(html: str) -> None:
    parser = _Collector()
    parser.feed(html)
    assert "script" not in parser.tags
    assert not [k for k, _ in parser.attrs if k.lower().startswith("on")], parser.attrs
    assert not [v for k, v in parser.attrs if "javascript:" in v.lower()], parser.attrs
    assert "Plain text after the attack" in html


def assert_feeds_safe(rss: bytes, atom: bytes, feed_json: bytes) -> None:
    for data in (rss, atom):
        assert b"<script" not in data.lower()  # not even as raw markup in the XML
        parsed = feedparser.parse(data)
        assert not parsed.bozo
        assert len(parsed.entries) == 1
        # the HTML exactly as a feed reader receives it (feedparser would sanitize its copy)
        raw = _raw_xml_content(data)
        assert len(raw) == 1
        for html in raw:
            assert_safe(html)
    (item,) = json.loads(feed_json)["items"]
    assert_safe(item["content_html"])


def test_markdown_post_through_the_build(tmp_path) -> None:
    schedule = make_project(tmp_path, posts={"evil.md": EVIL_MARKDOWN})
    build(schedule)
    folder = tmp_path / "dist" / "feeds"
    assert_feeds_safe(*[(folder / n).read_bytes() for n in ("rss.xml", "atom.xml", "feed.json")])
    content = json.loads((folder / "feed.json").read_bytes())["items"][0]["content_html"]
    assert '<a href="https://example.org/guide"' in content  # safe links survive


def _raw_xml_content(data: bytes) -> list[str]:
    from xml.etree import ElementTree as ET

    root = ET.fromstring(data)
    return [el.text or "" for el in root.iter()
            if el.tag in ("{http://www.w3.org/2005/Atom}content",
                          "{http://purl.org/rss/1.0/modules/content/}encoded")]


def test_html_post_read_by_the_html_reader(tmp_path) -> None:
    path = tmp_path / "evil.html"
    path.write_text(EVIL_HTML, encoding="utf-8")
    defaults = Defaults(timezone="America/Chicago", site_url="https://clinic.example/blog",
                        author="", language="en")
    post = dataclasses.replace(read_post(path, defaults), status="approved")
    site = Site(title="Clinic", url="https://clinic.example/blog", timezone="America/Chicago")
    item = post_item(post, site)
    info = FeedInfo(id="https://clinic.example/blog/feeds/atom.xml", title="Clinic",
                    description="", home_url=site.url, language="en", author="Clinic",
                    updated=NOW, self_url="https://clinic.example/blog/feeds/atom.xml")
    rss, atom, feed_json = rss_bytes(info, [item]), atom_bytes(info, [item]), json_feed_bytes(
        info, [item])
    assert_feeds_safe(rss, atom, feed_json)
    assert 'href="https://example.org/ok"' in item.content_html
