"""Where a text's digits are, found once and shared by the detectors that need digits.

Every pattern of the SSN, record, date, phone and address detectors needs a digit
(``re``'s ``\\d``, which is ``str.isdecimal``: ``7``, ``７``, ``٣``...). A regex scan tests
every character of the text (about 10 ns each), and a 2,000-word post was scanned that way
six times; digits are rare in prose, and byte searches in C find them twenty times faster.
:func:`digit_positions` gives their offsets (remembered for the last few texts, so the
detectors run on one text share one search), and :func:`matches_at` runs a pattern only
where a match can begin.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["digit_positions", "first_digit_pair", "matches_at"]

_DIGIT = re.compile(r"\d")
_ASCII_DIGITS = b"0123456789"
_QUESTION = ord("?")
# past this many characters outside ASCII, testing each one in Python costs more than a scan
_MAX_OTHERS = 256


@functools.lru_cache(maxsize=32)
def digit_positions(text: str) -> tuple[int, ...]:
    """The offsets of ``text``'s digits (every match of ``\\d``), ascending.

    ASCII digits are found with ``bytes.find`` on the text encoded one byte a character
    (``?`` for each character outside ASCII); the few characters outside ASCII are then
    tested with ``str.isdecimal``. A text with many of them is scanned with ``\\d``.
    """
    if text.isascii():
        data = text.encode("ascii")
        found: list[int] = []
    else:
        data = text.encode("ascii", "replace")  # same length: one "?" per other character
        if data.count(_QUESTION) - text.count("?") > _MAX_OTHERS:
            return tuple(m.start() for m in _DIGIT.finditer(text))
        found = []
        at = data.find(_QUESTION)
        while at >= 0:
            if text[at].isdecimal():
                found.append(at)
            at = data.find(_QUESTION, at + 1)
    for digit in _ASCII_DIGITS:
        at = data.find(digit)
        while at >= 0:
            found.append(at)
            at = data.find(digit, at + 1)
    found.sort()
    return tuple(found)


def first_digit_pair(text: str) -> int | None:
    """Where ``text``'s first two digits in a row are (the first match of ``\\d\\d``), or
    None."""
    positions = digit_positions(text)
    return next((a for a, b in zip(positions, positions[1:]) if b - a == 1), None)


def matches_at(pattern: Any, text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern whose every match is non-empty and begins at
    one of ``starts`` (ascending): the pattern is tried only there (``match`` at an offset
    sees the text before it, as ``finditer`` does), each try after the last match's end."""
    end = 0
    for start in starts:
        if start >= end:
            match = pattern.match(text, start)
            if match is not None:
                end = match.end()
                yield match
