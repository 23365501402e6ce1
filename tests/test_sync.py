"""``trustpublish sync`` against a real HTTP server on 127.0.0.1 that serves a clinic blog:
an RSS feed (two entries with the full text, one with a summary only, whose article page
is fetched) and the article pages, with ETag / Last-Modified and 304 answers."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import re
import socket
from pathlib import Path

import pytest
import yaml
from support import run_cli
from werkzeug import Request, Response

from trustpublish.actions.sync import state_path, sync_sources
from trustpublish.plan.config import load_config
from trustpublish.content.readers import read_post

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} – Lakeside Counseling</title>
<link rel="canonical" href="{url}">
<meta property="article:published_time" content="{date}T09:00:00-06:00">
</head><body>
<header><nav><a href="/">Home</a> <a href="/team">Our Team</a> <a href="/blog">Blog</a>
<a href="/contact">Book an appointment</a></nav></header>
<div class="wrap"><article><h1>{title}</h1><p class="byline">By Lakeside staff</p>
{body}
</article>
<aside><h2>Recent posts</h2><ul><li><a href="/blog/x">Sidebar post title</a></li></ul></aside>
<section id="comments"><h3>2 Comments</h3><p>Great article, thanks for sharing!</p>
<p>Reader comment that is not the article.</p></section></div>
<footer>Lakeside Counseling · 12 Shore Road · Privacy policy</footer></body></html>"""

PARAS = [
    ("Winter can be hard on mood. Shorter days and colder weather keep many of us indoors, "
     "and routines that support our mental health start to slip."),
    ("Keeping a regular wake-up time is one of the simplest ways to protect sleep. Morning "
     "light helps set the body clock, so a short walk after breakfast does double duty."),
    ("Plan one small pleasant activity for each day of the week. It can be a phone call, a "
     "recipe or a chapter of a book. Small plans are easier to keep than big ones."),
    ("If low mood lasts for more than two weeks, talk with your doctor or a counselor. Help "
     "works, and it is easier to start early."),
]


def html_body(paras: list[str], heading: str = "Small steps that help") -> str:
    first, *rest = paras
    return f"<p>{first}</p><h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in rest)


class FakeBlog:
    """The clinic's blog: /feed.xml and /blog/<slug>/ pages. Records every request."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.articles: dict[str, dict[str, object]] = {
            "winter-mood": {"title": "Looking After Your Mood in Winter", "date": "2024-01-09",
                            "paras": PARAS, "in_feed": "full"},
            "first-visit": {"title": "What to Expect at Your First Visit", "date": "2024-01-16",
                            "paras": [p.replace("Winter", "A first visit") for p in PARAS],
                            "in_feed": "full"},
            "talking-to-teens": {"title": "Talking With Teens About Stress", "date": "2024-01-23",
                                 "paras": [p.replace("mood", "stress") for p in PARAS],
                                 "in_feed": "summary"},
        }
        self.deleted: set[str] = set()
        self.requests: list[tuple[str, dict[str, str]]] = []

    def url(self, slug: str) -> str:
        return f"{self.base}/blog/{slug}/"

    def feed(self) -> bytes:
        items = []
        for slug, a in sorted(self.articles.items(), key=lambda kv: str(kv[1]["date"]),
                              reverse=True):
            if slug in self.deleted:
                continue
            y, m, d = (int(x) for x in str(a["date"]).split("-"))
            when = email.utils.format_datetime(dt.datetime(y, m, d, 15, tzinfo=dt.UTC))
            paras = list(a["paras"])  # type: ignore[call-overload]
            content = (f"<content:encoded><![CDATA[{html_body(paras)}]]></content:encoded>"
                       if a["in_feed"] == "full" else "")
            items.append(f"""<item><title>{a['title']}</title><link>{self.url(slug)}</link>
<guid isPermaLink="false">{self.base}/?p={abs(hash(slug)) % 1000}</guid>
<pubDate>{when}</pubDate><dc:creator>Lakeside staff</dc:creator>
<category>Wellbeing</category>
<description><![CDATA[{paras[0][:80]} [&hellip;]]]></description>{content}</item>""")
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Lakeside Counseling</title>
<link>{self.base}/blog/</link><description>Notes from our team</description>
{''.join(items)}</channel></rss>""".encode()

    def handle(self, request: Request) -> Response:
        self.requests.append((request.path, dict(request.headers)))
        if request.path == "/feed.xml":
            body = self.feed()
            etag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'
            if request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers={"ETag": etag})
            return Response(body, content_type="application/rss+xml; charset=utf-8",
                            headers={"ETag": etag,
                                     "Last-Modified": "Tue, 23 Jan 2024 15:00:00 GMT"})
        match = re.fullmatch(r"/blog/([a-z-]+)/", request.path)
        if match and match.group(1) in self.articles and match.group(1) not in self.deleted:
            a = self.articles[match.group(1)]
            page = PAGE.format(title=a["title"], url=self.url(match.group(1)), date=a["date"],
                               body=html_body(list(a["paras"])))  # type: ignore[call-overload]
            return Response(page, content_type="text/html; charset=utf-8")
        return Response("not found", status=404)

    def feed_fetches(self) -> list[dict[str, str]]:
        return [headers for path, headers in self.requests if path == "/feed.xml"]


@pytest.fixture
def blog(httpserver) -> FakeBlog:  # type: ignore[no-untyped-def]
    fake = FakeBlog(httpserver.url_for("/"))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return fake


def make_project(root: Path, feed_url: str, **extra: object) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "posts").mkdir(exist_ok=True)
    config = {"site": {"title": "Lakeside Counseling", "url": "https://lakeside.example/blog",
                       "timezone": "America/Chicago"},
              "channels": {"box": {"type": "outbox"}},
              "sources": [{"name": "blog", "url": feed_url, **extra}]}
    (root / "schedule.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "schedule.yaml"


def sync(config_path: Path):  # type: ignore[no-untyped-def]
    return sync_sources(load_config(config_path))


def levels(report) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(line.level for line in report.lines)


def test_first_fetch_writes_review_posts_with_stable_slugs(tmp_path: Path, blog: FakeBlog):
    config = make_project(tmp_path / "p", blog.base + "/feed.xml")
    report = sync(config)
    assert levels(report) == ["new", "new", "new"]
    posts = {p.name: read_post(p) for p in sorted((tmp_path / "p" / "posts").glob("*.md"))}
    assert sorted(posts) == ["first-visit.md", "talking-to-teens.md", "winter-mood.md"]
    winter = posts["winter-mood.md"]
    assert winter.status == "review" and winter.title == "Looking After Your Mood in Winter"
    assert winter.url == blog.url("winter-mood")
    assert winter.date is not None and winter.date.date().isoformat() == "2024-01-09"
    assert winter.tags == ("Wellbeing",) and winter.author == "Lakeside staff"
    for para in PARAS:
        assert para in " ".join(b.text for b in winter.body)
    # The summary-only entry was read from its page: the article, not the page's chrome.
    teens = " ".join(b.text for b in posts["talking-to-teens.md"].body)
    assert "Plan one small pleasant activity" in teens
    for chrome in ("Book an appointment", "Sidebar post title", "Great article", "Privacy"):
        assert chrome not in teens
    assert "/blog/talking-to-teens/" in [path for path, _ in blog.requests]
    state = json.loads(state_path(tmp_path / "p" / "state", "blog").read_text())
    assert state["etag"] and {r["slug"] for r in state["entries"].values()} == {
        "winter-mood", "first-visit", "talking-to-teens"}


def test_no_change_is_a_304_and_writes_nothing(tmp_path: Path, blog: FakeBlog):
    config = make_project(tmp_path / "p", blog.base + "/feed.xml")
    sync(config)
    before = {p.name: p.read_bytes() for p in (tmp_path / "p" / "posts").glob("*.md")}
    report = sync(config)
    assert levels(report) == ["unchanged"]
    assert blog.feed_fetches()[-1].get("If-None-Match")
    assert blog.feed_fetches()[-1].get("If-Modified-Since") == "Tue, 23 Jan 2024 15:00:00 GMT"
    assert {p.name: p.read_bytes() for p in (tmp_path / "p" / "posts").glob("*.md")} == before


def test_an_article_edited_at_the_source_updates_its_post(tmp_path: Path, blog: FakeBlog):
    config = make_project(tmp_path / "p", blog.base + "/feed.xml")
    sync(config)
    blog.articles["winter-mood"]["paras"] = [*PARAS, "Added later: light boxes can help too."]
    report = sync(config)
    assert levels(report) == ["updated"]
    post = read_post(tmp_path / "p" / "posts" / "winter-mood.md")
    assert "Added later: light boxes can help too." in post.markdown
    assert sorted(p.name for p in (tmp_path / "p" / "posts").glob("*.md")) == [
        "first-visit.md", "talking-to-teens.md", "winter-mood.md"]  # same slug, no copy


def test_a_post_edited_here_is_never_overwritten(tmp_path: Path, blog: FakeBlog):
    config = make_project(tmp_path / "p", blog.base + "/feed.xml")
    sync(config)
    local = tmp_path / "p" / "posts" / "winter-mood.md"
    edited = local.read_text(encoding="utf-8").replace("status: review", "status: approved")
    local.write_text(edited, encoding="utf-8")
    blog.articles["winter-mood"]["paras"] = [*PARAS, "A change made at the source."]
    report = sync(config)
    assert [(line.level, line.file) for line in report.lines] == [("kept", str(local))]
    assert "edited here" in report.lines[0].message and "not overwritten" in report.lines[0].message
    assert local.read_text(encoding="utf-8") == edited
    assert levels(sync(config)) == ["unchanged"]  # said once


def test_an_article_deleted_at_the_source_is_kept_with_a_note(tmp_path: Path, blog: FakeBlog):
    config = make_project(tmp_path / "p", blog.base + "/feed.xml")
    sync(config)
    blog.deleted.add("first-visit")
    report = sync(config)
    assert levels(report) == ["gone"]
    assert "deleted at the source" in report.lines[0].message
    assert (tmp_path / "p" / "posts" / "first-visit.md").is_file()
    blog.articles["extra"] = {"title": "One More", "date": "2024-01-30", "paras": PARAS,
                              "in_feed": "full"}
    assert levels(sync(config)) == ["new"]  # the note is not repeated


def test_a_source_that_is_down_is_a_warning_not_a_failure(tmp_path: Path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = make_project(tmp_path / "p", f"http://127.0.0.1:{port}/feed.xml", timeout=3)
    result = run_cli("sync", cwd=tmp_path / "p")
    assert result.code == 0, result.err
    assert "warning blog: could not connect to" in result.out
    assert "Traceback" not in result.out + result.err
    assert not list((tmp_path / "p" / "posts").glob("*.md"))
    assert not state_path(tmp_path / "p" / "state", "blog").exists()
    assert config.is_file()


def test_run_once_syncs_before_the_round(tmp_path: Path, blog: FakeBlog):
    make_project(tmp_path / "p", blog.base + "/feed.xml")
    result = run_cli("--now", "2024-02-01T09:00", "run", "--once", cwd=tmp_path / "p")
    assert result.code == 0, result.err
    assert "sync new blog:" in result.out + result.err
    assert (tmp_path / "p" / "posts" / "winter-mood.md").is_file()


def test_check_accepts_synced_posts(tmp_path: Path, blog: FakeBlog):
    make_project(tmp_path / "p", blog.base + "/feed.xml")
    assert run_cli("sync", cwd=tmp_path / "p").code == 0
    result = run_cli("check", cwd=tmp_path / "p")
    assert result.code == 0, result.out + result.err
    assert "3 posts" in result.out + result.err


def test_wordpress_rest_api_source(tmp_path: Path, httpserver):  # type: ignore[no-untyped-def]
    posts = [{"id": 41, "slug": "mindful-minutes", "link": "https://lakeside.example/mindful/",
              "date_gmt": "2024-03-05T15:00:00", "modified_gmt": "2024-03-06T10:00:00",
              "title": {"rendered": "Mindful Minutes &#8211; A Start"},
              "excerpt": {"rendered": "<p>Short practices for busy days.</p>"},
              "content": {"rendered": html_body(PARAS, "Try this today")},
              "_embedded": {"author": [{"name": "Dr. Ana Ruiz"}],
                            "wp:featuredmedia": [{"source_url": "https://lakeside.example/a.jpg",
                                                  "alt_text": "A quiet lake at dawn"}],
                            "wp:term": [[{"name": "Mindfulness"}], [{"name": "stress"}]]}}]
    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_json(
        posts, headers={"ETag": '"wp1"'})
    config = make_project(tmp_path / "p", httpserver.url_for("/"), type="wordpress")
    assert levels(sync(config)) == ["new"]
    post = read_post(tmp_path / "p" / "posts" / "mindful-minutes.md")
    assert post.title == "Mindful Minutes – A Start" and post.author == "Dr. Ana Ruiz"
    assert post.image == "https://lakeside.example/a.jpg"
    assert post.image_alt == "A quiet lake at dawn"
    assert post.tags == ("Mindfulness", "stress") and post.status == "review"
    assert post.updated is not None
    httpserver.clear()
    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_json([])
    report = sync(config)  # the post was deleted in WordPress: kept here, with a note
    assert levels(report) == ["gone"]
    assert (tmp_path / "p" / "posts" / "mindful-minutes.md").is_file()


def test_import_url_reads_the_article_from_a_page_with_chrome(tmp_path: Path, blog: FakeBlog):
    make_project(tmp_path / "p", blog.base + "/feed.xml")
    result = run_cli("import", blog.url("first-visit"), "--stdout", cwd=tmp_path / "p")
    assert result.code == 0, result.err
    assert "title: What to Expect at Your First Visit" in result.out
    assert "date: '2024-01-16'" in result.out or "date: 2024-01-16" in result.out
    assert f"url: {blog.url('first-visit')}" in result.out
    assert "Plan one small pleasant activity" in result.out
    for chrome in ("Book an appointment", "Sidebar post title", "Great article", "By Lakeside"):
        assert chrome not in result.out


def test_the_long_running_run_syncs_at_most_once_per_period(monkeypatch):
    from trustpublish.cli import engine

    clock = [1000.0]
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    calls: list[float] = []
    maybe = engine._every(engine.SYNC_EVERY, lambda: calls.append(clock[0]))
    maybe()  # right after the sync `run` did when it started
    clock[0] += 14 * 60
    maybe()
    clock[0] += 60
    maybe()
    clock[0] += 60
    maybe()
    assert calls == [1000.0 + 15 * 60]
