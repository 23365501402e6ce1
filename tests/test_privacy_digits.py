"""The digit detectors read a text's digits from one shared search, and find the same.

``digits.digit_positions`` (byte searches, ``str.isdecimal`` for characters outside ASCII)
must give exactly the matches of ``\\d``; each detector that now tries its pattern only at
digits must give what the pattern's ``finditer`` over the whole text gives. Texts sit at
each edge: digits of other scripts, "?" in the text, digits at the very start and end, a
text past the limit of characters outside ASCII that are tested one by one.
"""

from __future__ import annotations

import re

import pytest

from trustpublish.content.privacy import addresses, digits, identifiers, phones
from trustpublish.content.privacy.digits import digit_positions, first_digit_pair, matches_at

MANY_OTHERS = "é" * (digits._MAX_OTHERS + 1)
TEXTS = [
    "", "1", "12", "a", "?", "?1?", "1?2", "x٣y", "٣٣", "3٣", "a?٣?b", "１２３", "é1", "1é",
    "Call ３１２-５５５-０１４２ or +44 20 7946 0958 or 0207 946 0958.",
    "SSN 123-45-6789, 123 45 6789 and 123.45.6789; not 1234-56-789 or a/123-45-6789.",
    "She was admitted ３/４/２４ and discharged ٣/٩/٢٤ (digits of other scripts).",
    "+1 (312) 555-0100 (x", "(a) (1 2) +x +1", "(+1", "+(1", "10/12/2020 to 3.4.5",
    "x1 2 3 4, 5 Elm St", "1, 2 Elm Road.", "a/1 b c", "4821 N. Winthrop Ave. 60640",
    "x٣y and ٣abc-12 and a-b-c and 12-ab, MRN A-1234-B, chart number 88-12",
    "What? Why? 1? “2” — 3’s",
    MANY_OTHERS + " 12 " + MANY_OTHERS + "٣4",
    MANY_OTHERS[:-2] + "?٣ 12",  # at the limit: tested one by one
    "\u0660\u06f1\u07c2\u0966\uff10\U0001d7ce",  # digits of several scripts, one outside the BMP
    "Ⅻ ½ ² ① ᛮ",  # numeric but not decimal: ``\\d`` does not match them
]


@pytest.mark.parametrize("text", TEXTS)
def test_digit_positions_are_the_matches_of_backslash_d(text: str):
    assert digit_positions(text) == tuple(m.start() for m in re.finditer(r"\d", text))
    assert first_digit_pair(text) == (m.start() if (m := re.search(r"\d\d", text)) else None)


def test_every_decimal_digit_outside_ascii_is_found():
    every = "".join(chr(c) for c in range(0x80, 0x110000) if chr(c).isdecimal())
    assert len(every) > 600
    for size in (1, 7, digits._MAX_OTHERS, len(every)):  # one by one, and past the limit
        text = " ".join(every[:size])
        assert digit_positions(text) == tuple(range(0, 2 * size - 1, 2))


@pytest.mark.parametrize("text", TEXTS)
def test_detectors_tried_at_digits_find_what_the_full_scans_find(text: str):
    assert ([m.span() for m in matches_at(identifiers._SSN, text, digit_positions(text))]
            == [m.span() for m in identifiers._SSN.finditer(text)])
    assert ([m.span() for m in matches_at(phones._DIGIT_STRETCH, text,
                                          phones._stretch_starts(text))]
            == [m.span() for m in phones._DIGIT_STRETCH.finditer(text)])
    assert (addresses._candidate_starts(text)
            == [m.start() for m in addresses._CANDIDATE_START.finditer(text)])
    number = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z-]*\d[\dA-Za-z-]*")
    assert list(identifiers._numbers(text)) == [m.span() for m in number.finditer(text)]


def test_matches_at_tries_only_after_the_last_match_and_sees_the_text_before():
    pattern = re.compile(r"(?<!x)\d\d")
    text = "123 x45 67"
    assert [m.group(0) for m in matches_at(pattern, text, range(len(text)))] == ["12", "67"]
    assert [m.group(0) for m in matches_at(pattern, text, [1, 5])] == ["23"]


def test_positions_belong_to_their_own_text():
    """Remembered positions are per text: an equal text gives equal positions, another
    text its own."""
    assert digit_positions("a1b2") == (1, 3)
    assert digit_positions("a1b2" + "") == (1, 3)
    assert digit_positions("1ab2") == (0, 3)
    assert digit_positions("a1b2") == (1, 3)
