"""Street addresses and P.O. boxes, read by ``usaddress`` (a trained US address parser).

Every number followed by words is a candidate; ``usaddress`` labels the words after
it, and the candidate is an address when it reads as house number, street name and
street type (``4821 N. Winthrop Ave.``, ``42 elm street``, ``1200 Lakeshore Ave,
Suite 300``) or as a P.O. box with its number. The key is the house number with the
street's name and direction (``address:4821 n winthrop``), so ``Ave`` and
``Avenue`` are one address and the clinic's own ``site.postal_address`` is allowed in
any spelling.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from .digits import digit_positions
from .finding import HIGH, MEDIUM, Hit
from .patterns import Lazy
from .stems import may_hold

__all__ = ["address_key", "find_addresses"]

# every number followed by words, overlapping ("In 2024, 1200 Lakeshore Ave" has two)
# (each opens with a look-ahead at its first character: the regex engine skips the
# positions where nothing can start)
_CANDIDATE = re.compile(r"(?=\d)(?<![\w.,/-])(?=(\d{1,6}[A-Za-z]?(?:\s+\S+){2,6}))")
# the same candidates in two steps: where one starts (a digit, so the engine skips ahead
# to digits), then what follows it
_CANDIDATE_START = re.compile(r"\d(?<![\w.,/-]\d)")
_CANDIDATE_TEXT = re.compile(r"\d{1,6}[A-Za-z]?(?:\s+\S+){2,6}")
# (``(?=p)\b(?:P\.?\s?O\.?\s*Box|Post\s+Office\s+Box)...`` ignoring case, written to open
# with its first letter so the engine skips ahead to a "p")
_POBOX = re.compile(r"[Pp](?<=\b[Pp])(?i:\.?\s?O\.?\s*Box|ost\s+Office\s+Box)\s*#?\s*(\d{1,6})\b")
_DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne",
               "northwest": "nw", "southeast": "se", "southwest": "sw"}
_STREET_TYPES = Lazy(re.compile,
    r"^(?:st|street|ave|av|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|ct|court|way|pl|"
    r"place|ter|terrace|pkwy|parkway|hwy|highway|cir|circle|sq|square|trl|trail|row|aly|"
    r"alley|loop|pike|plz|plaza|walk|crescent|cres|close|grove|gardens|gdns|mews)$")


@functools.lru_cache(maxsize=8192)  # prose repeats its words: each is read once
def _norm(word: str) -> str:
    word = re.sub(r"[^a-z0-9]", "", word.lower())
    return _DIRECTIONS.get(word, word)


def _parse(text: str) -> tuple[list[tuple[str, str]], int] | None:
    """Labelled tokens from the house number to the street type, and how many there are.

    Only prefixes that end in a street type (St, Ave, Road...) are given to the
    parser, shortest first, so words after the address cannot confuse it.
    """
    words = text.split()
    for end in range(2, len(words)):
        if not _STREET_TYPES.match(_norm(words[end])):
            continue
        import usaddress  # loaded (a trained model) only when a text has a street-like word

        try:
            tokens = usaddress.parse(" ".join(words[:end + 1]))
        except Exception:  # noqa: BLE001 - the parser's own errors mean "not an address"
            continue
        labels = [label for _, label in tokens]
        if (len(tokens) == end + 1 and labels[0] == "AddressNumber"
                and labels[-1] == "StreetNamePostType" and "StreetName" in labels
                and all(label in _STREET_PARTS for label in labels[1:-1])):
            return tokens, end + 1
    return None


_STREET_PARTS = frozenset({"StreetNamePreDirectional", "StreetNamePreType", "StreetName",
                           "StreetNamePreModifier"})


def address_key(text: str) -> str | None:
    """``address:<number> <direction> <street name>`` for an address in any spelling."""
    box = _POBOX.search(text)
    if box:
        return f"address:po box {box.group(1)}"
    for match in _CANDIDATE.finditer(text):
        parsed = _parse(match.group(1))
        if parsed:
            return _key(parsed[0])
    return None


_FUNCTION_WORDS = frozenset("""
a an the in of to on at by for from with and or but per out up down over into about than
as every each all some most many few people person miles mile blocks km times years
months weeks days hours minutes minute percent kids adults clients
""".split())


def _plain_lowercase_address(name_words: list[str], street_type: str) -> bool:
    """``42 elm street`` yes; ``3 in 10 people drive`` no (all-lowercase needs more proof)."""
    return (len(name_words) <= 2 and not any(_norm(w) in _FUNCTION_WORDS for w in name_words)
            and _norm(street_type) in ("street", "avenue", "road", "boulevard", "lane"))


def _key(tokens: list[tuple[str, str]]) -> str:
    words = [_norm(t) for t, label in tokens if label != "StreetNamePostType"]
    return "address:" + " ".join(w for w in words if w)


def _candidate_starts(text: str) -> list[int]:
    """Where ``_CANDIDATE_START`` matches (each match is one digit: only digits are tried)."""
    return [d for d in digit_positions(text) if _CANDIDATE_START.match(text, d) is not None]


def find_addresses(text: str) -> Iterator[Hit]:
    boxes = _POBOX.finditer(text) if may_hold(text, (("box",),)) else ()  # see stems.py
    for match in boxes:
        yield Hit("address", match.start(), match.end(), match.group(0),
                  f"address:po box {match.group(1)}", HIGH)
    for start in _candidate_starts(text):
        match = _CANDIDATE_TEXT.match(text, start)
        if match is None:
            continue
        parsed = _parse(match.group(0))
        if not parsed:
            continue
        tokens, count = parsed
        words = match.group(0).split()
        shown = " ".join(words[:count]).rstrip(",;")
        name_words = [t for t, label in tokens[1:] if label != "StreetNamePostType"]
        capitalised = all(w[:1].isupper() or w[:1].isdigit() for w in name_words)
        if not capitalised and not _plain_lowercase_address(name_words, tokens[-1][0]):
            continue
        yield Hit("address", match.start(), match.start() + len(shown), shown, _key(tokens),
                  HIGH if capitalised else MEDIUM)
