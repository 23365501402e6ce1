"""Per-channel excerpt feeds (type: feed): entries appear as their slots pass; the feed adapter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import feedparser
from support import make_project, tp
from support.feeds import FIRST, SECOND, build

from trustpublish.channels.base import Delivery
from trustpublish.channels.feed import FeedChannel
from trustpublish.channels.registry import open_channel
from trustpublish.render.feeds.excerpts import excerpt_feed_items, timetable_slots
from trustpublish.workspace.project import Project

CHICAGO = ZoneInfo("America/Chicago")
RULES = """\
channels:
  tips: {type: feed}
  mastodon: {type: mastodon, instance: https://mastodon.example}
timetable:
  - {channel: tips, at: ["2026-03-09T12:30", "2026-03-02T12:30"]}
  - {channel: tips, at: "2026-03-16T12:30"}
  - {channel: mastodon, at: ["2026-03-03T12:30"]}
"""


def test_excerpts_appear_only_once_their_slot_has_passed(tmp_path) -> None:
    schedule = make_project(tmp_path, posts={"a.md": FIRST, "b.md": SECOND}, rest=RULES)
    project = Project.load(schedule)
    config = project.config
    slotted = timetable_slots("tips", config.timetable, config.channels, project.posts,
                              project.excerpts, CHICAGO, dt.datetime(2026, 4, 1, tzinfo=CHICAGO))
    queue = [e.id for slug in ("building-trust", "confidentiality")
             for e in project.excerpts(project.post(slug))]
    assert len(queue) == 2  # each test post is one excerpt long
    # slots in time order, one excerpt each in post order; the spare third slot stays empty
    assert [s for s, _ in slotted] == [dt.datetime(2026, 3, d, 12, 30, tzinfo=CHICAGO)
                                       for d in (2, 9)]
    assert [e.id for _, e in slotted] == queue
    posts = {p.slug: p for p in project.posts}
    site = project.config.site
    slot = slotted[0][0]
    assert excerpt_feed_items("tips", slotted, slot - dt.timedelta(seconds=1), posts=posts,
                              site=site) == []
    at_slot = excerpt_feed_items("tips", slotted, slot, posts=posts, site=site)
    assert [i.id for i in at_slot] == [
        "tag:harborview-counseling.example,2025-01-21:blog/building-trust/why-it-matters"]
    assert at_slot[0].published == slot
    assert "utm_source=tips" in at_slot[0].url and "utm_medium=feed" in at_slot[0].url
    later = excerpt_feed_items("tips", slotted, dt.datetime(2026, 3, 10, tzinfo=CHICAGO),
                               posts=posts, site=site)
    assert [i.published.day for i in later] == [9, 2]  # newest first
    assert later[1].id == at_slot[0].id  # the id does not change as more entries arrive


def test_build_writes_the_channel_feed_as_slots_pass(tmp_path) -> None:
    schedule = make_project(tmp_path, posts={"a.md": FIRST, "b.md": SECOND}, rest=RULES)
    folder = tmp_path / "dist" / "feeds" / "channels" / "tips"
    build(schedule, now=dt.datetime(2026, 3, 1, tzinfo=CHICAGO))
    empty = feedparser.parse((folder / "atom.xml").read_bytes())
    assert not empty.bozo and empty.entries == []
    assert not (tmp_path / "dist" / "feeds" / "channels" / "mastodon").exists()
    empty_bytes = (folder / "atom.xml").read_bytes()
    build(schedule, now=dt.datetime(2026, 3, 1, 12, tzinfo=CHICAGO))
    assert (folder / "atom.xml").read_bytes() == empty_bytes  # empty feeds are stable too
    build(schedule, now=dt.datetime(2026, 3, 10, tzinfo=CHICAGO))
    for name in ("atom.xml", "rss.xml"):
        parsed = feedparser.parse((folder / name).read_bytes())
        assert not parsed.bozo and len(parsed.entries) == 2
    atom = feedparser.parse((folder / "atom.xml").read_bytes())
    assert atom.feed.id == ("https://harborview-counseling.example/blog/feeds/channels/tips/"
                            "atom.xml")
    assert atom.entries[0].updated == "2026-03-09T12:30:00-05:00"  # slot time, clinic zone


def test_feed_channel_is_registered_and_needs_no_credentials(tmp_path) -> None:
    channel = open_channel("tips", {"type": "feed"}, root=tmp_path)
    assert isinstance(channel, FeedChannel)  # not the outbox stand-in
    entry = "tag:harborview-counseling.example,2025-01-21:blog/building-trust/why-it-matters"
    result = channel.publish(Delivery(id="d1", channel="tips", item_id="building-trust/why",
                                      kind="feed", extra={"entry_id": entry}))
    assert result.remote_id == entry
    assert not (tmp_path / "outbox").exists()  # nothing written, nothing sent
    bare = channel.publish(Delivery(id="d2", channel="tips", item_id="building-trust/why"))
    assert bare.remote_id == "building-trust/why"


def test_weekly_feed_channel_fills_from_its_start_date(tmp_path) -> None:
    rules = RULES.replace("  tips: {type: feed}", '  tips: {type: feed, start: "2026-03-01"}').replace(
        '''  - {channel: tips, at: ["2026-03-09T12:30", "2026-03-02T12:30"]}
  - {channel: tips, at: "2026-03-16T12:30"}''', '  - {channel: tips, weekly: ["MON 12:30"]}')
    schedule = make_project(tmp_path, posts={"a.md": FIRST, "b.md": SECOND}, rest=rules)
    project = Project.load(schedule)
    config = project.config
    # Sunday 8 March 2026 (Chicago switches to daylight time that day): one Monday has passed.
    now = dt.datetime(2026, 3, 8, 12, 0, tzinfo=CHICAGO)
    slotted = timetable_slots("tips", config.timetable, config.channels, project.posts,
                              project.excerpts, CHICAGO, now)
    assert [s for s, _ in slotted] == [dt.datetime(2026, 3, 2, 12, 30, tzinfo=CHICAGO)]
    later = timetable_slots("tips", config.timetable, config.channels, project.posts,
                            project.excerpts, CHICAGO, now + dt.timedelta(days=30))
    assert [s.day for s, _ in later] == [2, 9]  # two excerpts, then the queue is empty
    assert [s.utcoffset() for s, _ in later] == [dt.timedelta(hours=-6), dt.timedelta(hours=-5)]


def test_run_once_publishes_the_feed_entry_when_its_slot_passes(tmp_path) -> None:
    schedule = make_project(tmp_path, posts={"a.md": FIRST, "b.md": SECOND}, rest=RULES)
    atom = tmp_path / "dist" / "feeds" / "channels" / "tips" / "atom.xml"

    def run(now: str) -> None:
        done = tp(tmp_path, "--config", str(schedule), "--now", now, "run", "--once")
        assert done.code == 0, done.out + done.err

    run("2026-03-02T12:35")
    first = atom.read_text(encoding="utf-8")
    assert first.count("<entry>") == 1 and "why-it-matters" in first
    run("2026-03-09T12:35")
    assert atom.read_text(encoding="utf-8").count("<entry>") == 2
