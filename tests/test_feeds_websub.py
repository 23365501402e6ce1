"""WebSub: rel="hub" links and a publish ping to a real local hub, including one that fails."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import parse_qs

from support import make_project
from support.feeds import FIRST, NOW, SECOND, build, feed_files
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from trustpublish.channels.websub import ping

BASE = "https://harborview-counseling.example/blog/feeds"


class Hub:
    """A hub following the publisher contract: form POST, 204 on success (or a set status)."""

    def __init__(self, server: HTTPServer, status: int = 204) -> None:
        self.status = status
        self.pings: list[dict[str, list[str]]] = []
        server.expect_request("/hub", method="POST").respond_with_handler(self.handle)
        self.url = server.url_for("/hub")

    def handle(self, request: Request) -> Response:
        assert request.content_type == "application/x-www-form-urlencoded"
        form = parse_qs(request.get_data(as_text=True))
        self.pings.append(form)
        if form.get("hub.mode") != ["publish"] or not form.get("hub.url"):
            return Response("hub.mode and hub.url required", status=400)
        return Response("", status=self.status)

    @property
    def topics(self) -> list[str]:
        return [p["hub.url"][0] for p in self.pings]


def _project(tmp_path, hub: str):
    return make_project(tmp_path, posts={"a.md": FIRST}, site_extra=f"  websub_hub: {hub}\n")


def test_build_pings_the_hub_for_each_changed_feed(tmp_path, httpserver: HTTPServer) -> None:
    hub = Hub(httpserver)
    schedule = _project(tmp_path, hub.url)
    build(schedule)
    assert sorted(hub.topics) == [f"{BASE}/atom.xml", f"{BASE}/feed.json", f"{BASE}/rss.xml"]
    assert all(p["hub.mode"] == ["publish"] for p in hub.pings)
    # nothing changed: no ping
    build(schedule, now=NOW + dt.timedelta(hours=1))
    assert len(hub.pings) == 3
    # a new post changes every feed: pinged again
    (tmp_path / "posts" / "b.md").write_text(SECOND, encoding="utf-8")
    build(schedule, now=NOW + dt.timedelta(hours=2))
    assert len(hub.pings) == 6


def test_a_failing_hub_is_reported_retried_and_not_fatal(tmp_path, httpserver: HTTPServer,
                                                         caplog) -> None:
    hub = Hub(httpserver, status=500)
    schedule = _project(tmp_path, hub.url)
    with caplog.at_level(logging.WARNING, logger="trustpublish.render.feeds"):
        written = build(schedule)  # does not raise
    assert len(written) == 3 and all(p.is_file() for p in written)
    assert len(hub.pings) == 5  # 3 attempts for the first feed, then one each: the hub is down
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert all("HTTP 500" in w for w in warnings)
    assert "3 attempts" in warnings[0] and "1 attempt)" in warnings[1]
    assert set(feed_files(tmp_path)) == {"rss.xml", "atom.xml", "feed.json"}


def test_ping_retries_then_succeeds_and_honours_retry_after(httpserver: HTTPServer) -> None:
    answers = [Response("busy", status=503, headers={"Retry-After": "2"}),
               Response("slow down", status=429), Response("", status=202)]
    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(request.get_data(as_text=True))
        return answers[len(seen) - 1]

    httpserver.expect_request("/hub", method="POST").respond_with_handler(handler)
    waits: list[float] = []
    (result,) = ping(httpserver.url_for("/hub"), ["https://x.example/feeds/atom.xml"],
                     sleep=waits.append, backoff=0.5)
    assert result.ok and result.attempts == 3 and result.status == 202
    assert waits == [2.0, 1.0]  # the hub's Retry-After, then the backoff (0.5 * 2)
    assert parse_qs(seen[0]) == {"hub.mode": ["publish"],
                                 "hub.url": ["https://x.example/feeds/atom.xml"]}


def test_client_errors_are_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hub", method="POST").respond_with_data("no such topic",
                                                                       status=404)
    waits: list[float] = []
    (result,) = ping(httpserver.url_for("/hub"), ["https://x.example/feeds/rss.xml"],
                     sleep=waits.append)
    assert not result.ok and result.status == 404 and result.attempts == 1 and waits == []
    assert "HTTP 404" in result.describe()


def test_an_unreachable_hub_is_reported(httpserver: HTTPServer) -> None:
    url = httpserver.url_for("/hub")
    httpserver.stop()  # nothing listens on that port now
    try:
        waits: list[float] = []
        (result,) = ping(url, ["https://x.example/feeds/rss.xml"], sleep=waits.append,
                         timeout=2)
        assert not result.ok and result.status is None and result.error == "ConnectionError"
        assert result.attempts == 3 and waits == [0.5, 1.0]
    finally:
        httpserver.start()
