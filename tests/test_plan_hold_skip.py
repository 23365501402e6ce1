"""Hold one excerpt out of one channel, skip one slot: the planner (pure), the timetable's
``skip:``, ``check``'s errors and warnings, and the ``hold``/``skip`` commands round trip
on real project files (byte for byte) with their audit entries."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from studio_helpers import make_studio_project
from support import tp

from trustpublish.plan.planner import Candidate, Recorded, plan
from trustpublish.plan.timetable import Slot, TimetableError, expand, parse_timetable

UTC = dt.timezone.utc
KINDS = {"mastodon": "post", "bluesky": "post", "news": "digest"}
CHANNELS = {"mastodon": {}, "bluesky": {}, "news": {"excerpts_per_issue": 2}}


def _at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=UTC)


def _slot(channel: str, day: int, skipped: bool = False) -> Slot:
    when = _at(day)
    return Slot(when, channel, f"{channel}-1", when, skipped)


QUEUE = [Candidate(f"p/{a}", "p", None, None) for a in ("one", "two", "three")]


def _sent(planned: list, channel: str) -> list[tuple[str, ...]]:
    return [p.excerpts for p in planned if p.channel == channel]


def test_a_hold_leaves_that_channel_only_and_keeps_the_order_elsewhere() -> None:
    held = [Candidate("p/one", "p", None, None, frozenset({"mastodon"})), *QUEUE[1:]]
    slots = sorted([_slot(c, d) for c in ("mastodon", "bluesky", "news") for d in (1, 2, 3)])
    free = plan(slots, QUEUE, CHANNELS, kinds=KINDS)
    planned = plan(slots, held, CHANNELS, kinds=KINDS)
    assert _sent(free, "mastodon") == [("p/one",), ("p/two",), ("p/three",)]
    assert _sent(planned, "mastodon") == [("p/two",), ("p/three",), ()]
    assert [p.state for p in planned if p.channel == "mastodon"] == ["planned", "planned",
                                                                     "empty"]
    # the other channels are untouched, digest included
    assert _sent(planned, "bluesky") == _sent(free, "bluesky")
    assert _sent(planned, "news") == _sent(free, "news") == [("p/one", "p/two"), ("p/three",),
                                                             ()]


def test_a_skipped_slot_sends_nothing_and_the_next_slot_takes_its_excerpt() -> None:
    slots = [_slot("mastodon", 1), _slot("mastodon", 2, skipped=True), _slot("mastodon", 3),
             _slot("mastodon", 4)]
    planned = plan(slots, QUEUE, CHANNELS, kinds=KINDS)
    assert [(p.state, p.excerpts) for p in planned] == [
        ("planned", ("p/one",)), ("skipped", ()), ("planned", ("p/two",)),
        ("planned", ("p/three",))]
    # a skipped digest slot takes no issue number either
    news = plan([_slot("news", 1, skipped=True), _slot("news", 2)], QUEUE, CHANNELS,
                kinds=KINDS)
    assert [(p.state, p.item) for p in news] == [("skipped", ""), ("planned", "news-0001")]


def test_a_recorded_slot_keeps_what_it_recorded_whatever_the_hold_or_skip_says() -> None:
    recorded = [Recorded("mastodon", _at(1), "p/one", ("p/one",), "sent")]
    held = [Candidate("p/one", "p", None, None, frozenset({"mastodon"})), *QUEUE[1:]]
    slots = [_slot("mastodon", 1, skipped=True), _slot("mastodon", 2)]
    planned = plan(slots, held, CHANNELS, recorded, kinds=KINDS)
    assert [(p.state, p.excerpts) for p in planned] == [("sent", ("p/one",)),
                                                        ("planned", ("p/two",))]


def test_skip_marks_only_the_named_slot_in_site_time_and_is_validated() -> None:
    zone = ZoneInfo("America/Chicago")
    entries = parse_timetable([{"channel": "m", "weekly": ["TUE 09:00", "THU 17:00"],
                                "skip": ["2026-12-08T09:00"]}], ["m"])
    assert entries[0].skips == ("2026-12-08T09:00",)
    slots = expand(entries, zone, _at(1, 0), _at(12, 0))
    assert [(s.local.strftime("%a %d %H:%M"), s.skipped) for s in slots] == [
        ("Tue 01 09:00", False), ("Thu 03 17:00", False), ("Tue 08 09:00", True),
        ("Thu 10 17:00", False)]
    with pytest.raises(TimetableError) as info:
        parse_timetable([{"channel": "m", "cron": "0 9 * * *", "skip": "next tuesday"}], ["m"])
    assert info.value.key_path == "timetable[0].skip[0]"


def _project(tmp_path: Path) -> Path:
    return make_studio_project(tmp_path / "p", statuses=("approved", "approved", "draft"))


def _plan(root: Path) -> list[dict]:
    run = tp(root, "--json", "--now", "2026-12-01T09:05Z", "plan", "--days", "5")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_hold_and_skip_commands_round_trip_byte_for_byte_with_audit(tmp_path: Path) -> None:
    root = _project(tmp_path)
    post, schedule = root / "posts" / "post-1.md", root / "schedule.yaml"
    post_before, schedule_before = post.read_bytes(), schedule.read_bytes()
    before = _plan(root)
    assert [r["excerpts"] for r in before if r["channel"] == "mastodon"][:2] == [
        ["post-1/first-part"], ["post-1/second-part"]]

    run = tp(root, "hold", "post-1", "first-part", "--channel", "mastodon")
    assert run.returncode == 0, run.stderr
    assert "held from mastodon (posts/post-1.md:7)" in run.stdout
    run = tp(root, "skip", "mastodon", "2026-12-02T10:00")
    assert run.returncode == 0, run.stderr
    assert "skipped (schedule.yaml:12)" in run.stdout
    rows = [(r["state"], r["excerpts"]) for r in _plan(root) if r["channel"] == "mastodon"]
    assert rows[:4] == [("planned", ["post-1/second-part"]), ("skipped", []),
                        ("planned", ["post-2/first-part"]), ("planned", ["post-2/second-part"])]
    news = [r["excerpts"] for r in _plan(root) if r["channel"] == "newsletter"]
    assert news[0] == ["post-1/first-part", "post-1/second-part"]  # the hold is mastodon's only
    assert tp(root, "check").returncode == 0

    audit = json.loads(tp(root, "audit", "--json").stdout)
    assert [(a["action"], a["target"], a["file"], a["line"]) for a in audit] == [
        ("skip", "mastodon 2026-12-02 10:00 UTC", "schedule.yaml", 12),
        ("hold", "post-1/first-part", "posts/post-1.md", 7)]
    assert audit[0]["user"].startswith("cli")

    assert tp(root, "hold", "post-1/first-part", "--channel", "mastodon",
              "--release").returncode == 0
    assert tp(root, "skip", "mastodon", "2026-12-02T10:00", "--release").returncode == 0
    assert post.read_bytes() == post_before and schedule.read_bytes() == schedule_before
    assert _plan(root) == before


def test_mistakes_are_one_line_errors_with_the_fix(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = tp(root, "hold", "post-1/first-part", "--channel", "mastdon")
    assert run.returncode == 3 and "did you mean `mastodon`?" in run.stderr
    assert "Traceback" not in run.stderr
    run = tp(root, "skip", "mastodon", "2026-12-02T10:30")
    assert run.returncode == 3
    assert "mastodon has no slot at 2026-12-02T10:30" in run.stderr
    assert "did you mean 2026-12-02T10:00?" in run.stderr
    # a recorded slot cannot be skipped
    assert tp(root, "--now", "2026-12-01T10:00:30Z", "run", "--once").returncode == 0
    run = tp(root, "skip", "mastodon", "2026-12-01T10:00")
    assert run.returncode == 1 and "already recorded in the ledger" in run.stderr


def test_check_names_a_bad_hold_and_a_skip_that_is_no_slot(tmp_path: Path) -> None:
    root = _project(tmp_path)
    post = root / "posts" / "post-1.md"
    post.write_text(post.read_text().replace(
        "---\n\n## First", "hold: {mastodn: [first-part], bluesky: [frist-part]}\n---\n\n"
        "## First"), encoding="utf-8")
    schedule = root / "schedule.yaml"
    schedule.write_text(schedule.read_text().replace(
        '["FRI 09:00"]}', '["FRI 09:00"], skip: ["2026-12-04T09:30"]}'), encoding="utf-8")
    run = tp(root, "--json", "check")
    problems = json.loads(run.stdout)["problems"]
    found = {(p["message"], p["line"], p["hint"], p["severity"]) for p in problems
             if "hold" in p["message"] or "skip" in p["message"]}
    assert ("hold: 'mastodn' is not a channel in schedule.yaml", 7,
            "did you mean `mastodon`? channels: mastodon, newsletter", "error") in found
    assert any(m.startswith("hold.bluesky: 'frist-part' is not an excerpt of this post")
               and h.startswith("did you mean `first-part`?") for m, _l, h, _s in found)
    skip = [p for p in problems if "skip" in p["message"]]
    assert len(skip) == 1 and skip[0]["severity"] == "warning"
    assert skip[0]["message"] == ("timetable[1].skip[0]: '2026-12-04T09:30' is not a slot of "
                                  "newsletter-1 (it skips nothing)")
    assert skip[0]["line"] == 13 and skip[0]["hint"].startswith('did you mean "2026-12-04T09:00"?')
    assert run.returncode == 1
    # the fix the hint gives works: the skip that names no slot can be released
    fix = tp(root, "skip", "newsletter", "2026-12-04T09:30", "--release")
    assert fix.returncode == 0, fix.stderr
    assert 'skip:' not in schedule.read_text()


def test_the_planner_reads_each_queue_only_as_far_as_its_slots_take() -> None:
    from trustpublish.plan.planner import Queue

    made: list[str] = []

    def source():  # type: ignore[no-untyped-def]
        for n in range(100):
            made.append(f"p/{n}")
            yield Candidate(f"p/{n}", "p", _at(20) if n == 1 else None, None)

    queue = Queue(source())
    slots = [_slot("mastodon", 2), _slot("bluesky", 3), _slot("mastodon", 4), _slot("news", 5)]
    planned = plan(slots, queue, CHANNELS, kinds=KINDS)
    # p/1 must wait until day 20: mastodon takes p/0 then p/2; news takes two
    assert _sent(planned, "mastodon") == [("p/0",), ("p/2",)]
    assert _sent(planned, "news") == [("p/0", "p/2")]
    assert made == ["p/0", "p/1", "p/2"] and queue.made == 3 and not queue.exhausted
    # the same plan as from the whole queue as a list
    whole = [Candidate(f"p/{n}", "p", _at(20) if n == 1 else None, None) for n in range(100)]
    assert plan(slots, whole, CHANNELS, kinds=KINDS) == planned
    assert queue.head(5) == whole[:5] and queue.made == 5
    assert len(queue.head(1000)) == 100 and queue.exhausted
    # a one-pass iterator is read once for all the channels, not used up by the first
    assert plan(slots, iter(whole), CHANNELS, kinds=KINDS) == planned


def test_a_build_after_a_hold_previews_the_plan_with_the_hold(tmp_path: Path) -> None:
    """The preview plan a build remembers is made again when a hold changes the queue
    (the hold is part of what the plan is remembered under)."""
    root = _project(tmp_path)
    now = "2026-12-01T09:05Z"
    assert tp(root, "--now", now, "build").returncode == 0
    page = (root / "dist" / "preview" / "index.html").read_text(encoding="utf-8")
    assert "post-1/first-part" in page
    assert tp(root, "hold", "post-1", "first-part", "--channel", "mastodon").returncode == 0
    assert tp(root, "--now", now, "build").returncode == 0
    remembered = json.loads(tp(root, "--json", "--now", now, "plan", "--days", "28").stdout)
    mastodon = [e for r in remembered if r["channel"] == "mastodon" for e in r["excerpts"]]
    assert mastodon and "post-1/first-part" not in mastodon
    from trustpublish.actions.planning import build_plan
    from trustpublish.render.preview import PREVIEW_DAYS
    from trustpublish.workspace.project import Project

    when = dt.datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    built = build_plan(Project.load(root / "schedule.yaml"), when, PREVIEW_DAYS)
    assert [p.excerpts for p in built if p.channel == "mastodon"] == \
        [tuple(r["excerpts"]) for r in remembered if r["channel"] == "mastodon"]
