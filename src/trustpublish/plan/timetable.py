"""The timetable: schedule.yaml's ``timetable`` entries → slots (instants) between two instants.

Pure: no clock, no I/O. Three kinds of entry, all read as *wall-clock* times in the
site's IANA timezone:

* ``cron: "0 9 * * TUE"`` — a crontab line (minute hour day-of-month month
  day-of-week; 0 or 7 is Sunday, as in crontab), expanded by APScheduler's CronTrigger;
* ``weekly: ["MON 12:30", "THU 17:00"]`` — weekday + time slots;
* ``at: ["2026-12-01T12:30"]`` — explicit date-times (an explicit UTC offset is kept).

Any entry may add ``skip: ["2026-12-08T09:00"]``: wall times (like ``at``) of its own
slots that send nothing. :func:`expand` marks those slots ``skipped``; the planner gives
them no excerpt, so the next slot takes what a skipped one would have taken.

Daylight-saving rules (documented in the README and tested for America/Chicago,
Europe/Berlin and Australia/Sydney):

* a wall time that does not exist (spring forward, e.g. 02:30 when clocks jump
  from 02:00 to 03:00) runs at the first valid instant after the gap (03:00 new time);
* a wall time that happens twice (fall back, e.g. 01:30 when clocks go from 02:00
  back to 01:00) runs once, at its first occurrence (summer time);
* two wall times of one entry that land on the same instant give one slot.

So a DST change never skips a slot and never sends one twice.

The wall-clock times are enumerated with the CronTrigger in a fixed-offset "wall"
zone (naive local times dressed as UTC) and each is then mapped to a real instant
by :func:`resolve_wall_time`; this keeps APScheduler for cron arithmetic and the DST
rule in one small, tested function.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["TimetableError", "Entry", "Slot", "parse_timetable", "parse_duration",
           "resolve_wall_time", "cron_trigger", "expand", "WEEKDAYS", "never_fires",
           "skip_instant", "wall_text", "is_slot_of"]

UTC = dt.timezone.utc
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_CRON_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"^\s*([A-Za-z]{3})\s+(\d{1,2}):(\d{2})\s*$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class TimetableError(ValueError):
    """An entry that cannot be understood; ``key_path`` like ``timetable[2].cron``."""

    def __init__(self, key_path: str, message: str, hint: str | None = None) -> None:
        super().__init__(f"{key_path}: {message}")
        self.key_path, self.message, self.hint = key_path, message, hint


@dataclass(frozen=True)
class Entry:
    """One timetable entry. ``spec`` is the cron line, the weekly slots or the datetimes."""

    index: int
    name: str
    channel: str
    kind: str  # "cron" | "weekly" | "at"
    spec: tuple[str, ...]
    grace: dt.timedelta | None = None
    skips: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Slot:
    """One moment a channel takes its next item. ``when`` is UTC; ``local`` the site's wall time."""

    when: dt.datetime
    channel: str
    entry: str
    local: dt.datetime
    skipped: bool = False


def parse_duration(value: Any, key_path: str) -> dt.timedelta:
    """``90``, ``"90s"``, ``"15m"``, ``"2h"``, ``"1d"`` → timedelta."""
    if isinstance(value, bool):
        raise TimetableError(key_path, "must be a duration such as 90s, 15m, 2h or 1d")
    if isinstance(value, (int, float)) and value >= 0:
        return dt.timedelta(seconds=float(value))
    match = _DURATION.match(str(value))
    if not match:
        raise TimetableError(key_path, f"{value!r} is not a duration",
                             hint="write seconds, or text like 90s, 15m, 2h or 1d")
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _crontab_dow(field: str) -> str:
    """Crontab weekday numbers (0/7 = Sunday) → names, since APScheduler 3.x counts 0 = Monday."""
    def name(match: re.Match[str]) -> str:
        number = int(match.group(0))
        if number > 7:
            raise ValueError(f"day of week {number} is out of range 0-7")
        return _CRON_DOW_NAMES[number]

    return re.sub(r"(?<![/\d])\d+", name, field)


def cron_trigger(expr: str, timezone: dt.tzinfo) -> Any:
    """An APScheduler CronTrigger for a standard crontab line (ValueError when invalid)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"needs 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}")
    minute, hour, day, month, dow = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=_crontab_dow(dow), timezone=timezone)


def _parse_at(text: str, key_path: str) -> str:
    try:
        dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise TimetableError(key_path, f"{text!r} is not a date-time",
                             hint='write it like "2026-12-01T12:30"') from None
    return str(text)


def parse_timetable(entries: Sequence[Mapping[str, Any]], channels: Iterable[str] = ()) -> list[Entry]:
    """Validate and type the ``timetable`` list. Raises :class:`TimetableError`.

    ``channels`` are the defined channel names; an entry naming another one is an
    error with a "did you mean". Names (given or ``<channel>-<n>``) must be unique.
    """
    import difflib

    known = list(channels)
    result: list[Entry] = []
    seen: dict[str, int] = {}
    counters: dict[str, int] = {}
    for index, raw in enumerate(entries):
        base = f"timetable[{index}]"
        channel = str(raw.get("channel", ""))
        if known and channel not in known:
            guess = difflib.get_close_matches(channel, known, n=1)
            raise TimetableError(f"{base}.channel", f"unknown channel {channel!r}",
                                 hint=(f"did you mean `{guess[0]}`? " if guess else "")
                                 + f"channels defined: {', '.join(known)}")
        kinds = [k for k in ("cron", "weekly", "at") if k in raw]
        if len(kinds) != 1:
            raise TimetableError(base, "give exactly one of `cron`, `weekly` or `at`")
        kind = kinds[0]
        spec: tuple[str, ...]
        if kind == "cron":
            spec = (str(raw["cron"]),)
            try:
                cron_trigger(spec[0], UTC)
            except ValueError as exc:
                raise TimetableError(f"{base}.cron", f"bad cron expression {spec[0]!r}: {exc}",
                                     hint='five fields: minute hour day-of-month month '
                                          'day-of-week, e.g. "0 9 * * TUE"') from None
        elif kind == "weekly":
            values = raw["weekly"] if isinstance(raw["weekly"], list) else [raw["weekly"]]
            for i, slot in enumerate(values):
                match = _WEEKLY.match(str(slot))
                ok = bool(match) and match.group(1).upper() in WEEKDAYS  # type: ignore[union-attr]
                if ok:
                    hour, minute = int(match.group(2)), int(match.group(3))  # type: ignore[union-attr]
                    ok = hour < 24 and minute < 60
                if not ok:
                    raise TimetableError(f"{base}.weekly[{i}]", f"{slot!r} is not a weekly slot",
                                         hint='write a weekday and a 24-hour time, like "MON 12:30"')
            spec = tuple(str(v).strip() for v in values)
        else:
            values = raw["at"] if isinstance(raw["at"], list) else [raw["at"]]
            spec = tuple(_parse_at(v, f"{base}.at[{i}]") for i, v in enumerate(values))
        counters[channel] = counters.get(channel, 0) + 1
        name = str(raw.get("name") or f"{channel}-{counters[channel]}")
        if name in seen:
            raise TimetableError(f"{base}.name" if raw.get("name") else base,
                                 f"duplicate timetable name {name!r} (also timetable[{seen[name]}])",
                                 hint="give each entry a unique `name:`")
        seen[name] = index
        grace = parse_duration(raw["grace"], f"{base}.grace") if "grace" in raw else None
        skips: tuple[str, ...] = ()
        if raw.get("skip") is not None:
            values = raw["skip"] if isinstance(raw["skip"], list) else [raw["skip"]]
            skips = tuple(_parse_at(v, f"{base}.skip[{i}]") for i, v in enumerate(values))
        result.append(Entry(index, name, channel, kind, spec, grace, skips))
    return result


def never_fires(entry: Entry, after: dt.datetime) -> bool:
    """True for a ``cron`` entry that names no real date after ``after`` (``0 9 31 2 *``:
    February has no 31st). Other kinds always name real times (``at`` is parsed)."""
    if entry.kind != "cron":
        return False
    return cron_trigger(entry.spec[0], UTC).get_next_fire_time(None, after) is None


def resolve_wall_time(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of naive wall time ``wall`` in ``zone``, by the DST rules above."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 is the first occurrence of a repeated time
    # In a gap: the answer is the transition instant, between the two candidate offsets.
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = sorted((int(first.timestamp()), int(second.timestamp())))
    while lo < hi:  # smallest whole second whose local time is at or after ``wall``
        mid = (lo + hi) // 2
        if dt.datetime.fromtimestamp(mid, UTC).astimezone(zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid + 1
    return dt.datetime.fromtimestamp(hi, UTC)


def _wall_times(entry: Entry, start: dt.datetime, end: dt.datetime) -> Iterable[dt.datetime]:
    """Naive wall times of ``entry`` in [start, end] (naive)."""
    if entry.kind == "at":
        for text in entry.spec:
            yield dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return
    if entry.kind == "cron":
        trigger = cron_trigger(entry.spec[0], UTC)
    else:
        from apscheduler.triggers.combining import OrTrigger
        from apscheduler.triggers.cron import CronTrigger

        parts = []
        for slot in entry.spec:
            match = _WEEKLY.match(slot)
            assert match is not None
            parts.append(CronTrigger(day_of_week=match.group(1).lower(), hour=int(match.group(2)),
                                     minute=int(match.group(3)), timezone=UTC))
        trigger = parts[0] if len(parts) == 1 else OrTrigger(parts)
    cursor = start.replace(tzinfo=UTC) - dt.timedelta(microseconds=1)
    stop = end.replace(tzinfo=UTC)
    previous = None
    while True:
        fire = trigger.get_next_fire_time(previous, cursor + dt.timedelta(microseconds=1))
        if fire is None or fire > stop:
            return
        yield fire.replace(tzinfo=None)
        previous, cursor = fire, fire


def skip_instant(text: str, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a ``skip:`` (or ``at:``) value: wall time in ``zone`` unless it
    carries an offset."""
    wall = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return wall.astimezone(UTC) if wall.tzinfo is not None else resolve_wall_time(wall, zone)


def wall_text(when: dt.datetime, zone: ZoneInfo) -> str:
    """How a slot is written in ``skip:``: its wall time in ``zone``, ``2026-12-08T09:00``."""
    local = when.astimezone(zone).replace(tzinfo=None)
    return local.isoformat(timespec="seconds" if local.second else "minutes")


def is_slot_of(entry: Entry, when: dt.datetime, zone: ZoneInfo) -> bool:
    """True when the instant ``when`` is one of ``entry``'s slots."""
    second = dt.timedelta(seconds=1)
    plain = Entry(entry.index, entry.name, entry.channel, entry.kind, entry.spec, entry.grace)
    return any(s.when == when for s in expand([plain], zone, when - second, when + second))


def expand(entries: Iterable[Entry], zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[Slot]:
    """Every slot with ``start <= when < end`` (aware instants), sorted by time then channel.

    A slot named in its entry's ``skips`` has ``skipped=True``."""
    margin = dt.timedelta(hours=27)  # covers any UTC offset and DST gap
    wall_start = start.astimezone(zone).replace(tzinfo=None) - margin
    wall_end = end.astimezone(zone).replace(tzinfo=None) + margin
    slots: set[Slot] = set()
    for entry in entries:
        skipped = {skip_instant(text, zone) for text in entry.skips}
        for wall in _wall_times(entry, wall_start, wall_end):
            when = (wall.astimezone(UTC) if wall.tzinfo is not None
                    else resolve_wall_time(wall, zone))
            if start <= when < end:
                slots.add(Slot(when, entry.channel, entry.name, when.astimezone(zone),
                               when in skipped))
    return sorted(slots, key=lambda s: (s.when, s.channel, s.entry))
