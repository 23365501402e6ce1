"""Timetable expansion across daylight-saving changes (Chicago, Berlin, Sydney) and cron details."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from trustpublish.plan.timetable import TimetableError, expand, parse_timetable, resolve_wall_time

UTC = dt.timezone.utc

# (zone, spring-forward day, gap wall time, first instant after the gap (local),
#  fall-back day, repeated wall time, its first occurrence's UTC offset)
CASES = [
    ("America/Chicago", dt.date(2026, 3, 8), "02:30", "03:00", dt.date(2026, 11, 1), "01:30", -5),
    ("Europe/Berlin", dt.date(2026, 3, 29), "02:30", "03:00", dt.date(2026, 10, 25), "02:30", 2),
    ("Australia/Sydney", dt.date(2026, 10, 4), "02:30", "03:00", dt.date(2026, 4, 5), "02:30", 11),
]


def _daily(hhmm: str) -> list:
    hour, minute = hhmm.split(":")
    return parse_timetable([{"channel": "c", "cron": f"{int(minute)} {int(hour)} * * *"}], ["c"])


def _around(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), zone)
    return start, start + dt.timedelta(days=2)


@pytest.mark.parametrize("name,spring,gap,after,fall,repeated,offset", CASES)
def test_slot_in_skipped_hour_runs_at_first_instant_after_gap(name, spring, gap, after, fall,
                                                               repeated, offset):
    zone = ZoneInfo(name)
    slots = expand(_daily(gap), zone, *_around(spring, zone))
    on_day = [s for s in slots if s.local.date() == spring]
    assert len(on_day) == 1, "the slot in the skipped hour must run exactly once"
    assert on_day[0].local.strftime("%H:%M") == after
    # it is the transition instant itself: one second earlier is still before the gap
    before = (on_day[0].when - dt.timedelta(seconds=1)).astimezone(zone)
    assert before.strftime("%H:%M:%S") < gap
    assert len(slots) == 2  # the day before and the DST day: nothing lost, nothing doubled


@pytest.mark.parametrize("name,spring,gap,after,fall,repeated,offset", CASES)
def test_slot_in_repeated_hour_runs_once_at_first_occurrence(name, spring, gap, after, fall,
                                                              repeated, offset):
    zone = ZoneInfo(name)
    slots = expand(_daily(repeated), zone, *_around(fall, zone))
    on_day = [s for s in slots if s.local.date() == fall]
    assert len(on_day) == 1, "the repeated wall time must run once"
    assert on_day[0].local.utcoffset() == dt.timedelta(hours=offset)
    assert on_day[0].local.strftime("%H:%M") == repeated


@pytest.mark.slow
@pytest.mark.parametrize("name", ["America/Chicago", "Europe/Berlin", "Australia/Sydney"])
def test_controllable_clock_walk_through_a_year_sends_each_daily_slot_once(name):
    """Step a fake clock through a year in 151-minute ticks: every daily 02:30 slot appears once."""
    zone = ZoneInfo(name)
    entries = _daily("02:30") + parse_timetable([{"channel": "d", "weekly": ["SUN 02:45"]}], ["d"])
    clock = dt.datetime(2026, 1, 1, tzinfo=UTC)
    end = dt.datetime(2027, 1, 1, tzinfo=UTC)
    seen: list = []
    while clock < end:
        nxt = clock + dt.timedelta(minutes=151)
        seen += expand(entries, zone, clock, nxt)
        clock = nxt
    daily = [s for s in seen if s.channel == "c"]
    assert len(daily) == len({s.local.date() for s in daily}) == 365
    assert len({s.when for s in daily}) == 365
    sundays = [s for s in seen if s.channel == "d"]
    assert len(sundays) == 52 and len({s.local.date() for s in sundays}) == 52


def test_weekly_slots_and_cron_weekday_numbers_are_crontab_numbers():
    zone = ZoneInfo("America/Chicago")
    entries = parse_timetable([{"channel": "a", "cron": "0 9 * * 2"},
                               {"channel": "b", "weekly": ["MON 12:30", "thu 17:00"]},
                               {"channel": "c", "cron": "0 8 * * 0"}], ["a", "b", "c"])
    start = dt.datetime(2026, 6, 1, tzinfo=zone)  # a Monday
    slots = expand(entries, zone, start, start + dt.timedelta(days=7))
    got = [(s.channel, s.local.strftime("%a %H:%M")) for s in slots]
    assert got == [("b", "Mon 12:30"), ("a", "Tue 09:00"), ("b", "Thu 17:00"), ("c", "Sun 08:00")]


def test_explicit_at_datetimes_use_site_time_unless_offset_given():
    zone = ZoneInfo("Europe/Berlin")
    entries = parse_timetable([{"channel": "a", "at": ["2026-12-01T12:30", "2026-12-02T12:30+00:00"]}], ["a"])
    slots = expand(entries, zone, dt.datetime(2026, 11, 30, tzinfo=UTC), dt.datetime(2026, 12, 3, tzinfo=UTC))
    assert [s.when.strftime("%d %H:%M") for s in slots] == ["01 11:30", "02 12:30"]


def test_expand_is_half_open_so_consecutive_windows_never_repeat_a_slot():
    zone = ZoneInfo("UTC")
    entries = parse_timetable([{"channel": "a", "cron": "0 * * * *"}], ["a"])
    t = dt.datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert len(expand(entries, zone, t - dt.timedelta(hours=1), t)) == 1
    assert expand(entries, zone, t, t + dt.timedelta(minutes=1))[0].when == t


def test_resolve_wall_time_plain_time_is_unchanged():
    zone = ZoneInfo("America/Chicago")
    assert resolve_wall_time(dt.datetime(2026, 7, 1, 9, 0), zone) == dt.datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("entry,path", [
    ({"channel": "a", "cron": "0 25 * * *"}, "timetable[0].cron"),
    ({"channel": "a", "cron": "0 9 * *"}, "timetable[0].cron"),
    ({"channel": "a", "weekly": ["MONDAY 12:30"]}, "timetable[0].weekly[0]"),
    ({"channel": "a", "weekly": ["MON 24:30"]}, "timetable[0].weekly[0]"),
    ({"channel": "a", "at": ["next tuesday"]}, "timetable[0].at[0]"),
    ({"channel": "a", "cron": "0 9 * * *", "at": ["2026-01-01T10:00"]}, "timetable[0]"),
    ({"channel": "nope", "cron": "0 9 * * *"}, "timetable[0].channel"),
])
def test_bad_entries_name_their_key_path(entry, path):
    with pytest.raises(TimetableError) as info:
        parse_timetable([entry], ["a"])
    assert info.value.key_path == path
