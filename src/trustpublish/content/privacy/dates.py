"""Dates tied to a person: birth dates, and dates of admission, discharge, intake...

A small date grammar (numbers and words) recognises ``03/14/1987``, ``3-14-87``,
``1987-03-14``, ``14.03.1987``, ``March 14th, 1987``, ``Mar. 14 1987``,
``14 March 1987``, ``the 14th of March, 1987`` and ``March 1987``; each is checked
to be a real calendar date. A date is a finding only next to a cue that ties it to
a person: "born", "DOB", "date of birth", "birthday" (kind ``birthdate``) or
"admitted", "discharged", "intake", "hospitalized", "died"... (kind ``date``).
Dates of events ("our open house on March 14, 2025") are not findings. Keys are
ISO dates (``birthdate:1987-03-14``), so every spelling of one date is one key.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from .digits import digit_positions, first_digit_pair
from .finding import HIGH, MEDIUM, Hit
from .patterns import Lazy
from .stems import may_hold

__all__ = ["date_key", "find_dates", "parse_date"]

_MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for m in names}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d|'?\d\d)"
_FORMS = [
    r"(?P<y1>(?:19|20)\d\d)[-/.](?P<m1>[01]?\d)[-/.](?P<d1>[0-3]?\d)",
    r"(?P<a>[0-3]?\d)(?P<sep>[-/.])(?P<b>[0-3]?\d)(?P=sep)(?P<y2>(?:19|20)?\d\d)",
    rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",
    (rf"(?:the\s+)?{_DAY.replace('day', 'day2')}\s+(?:of\s+)?{_MONTH.replace('mon', 'mon2')},?\s+"
     rf"{_YEAR.replace('year', 'year2')}"),
    rf"{_MONTH.replace('mon', 'mon3')},?\s+(?P<year3>(?:19|20)\d\d)",
]
_DATE = Lazy(re.compile, r"(?<![\w/.-])(?:" + "|".join(_FORMS) + r")(?![\w/]|-\d)", re.IGNORECASE)
# Each cue pattern opens with the letters its words start with (every character that
# matches them ignoring case, "İ" and "ı" included), then the rest of each word ignoring
# case: the same matches as ``(?=[db])\b(?:D\.?O\.?B\.?|date\s+of\s+birth|...)\b`` under
# re.IGNORECASE (tests/test_privacy_prefilters.py compares them), but the regex engine
# skips ahead to those letters instead of trying every position of the text.
_BIRTH_CUE = re.compile(
    r"[BDbd](?<=\b[BDbd])(?i:(?<=[Dd])(?:\.?O\.?B\.?|ate\s+of\s+birth)"
    r"|(?<=[Bb])(?:irth\s*date|irth\s*day|orn|\.))\b")
_CARE_CUE = re.compile(
    r"[AaDdFfHhIiOoPpİı](?<=\b[AaDdFfHhIiOoPpİı])(?i:"
    r"(?<=[Aa])(?:dmitted|dmission|ttempted)"
    r"|(?<=[Dd])(?:ischarged?|ischarge\s+date|ied|eceased|ate\s+of\s+death"
    r"|ate\s+of\s+(?:service|visit|admission))"
    r"|(?<=[Iiİı])ntake|(?<=[Hh])ospitali[sz]ed|(?<=[Pp])assed\s+away|(?<=[Oo])verdosed?"
    r"|(?<=[Ff])irst\s+(?:session|appointment|visit))\b")
# what each cue's matches hold, lower-cased (see stems.py): each tuple is one alternative's
# runs of literal letters; a text lacking them all is not searched for that cue
_BIRTH_STEMS = (("dob",), ("d.ob",), ("do.b",), ("d.o.b",), ("birth",), ("born",), ("b.",))
_CARE_STEMS = (("admitted",), ("admission",), ("attempted",), ("discharge",), ("died",),
               ("deceased",), ("date", "death"), ("date", "service"), ("date", "visit"),
               ("intake",), ("hospitali",), ("passed", "away"), ("overdose",),
               ("first", "session"), ("first", "appointment"), ("first", "visit"))
_WINDOW = 40
# how far before a digit pair a cue can end and still bear on a date (see _cues), with room
_REACH = (_WINDOW + 40) + _WINDOW + 8


def _year(text: str) -> int:
    text = text.lstrip("'")
    year = int(text)
    if len(text) == 2:
        year += 1900 if year > 30 else 2000
    return year


def _from_match(m: re.Match[str]) -> tuple[dt.date | None, bool]:
    """The date a match names, and whether it has a day (``March 1987`` has none)."""
    g = m.groupdict()
    try:
        if g["y1"]:
            return dt.date(int(g["y1"]), int(g["m1"]), int(g["d1"])), True
        if g["a"]:
            a, b, year = int(g["a"]), int(g["b"]), _year(g["y2"])
            if a <= 12:
                return dt.date(year, a, b), True  # US order first
            return dt.date(year, b, a), True
        if g["mon"]:
            return dt.date(_year(g["year"]), _MONTHS[g["mon"].lower()], int(g["day"])), True
        if g["mon2"]:
            return dt.date(_year(g["year2"]), _MONTHS[g["mon2"].lower()], int(g["day2"])), True
        if g["mon3"]:
            return dt.date(int(g["year3"]), _MONTHS[g["mon3"].lower()], 1), False
    except ValueError:
        return None, False
    return None, False


def parse_date(text: str) -> dt.date | None:
    """The first date written in ``text`` in any form of the grammar, or None."""
    match = _DATE.search(text)
    return _from_match(match)[0] if match else None


def date_key(kind: str, text: str) -> str | None:
    day = parse_date(text)
    return f"{kind}:{day.isoformat()}" if day else None


def _cues(text: str, pair: int) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the birth and care cues that can bear on a date, in order, given
    where the first digit pair is (``pair``).

    A cue bears on a date only when it ends less than ``_REACH`` characters before a digit
    pair: its own date lies within ``_WINDOW + 40`` characters after it, and a birth cue
    takes a date from a care cue only within ``_WINDOW`` characters before that date. So
    the cues are searched from just after the last digit that lies ``_REACH`` or more before
    the first pair: no cue holds a digit, so no cue runs across that point, and the cues
    found from it are the full scan's cues from it (an end of the full list, as it is
    sorted by start). Each cue pattern runs only if the text can hold its words (stems.py).
    """
    start, limit = 0, pair - _REACH
    for digit in digit_positions(text):
        if digit >= limit:
            break
        start = digit + 1
    cues: list[tuple[int, int, str]] = []
    if may_hold(text, _BIRTH_STEMS, start):
        cues += [(m.start(), m.end(), "birthdate") for m in _BIRTH_CUE.finditer(text, start)]
    if may_hold(text, _CARE_STEMS, start):
        cues += [(m.start(), m.end(), "date") for m in _CARE_CUE.finditer(text, start)]
    cues.sort()
    return cues


def find_dates(text: str) -> Iterator[Hit]:
    """Dates with a birth cue (``birthdate``) or a care cue (``date``) just before them.

    Cues are rare in prose, so the text is searched for cues first (only where they can
    bear on a date: see :func:`_cues`) and for dates only in the few characters after each.
    """
    pair = first_digit_pair(text)
    if pair is None:
        return  # every form of the grammar holds two digits in a row (the year, or its end)
    yield from _dated(text, _cues(text, pair))


def _dated(text: str, cues: list[tuple[int, int, str]]) -> Iterator[Hit]:
    """The dates the ``cues`` (sorted) find in ``text``."""
    done = -1
    for index, (cue_start, cue_end, kind) in enumerate(cues):
        following = cues[index + 1][0] if index + 1 < len(cues) else len(text)
        match = _DATE.search(text, cue_end, min(len(text), cue_end + _WINDOW + 40))
        if match is None or match.start() - cue_end > _WINDOW or match.start() <= done:
            continue
        if match.start() > following and kind == "date":
            continue  # a nearer cue owns this date
        if kind == "date" and any(k == "birthdate" and 0 <= match.start() - e <= _WINDOW
                                  for _, e, k in cues):
            continue
        day, has_day = _from_match(match)
        if day is None:
            continue
        done = match.start()
        if kind == "birthdate":
            iso = day.isoformat() if has_day else day.isoformat()[:7]
            yield Hit("birthdate", cue_start, match.end(), text[cue_start:match.end()],
                      f"birthdate:{iso}", HIGH if has_day else MEDIUM)
        elif has_day:
            yield Hit("date", match.start(), match.end(), match.group(0),
                      f"date:{day.isoformat()}", MEDIUM)
