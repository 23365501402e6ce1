"""A cue pattern is skipped only for a text that cannot hold its words (stems.py).

The date cues and the P.O. box pattern run only when the lower-cased text holds the
literal words one of their alternatives is built around; texts right at that edge (one
letter short, the words apart, case changed, characters outside ASCII that ``re`` matches
to ASCII letters) must give the same cues as running the patterns over every text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from trustpublish.content.privacy import addresses, dates
from trustpublish.content.privacy.stems import ODD, lowered, may_hold

EDGES = [
    "", "born", "bor n", "BORN 3/4/1987", "Born-again", "b.1987", "b 1987", "b.", "dob", "D.O.B.",
    "DO.B 1987-03-14", "d.ob", "d o b", "birthday", "Birth  Date", "date of birth", "bırth",
    "BİRTH", "date of  death 3/4/24", "date of death", "date\nof\nSERVICE", "date of visit",
    "admitted", "ADMİTTED", "admıtted", "admit ted", "admission", "attempted", "attemptted",
    "discharge date", "DISCHARGED", "dıscharged", "died", "DIED 1987", "deceased",
    "DECEAſED", "intake", "İntake", "ıntake", "INTAKE", "intak", "hospitalized",
    "hospitaliſed", "hospitalised", "passed away", "passed\taway", "passedaway", "PASSED AWAY",
    "overdose", "overdosed", "overdo", "first session", "First  Appointment", "first visit",
    "firstvisit", "first of all, a session", "the session was the first", "Kelvin K and K",
    "P.O. Box 5", "PO Box #12", "p.o.box 7", "post office box 7", "POST  OFFICE BOX 99",
    "PO Bo 9", "P.O. Bοx 5 (a Greek omicron)", "po boX 1", "pO ſox 1",
]


def _texts() -> list[str]:
    corpus = Path(__file__).parent / "privacy_corpus"
    texts = [p.get("text") or repr(p.get("fields")) for name in ("positives.yaml",
             "negatives.yaml") for p in yaml.safe_load((corpus / name).read_text("utf-8"))]
    texts += [t.upper() for t in texts] + [t.lower() for t in texts]
    filler = "We talk about growth, calm and the day ahead. " * 12  # longer than _SHORT
    return EDGES + texts + [filler + t for t in EDGES + texts] + [t + filler for t in texts]


def _all_cues(text: str) -> list[tuple[int, int, str]]:
    return sorted([(m.start(), m.end(), "birthdate") for m in dates._BIRTH_CUE.finditer(text)]
                  + [(m.start(), m.end(), "date") for m in dates._CARE_CUE.finditer(text)])


def test_odd_is_every_character_outside_ascii_that_matches_an_ascii_letter():
    every = "".join(map(chr, range(0x80, 0x110000)))
    assert set(re.findall("(?i)[a-z]", every)) == set(ODD)


def test_a_text_with_an_odd_character_is_always_searched():
    for odd in ODD:
        assert lowered("x" + odd) is None
        assert may_hold("nothing here " * 60 + odd, [("born",)])
    assert lowered("Ünïcode é") == "ünïcode é"
    assert not may_hold("Ünïcode é" + " " * 600, [("born",)])


def _check(text: str) -> int:
    """The cues searched are an end of the full scan's list holding every cue that ends
    within reach of the first digit pair, and the dates found are those all cues find."""
    full = _all_cues(text)
    assert list(dates.find_dates(text)) == list(dates._dated(text, full))
    pair = dates.first_digit_pair(text)
    assert pair == (m.start() if (m := re.search(r"\d\d", text)) else None)
    if pair is None:
        return 0
    searched = dates._cues(text, pair)
    assert searched == full[len(full) - len(searched):]
    assert all(c in searched for c in full if c[1] > pair - dates._REACH)
    return len(full) - len(searched)


@pytest.mark.parametrize("text", EDGES)
def test_cues_at_the_edge_are_the_full_scans_cues(text: str):
    for spaced in (text, f"On 3/4/1987 {text} 03/14/1987.", f"{text} 1987-03-14",
                   f"{text} 1 " + " " * dates._REACH + "born 03/14/1987"):
        _check(spaced)


def test_no_text_skipped_holds_a_cue_or_a_box():
    texts = _texts()
    skipped = found = 0
    for text in texts:
        _check(text)
        found += bool(_all_cues(text))
        if not may_hold(text, dates._BIRTH_STEMS) or not may_hold(text, dates._CARE_STEMS):
            skipped += 1
        if not may_hold(text, (("box",),)):
            assert addresses._POBOX.search(text) is None, text
    assert found > 50 and skipped > 50  # both sides of the edge are exercised


def test_cues_far_before_the_first_digit_pair_are_skipped_only_when_they_cannot_bear():
    reach = dates._REACH
    skipped = 0
    for gap in (0, 1, 40, 79, 80, 81, 119, 120, 121, reach - 1, reach, reach + 1, 400):
        for cue in ("born", "admitted", "date of" + " " * 300 + "birth", "DOB:", "died on"):
            for digit in ("", "7 ", "x7 "):
                text = f"{digit}{cue}" + " " * gap + "03/14/1987 and 4/5/2020."
                skipped += _check(text)
                text = f"Page 1. {cue} 9" + "." * gap + f" {cue} 1987-03-14, admitted 3/4/20"
                skipped += _check(text)
                text = f"{cue} 5 {cue}" + " " * gap + "born 03/14/1987"
                skipped += _check(text)
    assert skipped > 20
    text = "born 1, " + " " * reach + "admitted 03/14/2020"
    assert [h.key for h in dates.find_dates(text)] == ["date:2020-03-14"]
    assert dates._cues(text, dates.first_digit_pair(text)) == [(reach + 8, reach + 16, "date")]


def test_the_edge_words_are_found_on_both_sides():
    assert [c[2] for c in dates._cues("bırth date, ADMİTTED, hospitaliſed, İntake", 0)] == [
        "birthdate", "date", "date", "date"]
    assert dates._cues("firstvisit, passedaway, intak, bor n", 0) == []
    found = dates.find_dates("She was born 03/14/1987 and first seen on 3/4/2020.")
    assert [h.key for h in found] == ["birthdate:1987-03-14"]
    boxes = [h.key for h in addresses.find_addresses("Write to P.O. Box 17 or pO ſox 3.")]
    assert boxes == ["address:po box 17"]


def test_a_short_text_is_always_searched_a_long_one_only_with_its_words():
    from trustpublish.content.privacy import stems

    short = "x" * (stems._SHORT - 1)
    assert may_hold(short, [("born",)])
    assert not may_hold(short + "x", [("born",)])
    assert may_hold(short + "x born", [("born",)])
    assert not may_hold("born " + short + "xx", [("born",)], start=1)  # from ``start`` on
    assert may_hold("born " + short + "xx", [("born",)], start=0)
    assert may_hold("born " + short + "xx", [("born",)], start=10)  # short from there
