"""Whether a text can hold a cue word, from substring searches in its lower-case form.

A cue pattern that ignores case (``born``, ``admitted``, ``P.O. Box``) is slow to run
over a long text: it tries every position where its first letter is. Most texts hold
none of its words, and ``in`` on the lower-cased text (C-level searches) says so first.

Why it is exact: ``re`` ignoring case matches an ASCII letter only to itself in either
case, or to one of four characters outside ASCII (``İ ı ſ K``: :data:`ODD`, found by
trying every code point; tests/test_privacy_stems.py checks it). In a text without those,
a match's letters are ASCII, ``str.lower`` turns each into one lower-case letter, so every
run of literal letters of the pattern (a *stem*: ``born``, ``hospitali``) that a match
went through is a substring of ``text.lower()``. A text with an odd character is always
searched.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

__all__ = ["ODD", "lowered", "may_hold"]

#: the characters outside ASCII that ``re`` matches to ASCII letters when ignoring case
ODD = ("\u0130", "\u0131", "\u017f", "\u212a")
_SHORT = 512


@functools.lru_cache(maxsize=32)
def lowered(text: str) -> str | None:
    """``text.lower()``, or None when ``text`` holds an :data:`ODD` character."""
    if not text.isascii() and any(odd in text for odd in ODD):
        return None
    return text.lower()


def may_hold(text: str, alternatives: Iterable[tuple[str, ...]], start: int = 0) -> bool:
    """False only when no alternative has all its stems (lower case) in ``text.lower()``
    from ``start`` on: a pattern each of whose matches holds all stems of one alternative
    cannot match there. A text shorter than ``_SHORT`` from ``start`` is not looked at
    (True). (``str.lower`` keeps each character's offset except for ``İ``, which is odd:
    the lower-cased text is as long as the text.)"""
    if len(text) - start < _SHORT:
        return True  # a cue pattern runs over a short text faster than the searches
    lower = lowered(text)
    if lower is None:
        return True
    return any(all(lower.find(stem, start) >= 0 for stem in stems) for stems in alternatives)
