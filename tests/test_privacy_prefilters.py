"""The privacy guard's prefilters skip only work that could find nothing.

The scan skips a detector when a text lacks what all its patterns need (a digit, a
capital letter); ``scan_post(..., prefilter=False)`` runs every detector on every text,
and must give the very same findings, in the same order, for texts that sit right at
each prefilter's edge. The shortcuts inside detectors are checked against the patterns
they replace (kept here as the reference) or by what they must still find.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from trustpublish.content.markup import parse_blocks
from trustpublish.content.model import Post
from trustpublish.content.privacy import PrivacyRules, scan_post
from trustpublish.content.privacy import addresses, dates, identifiers, names, phones

SITE = "https://harborview-counseling.example/blog"
PLAIN = PrivacyRules.for_site(SITE)
LISTED = PrivacyRules.for_site(SITE, names=["Jane Roe", "élodie"], allow=["Kristin Neff"])
BASE = Post(source=Path("posts/edge.md"), title="Notes", slug="notes", url=f"{SITE}/notes",
            date=dt.datetime(2025, 1, 7, 9, tzinfo=dt.UTC), body=())
FIELDS = ("title", "summary", "image_alt", "author", "slug", "url", "image")

LINKS = ("See https://example.org/a%40b.com and https://example.org/x?name=Jo and "
         "https://example.org/plain/page and https://example.org/j@x.org/")
EDGES = [
    # dates: spelled with month words only, or with a single digit (no year): no date
    "She was born on the fourteenth of March and admitted in late May.",
    "Born March 4, admitted on the 9th.",
    "DOB: March 14, 1987; admitted 3/4/19; born in March '87.",
    "born １９８７-０３-１４ (full-width digits); she was admitted 03/14/2024.",
    "She was admitted ３/４/２４ and discharged ٣/٩/٢٤ (digits of other scripts).",
    # phones: with letters, with few digits, in other scripts
    "Call 1-800-FLOWERS or 555-CALL-NOW, or text HOME to 741741.",
    "Call ３１２-５５５-０１４２ or +44 20 7946 0958 or 0207 946 0958.",
    "Room 12, floor 3, 7 days a week",
    # names: no digit at all, lower case only, a capital only outside ASCII, initials
    "My client Maria told me about her relapse after therapy.",
    "my client maria told me about her relapse; jane roe too.",
    "Élodie, 34, started therapy in the spring; Ömer came to me after rehab.",
    "Our client J.R. (age 16) and M.L., 34, began therapy.",
    "Hope relapsed after her session. Mrs. Alvarez had a diagnosis.",
    "Tyler's mom called. Will's therapy went on. Patience helps recovery.",
    # identifiers and addresses without the usual shapes
    "SSN one two three; MRN ABC-DEF; chart number A-1234-B; patient 2019; SSN 123-45-6789.",
    "She lives at forty-two Elm Street, not 42 Elm Street or P.O. Box 17.",
    "Email maria (at) gmail (dot) com or maria@gmail.com.",
    LINKS,
    "x٣y and ٣abc-12 and a-b-c and 12-ab",
]


def placed(text: str):
    yield dataclasses.replace(BASE, body=tuple(parse_blocks(text, first_line=4)))
    for field in FIELDS:
        yield dataclasses.replace(BASE, **{field: " ".join(text.split())})
    yield dataclasses.replace(BASE, tags=tuple(t for t in text.split(",") if t.strip()))


@pytest.mark.parametrize("text", EDGES)
def test_prefilters_change_no_finding(text: str):
    for rules in (PLAIN, LISTED):
        for post in placed(text):
            assert scan_post(post, rules) == scan_post(post, rules, prefilter=False), post


def test_the_edge_texts_do_reach_the_detectors():
    """The edges are real: findings on both sides of each prefilter."""
    kinds = {f.kind for text in EDGES for post in placed(text) for f in scan_post(post, LISTED)}
    assert {"birthdate", "date", "phone", "name", "record", "address", "email", "url",
            "id-number"} <= kinds
    lower = scan_post(dataclasses.replace(BASE, summary="jane roe and élodie"), LISTED)
    assert {f.key for f in lower} == {"name:jane roe", "name:élodie"}


# the patterns the shortcuts replace, as they were written before
NUMBER = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z-]*\d[\dA-Za-z-]*")
STRETCH = re.compile(r"[+(]?\d[\d\s().\-/–]*\d")
CANDIDATE = re.compile(r"(?=\d)(?<![\w.,/-])(?=(\d{1,6}[A-Za-z]?(?:\s+\S+){2,6}))")
BIRTH_CUE = re.compile(
    r"(?=[db])\b(?:D\.?O\.?B\.?|date\s+of\s+birth|birth\s*date|birth\s*day|born|b\.)\b",
    re.IGNORECASE)
CARE_CUE = re.compile(
    r"(?=[adfhiop])\b(?:admitted|admission|discharged?|discharge\s+date|intake|hospitali[sz]ed|"
    r"died|passed\s+away|deceased|date\s+of\s+death|overdosed?|attempted|"
    r"first\s+(?:session|appointment|visit)|date\s+of\s+(?:service|visit|admission))\b",
    re.IGNORECASE)
POBOX = re.compile(r"(?=p)\b(?:P\.?\s?O\.?\s*Box|Post\s+Office\s+Box)\s*#?\s*(\d{1,6})\b",
                   re.IGNORECASE)
URL = re.compile(r"(?=h)\bhttps?://[^\s<>\"')\]]+", re.IGNORECASE)
CUES = ["İntake ıntake INTAKE Intake; DISCHARGE DATE, discharged, Discharge  date",
        "Date Of Birth d.o.b DOB: D.O.B. b.1987 b. born xborn _born 1born Born-again birthday",
        "birth date birthdate BIRTH DAY; admitted/admission;attempted, first  Session, "
        "FIRST VISIT, date of  service, date of admission, date of death, Died, deceased",
        "passed away, PASSED\nAWAY, hospitalised, HOSPITALIZED, overdose, OVERDOSED, ıntake",
        "P.O. Box 5, PO Box #12, p.o.box 7, post office box 7, POST  OFFICE BOX 99, xpo box 3",
        "HTTPS://X.ORG/?a=1 and Http://y.org/p and xhttp://z.org and _https://a.b/c"]
SAMPLES = EDGES + CUES + ["", "1", "a1", "-1-", "1a-b2", "x-1", "٣", "a٣b c", "(312) 555-0100",
                   "+1 (312) 555-0100 (x", "(a) (1 2) +x +1", "10/12/2020 to 3.4.5",
                   "1 a b c d e f g h", "x1 2 3 4, 5 Elm St", "1, 2 Elm Road.", "a/1 b c"]


@pytest.mark.parametrize("text", SAMPLES)
def test_rewritten_patterns_match_what_they_replace(text: str):
    assert list(identifiers._numbers(text)) == [m.span() for m in NUMBER.finditer(text)]
    assert ([m.span() for m in phones._DIGIT_STRETCH.finditer(text)]
            == [m.span() for m in STRETCH.finditer(text)])
    two_step = [(s.start(), m.group(0)) for s in addresses._CANDIDATE_START.finditer(text)
                if (m := addresses._CANDIDATE_TEXT.match(text, s.start()))]
    assert two_step == [(m.start(), m.group(1)) for m in CANDIDATE.finditer(text)]
    for new, old in ((dates._BIRTH_CUE, BIRTH_CUE), (dates._CARE_CUE, CARE_CUE),
                     (addresses._POBOX, POBOX), (identifiers._URL, URL)):
        assert ([(m.span(), m.groups()) for m in new.finditer(text)]
                == [(m.span(), m.groups()) for m in old.finditer(text)]), old.pattern


def test_rewritten_patterns_match_what_they_replace_in_the_corpus():
    corpus = Path(__file__).parent / "privacy_corpus"
    texts = [p.get("text") or repr(p.get("fields")) for name in ("positives.yaml",
             "negatives.yaml") for p in yaml.safe_load((corpus / name).read_text("utf-8"))]
    found = 0
    for text in texts + [t.upper() for t in texts]:
        for new, old in ((dates._BIRTH_CUE, BIRTH_CUE), (dates._CARE_CUE, CARE_CUE),
                         (addresses._POBOX, POBOX), (identifiers._URL, URL)):
            spans = [(m.span(), m.groups()) for m in old.finditer(text)]
            assert [(m.span(), m.groups()) for m in new.finditer(text)] == spans, old.pattern
            found += len(spans)
    assert found > 100


def test_the_cues_open_with_every_letter_that_matches_ignoring_case():
    """The opening classes list each character ``re`` matches to the first letters when
    ignoring case (by trying every code point), and no other."""
    every = "".join(map(chr, range(0x110000)))
    for pattern, letters in ((dates._BIRTH_CUE, "db"), (dates._CARE_CUE, "adfhiop"),
                             (addresses._POBOX, "p"), (identifiers._URL, "h")):
        opening = pattern.pattern[:pattern.pattern.index("]") + 1]
        assert (set(re.findall(opening, every))
                == set(re.findall(f"(?i)[{letters}]", every))), opening


@pytest.mark.parametrize("text", SAMPLES)
def test_what_a_shortcut_skips_holds_nothing(text: str):
    if not re.search(r"\d\d", text):
        assert dates._DATE.search(text) is None
    if not names._INITIAL.search(text):
        assert not names._INITIALS_AGE.search(text) and not names._ROLE_INITIALS.search(text)


def test_links_are_read_only_when_they_can_carry_data():
    found = {h.text for h in identifiers.find_urls(LINKS, ())}
    assert found == {"https://example.org/a%40b.com", "https://example.org/x?name=Jo",
                     "https://example.org/j@x.org/"}


def test_a_lone_common_word_counts_only_with_a_role():
    found = lambda text: [h.text for h in names.find_names(text)]  # noqa: E731
    assert found("Hope relapsed after her therapy session.") == []
    assert found("My client Hope relapsed after her therapy session.") == ["Hope"]
    assert found("Maria relapsed after her therapy session.") == ["Maria"]


def test_a_lazy_pattern_compiles_once_on_first_use_and_then_is_the_pattern():
    from trustpublish.content.privacy.patterns import Lazy

    calls = []

    def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
        calls.append(pattern)
        return re.compile(pattern, flags)

    lazy = Lazy(compile, r"(\d+)-(\d+)", re.ASCII)
    assert calls == []
    assert [m.groups() for m in lazy.finditer("1-2 and 30-4")] == [("1", "2"), ("30", "4")]
    assert lazy.search("x 5-6").group(0) == "5-6" and lazy.pattern == r"(\d+)-(\d+)"
    assert lazy.groups == 2 and lazy.sub("#", "7-8") == "#"
    assert calls == [r"(\d+)-(\d+)"]


URL_TEXTS = ["", "://", "a://b", "http://", "https://x.org", "HTTPS://X.ORG/?a=1",
             "xhttp://z.org and _https://a.b/c", "http://a.org/?u=https://b.org/?name=Jo",
             "ftp://a.org http://b.org/p?dob=1 https:// http:/x.org", "(http://a.org/?email=x)",
             "httpſ://a.org/?name=x", "Ahttps://a.org/?name=x https://a.org/?name=y", LINKS]


@pytest.mark.parametrize("text", URL_TEXTS)
def test_links_are_tried_only_before_each_scheme_separator(text: str):
    tried = [m.span() for m in identifiers.matches_at(identifiers._URL, text,
                                                      identifiers._url_starts(text))]
    assert tried == [m.span() for m in identifiers._URL.finditer(text)]


@pytest.mark.parametrize("text", ["", "(at)", "[ AT ]", "( at ]", "x (a t)", "(at", "at)",
                                  "[link](http://a.org) [at the] (at) ", "maria[at]gmail",
                                  "((at))", "[(at)]", "( \n at \t )"])
def test_a_spelled_at_is_looked_for_only_at_brackets(text: str):
    assert identifiers._spelled_at(text) == (identifiers._SPELLED_AT.search(text) is not None)


@pytest.mark.parametrize("text", ["", " ", "\n\t \u00a0\u2003", "\u200b", " x ", "\x1c\x1d"])
def test_a_blank_text_is_what_strip_empties(text: str):
    assert (not text or text.isspace()) == (not text.strip())


def test_lone_capitalised_words_are_decided_once_and_the_same(monkeypatch):
    text = ("Maria relapsed after her session. Hope helps. Tyler's therapy went on. "
            "Maria, 34, began therapy; Stress and Maria again had a diagnosis.")
    first = [h.key for h in names.find_names(text)]
    again = [h.key for h in names.find_names(text)]
    assert first == again and "name:maria" in first
    lone = names._lone_words()
    assert lone["Maria"] is False and lone["Stress"] is True and lone["Tyler's"] is False
    monkeypatch.setattr(names, "_LONE_MAX", 2)  # the memory is bounded: cleared when full
    names._lone_words().clear()
    assert [h.key for h in names.find_names(text)] == first
    assert len(names._lone_words()) <= 2


@pytest.mark.parametrize("text", ["", ".", "A.", ".A", "a.", "Z.", "[.", "@.", "É.", "é.",
                                  "x y. Z", "no initials here. None.", "Ω.", "ω.", "ǅ.",
                                  "ß. Ⅻ. ᾈ.", "the end. A. Smith", "Hi.\nThere"])
def test_an_initial_is_looked_for_only_before_dots(text: str):
    assert names._has_initial(text) == (names._INITIAL.search(text) is not None)
