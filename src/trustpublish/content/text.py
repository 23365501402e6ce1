"""Small, predictable text rules: slugs, words, sentences, teasers.

Pure functions; the same rules are used by the splitter, the fitter and the tests.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["slugify", "anchor_slug", "count_words", "split_sentences", "teaser",
           "normalize_space"]

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


@lru_cache(maxsize=1)
def _cjk() -> re.Pattern[str]:
    """CJK characters. Compiled on first use: ``re`` builds a bitmap of every code point
    in these ranges (several ms), and a build that counts no non-ASCII text needs none."""
    return re.compile("[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
                      "\uf900-\ufaff\U00020000-\U0002fa1f]")


# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "st", "vs", "etc", "e.g", "i.e", "jr", "sr", "no",
    "fig", "approx", "dept", "inc", "ltd", "co", "mt", "u.s", "a.m", "p.m", "ph.d",
}
# Candidate sentence ends; the character after must start a sentence (see _starts_sentence).
_SENTENCE_END = re.compile(r"""[.!?…。！？]["'”’)\]]*\s+(["“‘(\[]?)(\S)""")


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace to single spaces and strip the ends."""
    return " ".join(text.split())


def slugify(text: str, *, max_length: int = 80) -> str:
    """A URL/anchor slug: lower-case ASCII letters, digits and hyphens.

    ``"Trust as a Driver: Success?"`` → ``"trust-as-a-driver-success"``. Accents are
    folded; characters with no ASCII form are dropped; an empty result is ``"section"``.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug or "section"


def _has_non_latin_letters(text: str) -> bool:
    return any(ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN")
               for ch in text)


def anchor_slug(text: str, *, max_length: int = 80) -> str:
    """The anchor a blog engine gives a heading.

    Latin-script headings: :func:`slugify` (``"Café Hours"`` → ``"cafe-hours"``).
    A heading with letters of another script (Cyrillic, Greek, CJK, Arabic...) keeps
    its Unicode letters and digits, lower-cased, with punctuation dropped and spaces
    as hyphens, as GitHub, Hugo and WordPress do: ``"Что такое КПТ?"`` →
    ``"что-такое-кпт"``. An empty result is ``"section"``.
    """
    if not _has_non_latin_letters(text):
        return slugify(text, max_length=max_length)
    lowered = unicodedata.normalize("NFC", text).lower()
    kept = "".join(ch if (ch.isalnum() or unicodedata.category(ch).startswith("M")
                          or ch in " -") else " " if ch in "\u00a0\t" else ""
                   for ch in lowered)
    slug = re.sub(r"-{2,}", "-", re.sub(r"\s+", "-", kept.strip())).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug or "section"


@lru_cache(maxsize=8192)
def count_words(text: str) -> int:
    """Count words: runs of letters/digits (with inner apostrophes or hyphens).

    Each CJK character counts as one word, since those scripts do not use spaces.
    """
    if text.isascii():
        return len(_WORD.findall(text))
    pattern = _cjk()
    cjk = len(pattern.findall(text))
    return len(_WORD.findall(pattern.sub(" ", text))) + cjk


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences.

    A sentence ends at ``. ! ? …`` (optionally followed by closing quotes or
    brackets) when whitespace and an upper-case letter or digit follow, unless the
    word before the period is a known abbreviation (Dr., e.g., etc.) or a single
    initial. Joining the result with single spaces gives back ``normalize_space(text)``.
    """
    text = normalize_space(text)
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        following = match.group(2)
        if not (following.isupper() or following.isdigit() or
                (following.isalpha() and not following.islower())):
            continue
        candidate = text[start:match.start(1)]
        last_word = candidate.rsplit(" ", 1)[-1].rstrip(".!?…\"'”’)]").lower()
        if candidate.endswith(".") and (last_word in _ABBREVIATIONS or len(last_word) == 1):
            continue
        sentences.append(candidate.strip())
        start = match.start(1)
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def teaser(text: str, *, max_chars: int = 240) -> str:
    """One or two whole sentences from the start of ``text``.

    The second sentence is added only when the first is short (under 100
    characters) and both fit in ``max_chars``. A first sentence longer than
    ``max_chars`` is cut at a word boundary with an ellipsis.
    """
    sentences = split_sentences(text)
    if not sentences:
        return ""
    first = sentences[0]
    if len(first) > max_chars:
        return first[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    if len(first) < 100 and len(sentences) > 1 and len(first) + 1 + len(sentences[1]) <= max_chars:
        return f"{first} {sentences[1]}"
    return first
