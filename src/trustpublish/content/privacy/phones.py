"""Phone numbers, found the way telephony software finds them (Google's libphonenumber).

:func:`find_phones` uses ``phonenumbers.PhoneNumberMatcher`` with the ``POSSIBLE``
leniency, so every format counts: ``+13125550187``, ``(312) 555-0187``,
``312.555.0187``, ten bare digits, a seven-digit local ``555-0187`` and numbers of
other countries written with ``+``. Toll-free and short service numbers (crisis
lines such as 988 or 1-800-273-8255) are public by nature and are not findings.
Keys are E.164 (``phone:+13125550187``), so one number matches in any format.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .digits import digit_positions, matches_at
from .finding import DEFAULT_REGION, HIGH, MEDIUM, Hit
from .patterns import Lazy

if TYPE_CHECKING:
    import phonenumbers
    from phonenumbers import PhoneNumberMatch

__all__ = ["DEFAULT_REGION", "find_phones", "phone_key"]


# ``phonenumbers`` is imported when a text first has digits enough for a phone number:
# loading it is a large part of the guard's start-up, and most posts never need it.
@functools.cache
def _public_types() -> frozenset[int]:
    """Toll-free, shared-cost and premium-rate numbers: public by nature."""
    from phonenumbers import PhoneNumberType

    return frozenset({PhoneNumberType.TOLL_FREE, PhoneNumberType.SHARED_COST,
                      PhoneNumberType.PREMIUM_RATE})
_DIGITS = re.compile(r"\d")
# An SSN written 3-2-4 is an id-number, never a phone
_SSN_SHAPE = Lazy(re.compile, r"^\d{3}([\s.-])\d{2}\1\d{4}$")
# digits with the separators phone numbers use: where the matcher has something to find
# (written ``[+(]?\d[...]*\d``, the same matches: the opening class lets the engine skip
# ahead to a digit, "+" or "(" instead of trying every position)
_DIGIT_STRETCH = re.compile(r"[+(\d](?:(?<=[+(])\d|(?<=\d))[\d\s().\-/–]*\d")
_LOCAL_SHAPE = Lazy(re.compile, r"^\d{3}[\s.-]\d{4}$")
# The leading digits come first and the look-behind (the character before them) after:
# the same matches as ``(?<![\w+])00...``, but the engine jumps from one "0" to the next
# instead of trying every position of a long text.
_INTL_00 = re.compile(r"00(?<![\w+]00)[\s-]?([1-9][\d\s().-]{6,16}\d)(?![\w-])")
_NATIONAL_0 = re.compile(r"0(?<![\w+.,/-]0)\d[\d\s().-]{7,13}\d(?![\w-])")
_ABROAD_REGIONS = ("GB", "IE", "DE", "FR", "ES", "IT", "NL", "AU", "NZ", "IN", "PH", "NG",
                   "ZA", "MX", "BR")
# a book, paper or case reference right before the digits
_REFERENCE = Lazy(re.compile, r"\b(?:ISBN(?:-1[03])?|ISSN|doi|PMID|arXiv)\b\W*$", re.IGNORECASE)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    import phonenumbers

    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_key(text: str, region: str = DEFAULT_REGION) -> str | None:
    """``phone:+E164`` for a phone number written in any format, or None."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return f"phone:{_e164(number)}"


def _abroad(text: str, taken: list[tuple[int, int]]) -> Iterator[Hit]:
    """Numbers written for another country: ``00 44 20...`` or a national ``07700 900461``."""
    for match in _INTL_00.finditer(text):
        if any(a < match.end() and match.start() < b for a, b in taken):
            continue
        import phonenumbers

        try:
            number = phonenumbers.parse("+" + re.sub(r"\D", "", match.group(1)), None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            taken.append((match.start(), match.end()))
            yield Hit("phone", match.start(), match.end(), match.group(0),
                      f"phone:{_e164(number)}", HIGH)
    for match in _NATIONAL_0.finditer(text):
        if any(a < match.end() and match.start() < b for a, b in taken):
            continue
        import phonenumbers

        for region in _ABROAD_REGIONS:
            try:
                number = phonenumbers.parse(match.group(0), region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                if phonenumbers.number_type(number) not in _public_types():
                    yield Hit("phone", match.start(), match.end(), match.group(0),
                              f"phone:{_e164(number)}", MEDIUM)
                break


def _stretch_starts(text: str) -> list[int]:
    """Where a match of ``_DIGIT_STRETCH`` can begin: at a digit, or at a "+" or "(" right
    before one."""
    starts: list[int] = []
    for digit in digit_positions(text):
        if digit and text[digit - 1] in "+(":
            starts.append(digit - 1)
        starts.append(digit)
    return starts


def _matches(text: str, region: str) -> Iterator[PhoneNumberMatch]:
    """libphonenumber's matches, run only on stretches of text with 7 or more digits.

    Prose between numbers cannot hold a phone number, and the matcher is slow on it.
    """
    for span in matches_at(_DIGIT_STRETCH, text, _stretch_starts(text)):
        if len(_DIGITS.findall(span.group(0))) < 7:
            continue
        from phonenumbers import Leniency, PhoneNumberMatch, PhoneNumberMatcher

        start = max(0, span.start() - 8)
        for match in PhoneNumberMatcher(text[start:span.end() + 12], region,
                                        leniency=Leniency.POSSIBLE):
            yield PhoneNumberMatch(start + match.start, match.raw_string, match.number)


def find_phones(text: str, region: str = DEFAULT_REGION) -> Iterator[Hit]:
    """Every personal phone number in ``text`` (skips texts with fewer than 7 digits).

    Numbers are read with ``region``'s rules first; numbers dialled with ``00`` or
    written the national way of another country (a leading ``0``) are tried against
    the most common countries of origin too.
    """
    if len(digit_positions(text)) < 7:
        return
    taken: list[tuple[int, int]] = []
    for match in _matches(text, region):
        raw = match.raw_string
        if _SSN_SHAPE.match(raw):
            continue
        import phonenumbers

        number = match.number
        if phonenumbers.number_type(number) in _public_types():
            continue
        taken.append((match.start, match.end))
        valid = phonenumbers.is_valid_number(number)
        if not valid and not _LOCAL_SHAPE.match(raw):
            continue  # e.g. an ISBN-10 or a range of years: only "555-0187" counts unparsed
        if _REFERENCE.search(text, max(0, match.start - 12), match.start):
            continue
        yield Hit("phone", match.start, match.end, raw, f"phone:{_e164(number)}",
                  HIGH if valid else MEDIUM)
    yield from _abroad(text, taken)
