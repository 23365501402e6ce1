"""Person names that identify a client: by list, by role, or by a health word nearby.

First names come from the ``gender-guesser`` package's name list (about 60,000
names from many countries, installed with it; nothing is downloaded). A run of
capitalised words is a *full name* when it starts with a listed first name
(``Maria Lopez``, ``Jo-Ann van der Berg``), a *titled name* after Mr/Mrs/Ms
(``Mrs. Alvarez``), or a *first name* alone (``Maria``).

It is a finding when:

* it is in ``privacy.names`` (always; any case);
* a role ties it to the clinic's work: "my client Maria", "a patient named Jo",
  "Ana, 34,", "Maria, one of our clients" (high confidence);
* a health word (diagnosis, medication, session, therapy, relapse, disorder...) is
  in its sentence or the next one (medium confidence), unless the sentence cites a
  public figure ("according to", "wrote", "(Beck, 1979)", "'s book"...), the name
  follows "Dr."/"Prof." or a staff role ("our therapist Maya"), or it is allowed.

Lone first names that are also common words (Hope, Will, May, Jordan...) and names
in Title Case headings count only with a role or from ``privacy.names``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator

import regex

from .finding import HIGH, MEDIUM, Hit
from .lexicon import (CITATION, COMMON_WORDS, FUNCTION_WORDS, HEALTH, NOT_PERSON, PARTICLES, ROLE_AFTER,
                      ROLE_BEFORE, STAFF_BEFORE, TITLES_PRIVATE, TITLES_PROFESSIONAL)

__all__ = ["find_names", "name_key", "first_names"]

_CAP = r"\p{Lu}[\p{Ll}\p{M}]+(?:['’-]\p{Lu}?[\p{Ll}\p{M}]+)*"
_RUN = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}'’-]){_CAP}(?:\s(?:\p{{Lu}}\.\s)?(?:(?:{'|'.join(PARTICLES)})\s)?"
    rf"{_CAP})*(?![\p{{L}}\p{{M}}])")
_SENTENCE_END = regex.compile(
    r"(?<!\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|No|\p{Lu}))[.!?…]+[\"'”’)\]]*"
    r"(?:\s+|$)|\n\s*\n|\n(?=\s*[-*#>|]|\s*\d+[.)]\s)")


_POSSESSIVE = regex.compile(r"['’]s$")
_AFTER_RUN = regex.compile(r"\.?(?:\s+(?:Jr|Sr|II|III)\.?,?)?\s+(\p{Lu}\p{Ll}+)")


def name_key(name: str) -> str:
    return "name:" + " ".join(name.lower().split())


@functools.cache
def first_names() -> frozenset[str]:
    """Lower-cased first names from gender-guesser's list (loaded once per process)."""
    from gender_guesser.detector import Detector

    return frozenset(n for n in Detector(case_sensitive=False).names if len(n) > 1)


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > start:
            spans.append((start, match.end()))
            start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _title_case(sentence: str) -> bool:
    words = [w for w in sentence.split() if w[:1].isalpha() and len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) / len(words) > 0.6


def _persons(run: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, shape) of person-looking parts of a capitalised run; shape full/single."""
    tokens = [(m.start(), m.end() - (2 if _POSSESSIVE.search(m.group(0)) else 0),
               _POSSESSIVE.sub("", m.group(0))) for m in regex.finditer(r"\S+", run)]
    names = first_names()
    i = 0
    while i < len(tokens):
        word = tokens[i][2]
        if word.lower().rstrip(".") in NOT_PERSON:
            return
        if word.lower() in FUNCTION_WORDS:
            i += 1
            continue
        if word.lower() in names:
            j = i + 1
            while j < len(tokens) and j - i <= 3:
                nxt = tokens[j][2].lower()
                if nxt in NOT_PERSON:
                    return
                j += 1
            shape = "full" if j - i >= 2 else "single"
            yield tokens[i][0], tokens[j - 1][1], shape
            i = j
            continue
        i += 1


def find_names(text: str, listed: Collection[str] = (), allowed: Collection[str] = (),
               *, prose: bool = True) -> Iterator[Hit]:
    """Names that identify a person (see the module docstring).

    ``listed`` are names that always count; ``allowed`` (lower-case) never do.
    ``prose=False`` is for short fields (tags, slug): only listed names and roles count.
    """
    for name in listed:
        for match in regex.finditer(rf"(?<!\w){regex.escape(name)}(?!\w)", text,
                                    flags=regex.IGNORECASE):
            yield Hit("name", match.start(), match.end(), match.group(0), name_key(name), HIGH)
    spans = _sentences(text)
    lower_words = set(regex.findall(r"\b\p{Ll}+\b", text))
    for index, (s_start, s_end) in enumerate(spans):
        sentence = text[s_start:s_end]
        titled = _title_case(sentence)
        window = sentence + (text[spans[index + 1][0]:spans[index + 1][1]]
                             if index + 1 < len(spans) else "")
        health = HEALTH.search(window) is not None
        cited = CITATION.search(sentence) is not None
        for run in _RUN.finditer(sentence):
            following = _AFTER_RUN.match(sentence, run.end())
            if following and following.group(1).lower() in NOT_PERSON:
                continue  # "Martin Luther King Jr. Day"
            for start, end, shape in _persons(run.group(0)):
                a, b = s_start + run.start() + start, s_start + run.start() + end
                name = text[a:b]
                key = name_key(name)
                if key[5:] in allowed or any(key[5:] in n for n in allowed if " " in n):
                    continue
                before = text[max(0, a - 60):a]
                after = text[b:b + 60]
                if after.startswith("'s") or after.startswith("’s"):
                    after_work = regex.match(r"['’]s\s+(?:\w+\s+){0,2}(?:book|work|model|theory|"
                                             r"research|approach|method|study|ideas?|concept)",
                                             after, regex.IGNORECASE)
                    if after_work:
                        continue
                role = bool(ROLE_BEFORE.search(before) or ROLE_AFTER.match(after))
                if role:
                    yield Hit("name", a, b, name, key, HIGH)
                    continue
                if not prose or not health or cited or titled:
                    continue
                if TITLES_PROFESSIONAL.search(before) or STAFF_BEFORE.search(before):
                    continue
                first = name.split()[0].lower()
                if shape == "single":
                    if first in COMMON_WORDS or first in lower_words:
                        continue
                    if TITLES_PRIVATE.search(before) is None and a == s_start + len(
                            sentence) - len(sentence.lstrip()) and first in COMMON_WORDS:
                        continue
                yield Hit("name", a, b, name, key, MEDIUM)
        # "Mrs. Alvarez" – a private title before a surname not in the first-name list
        for match in regex.finditer(rf"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+({_CAP})", sentence):
            a, b = s_start + match.start(), s_start + match.end()
            if health and not cited and prose:
                yield Hit("name", a, b, text[a:b], name_key(match.group(1)), MEDIUM)
