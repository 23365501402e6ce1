"""Ids never change; `updated` moves only when content does; rebuilds are byte-identical."""

from __future__ import annotations

import datetime as dt
import json

import feedparser
from support import make_project
from support.feeds import FIRST, NOW, SECOND, THIRD, build, feed_files


def _entries(root, name: str = "atom.xml") -> dict[str, tuple[str, str]]:
    parsed = feedparser.parse((root / "dist" / "feeds" / name).read_bytes())
    if name == "rss.xml":  # RSS items have a pubDate only
        return {e.id: (e.published, "") for e in parsed.entries}
    return {e.id: (e.published, e.updated) for e in parsed.entries}


def test_rebuilding_twice_is_byte_identical_and_leaves_files_alone(tmp_path) -> None:
    schedule = make_project(tmp_path, posts={"a.md": FIRST, "b.md": SECOND})
    build(schedule)
    first = feed_files(tmp_path)
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "dist" / "feeds").rglob("*.*")}
    record = (tmp_path / "state" / "feeds-cache.json").read_bytes()
    build(schedule, now=NOW + dt.timedelta(days=3))  # a later build, nothing edited
    assert feed_files(tmp_path) == first
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    assert (tmp_path / "state" / "feeds-cache.json").read_bytes() == record


def test_adding_a_post_keeps_other_ids_and_dates(tmp_path) -> None:
    schedule = make_project(tmp_path, posts={"a.md": FIRST, "b.md": SECOND})
    build(schedule)
    before = {fmt: _entries(tmp_path, fmt) for fmt in ("atom.xml", "rss.xml")}
    (tmp_path / "posts" / "c.md").write_text(THIRD, encoding="utf-8")
    build(schedule, now=NOW + dt.timedelta(hours=5))
    for fmt, old in before.items():
        new = _entries(tmp_path, fmt)
        assert len(new) == 3
        assert {k: new[k] for k in old} == old, fmt
    doc = json.loads((tmp_path / "dist" / "feeds" / "feed.json").read_bytes())
    assert len({i["id"] for i in doc["items"]}) == 3


def test_editing_a_post_changes_updated_but_not_id(tmp_path) -> None:
    schedule = make_project(tmp_path, posts={"a.md": FIRST, "b.md": SECOND})
    build(schedule)
    before = _entries(tmp_path)
    edited_at = NOW + dt.timedelta(days=1)
    (tmp_path / "posts" / "a.md").write_text(
        FIRST.replace("Small signals matter here.", "Small signals matter a lot."), "utf-8")
    build(schedule, now=edited_at)
    after = _entries(tmp_path)
    assert after.keys() == before.keys()
    trust = "tag:harborview-counseling.example,2025-01-21:blog/building-trust"
    assert after[trust][0] == before[trust][0]  # published unchanged
    assert after[trust][1] == "2026-03-03T15:00:00+00:00"  # updated = the build that saw the edit
    others = [k for k in before if k != trust]
    assert {k: after[k] for k in others} == {k: before[k] for k in others}
    # the change is remembered: a later rebuild keeps that date and those bytes
    files = feed_files(tmp_path)
    build(schedule, now=edited_at + dt.timedelta(days=7))
    assert feed_files(tmp_path) == files


def test_front_matter_updated_wins(tmp_path) -> None:
    post = FIRST.replace("status: approved\n", "status: approved\nupdated: 2025-02-01T10:00\n")
    schedule = make_project(tmp_path, posts={"a.md": post})
    build(schedule)
    (entry,) = _entries(tmp_path).values()
    assert entry == ("2025-01-21T00:00:00-06:00", "2025-02-01T10:00:00-06:00")


def test_ids_survive_a_lost_date_record(tmp_path) -> None:
    schedule = make_project(tmp_path, posts={"a.md": FIRST, "b.md": SECOND})
    build(schedule)
    first = feed_files(tmp_path)
    (tmp_path / "state" / "feeds-cache.json").unlink()
    build(schedule, now=NOW + dt.timedelta(days=30))
    assert feed_files(tmp_path) == first  # unedited posts: dates come from publication
