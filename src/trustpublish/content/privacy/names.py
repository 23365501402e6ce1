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

Lone first names that are also common words (Hope, Will, May, Jordan...) and lone
first names in Title Case headings count only with a role or from ``privacy.names``.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import importlib
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, BinaryIO

import regex

from .finding import HIGH, MEDIUM, Hit
from .lexicon import (CITATION, COMMON_WORDS, FAMILY_AFTER, FUNCTION_WORDS, HEALTH, NOT_PERSON,
                      PARTICLES, PUBLIC_BEFORE, QUOTED_AFTER, ROLE_AFTER, ROLE_BEFORE,
                      STAFF_BEFORE, SURNAME_WORDS, TITLES_PROFESSIONAL)
from .patterns import Lazy

__all__ = ["NAMES_FILE", "NameSet", "derive_first_names", "find_names", "first_names",
           "has_capital", "name_key", "names_file_text", "names_from"]

_CAP = r"\p{Lu}[\p{Ll}\p{M}]+(?:['’-]\p{Lu}?[\p{Ll}\p{M}]+)*"
_RUN = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}'’-]){_CAP}(?:\s(?:\p{{Lu}}\.\s)?(?:(?:{'|'.join(PARTICLES)})\s)?"
    rf"{_CAP})*(?![\p{{L}}\p{{M}}])")
_SENTENCE_END = Lazy(regex.compile,
    r"(?<!\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|No|\p{Lu}))[.!?…]+[\"'”’)\]]*"
    r"(?:\s+|$)|\n\s*\n|\n(?=\s*[-*#>|]|\s*\d+[.)]\s)")


_POSSESSIVE = regex.compile(r"['’]s$")
_AFTER_RUN = Lazy(regex.compile, r"\.?(?:\s+(?:Jr|Sr|II|III)\.?,?)?\s+(\p{Lu}\p{Ll}+)")


_CAPITAL = regex.compile(r"\p{Lu}")


def has_capital(text: str) -> bool:
    """Whether ``text`` holds a capital letter, which every name pattern needs (names the
    project lists are the exception: they count in any case)."""
    return _CAPITAL.search(text) is not None


def name_key(name: str) -> str:
    return "name:" + " ".join(name.lower().split())


#: the first names, derived from gender-guesser's list by scripts/build_first_names.py and
#: shipped with the package: reading it is ten times faster than deriving the names
NAMES_FILE = "first_names.txt"
_SOURCE = ("data", "nam_dict.txt")


def derive_first_names(source: bytes) -> frozenset[str]:
    """Lower-cased first names from the bytes of gender-guesser's ``nam_dict.txt``.

    The names of ``gender_guesser.detector.Detector(case_sensitive=False).names`` (longer
    than one letter), read straight from its data file line by line. Each line is
    ``<gender> <name> ...``; a ``+`` in a name stands for nothing, a space or a hyphen.
    """
    text = source.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the newline that ends the file ends the last line
    names: set[str] = set()
    for line in lines:
        line = line.strip()
        if line[:1] in ("#", "="):
            continue
        name = line.split(None, 2)[1].lower()
        if "+" in name:
            names.update(name.replace("+", joint) for joint in ("", " ", "-"))
        else:
            names.add(name)
    return frozenset(n for n in names if len(n) > 1)


def names_file_text(names: frozenset[str], source: bytes) -> str:
    """The text of :data:`NAMES_FILE`: a header naming the source and the list, then the
    names sorted, one a line."""
    body = "\n".join(sorted(names))
    return (f"# first names derived from gender-guesser's data/nam_dict.txt by "
            f"scripts/build_first_names.py; source sha256 {hashlib.sha256(source).hexdigest()}"
            f" names sha256 {hashlib.sha256(body.encode()).hexdigest()} count {len(names)}\n"
            + body)


class NameSet:
    """A set of strings that answers only ``word in names``, in about a tenth of the
    memory of a ``frozenset`` of them (0.5 MB instead of 5.5 MB for the 61,000 first names).

    It keeps the sorted 64-bit ``hash()`` of each name (an ``array``, one machine word a
    name, no string objects) and, per bucket of the top :attr:`BITS` bits of a hash, where
    the bucket starts, so a lookup is one ``hash`` and a :func:`bisect.bisect_left` over a
    handful of entries. Two strings with the same hash are the same here: a word that is no
    name answers True with a chance of about 3 in 10**15 per lookup (61,000 hashes among
    2**64), which at worst makes a false alarm of the privacy guard, never a missed name.
    ``len`` is the number of names it was made from.

    ``str`` hashes are salted per interpreter (``PYTHONHASHSEED``), so a set is only valid
    in the process that built it and in the processes it forks: it refuses to be pickled
    (a ``forkserver`` or ``spawn`` worker builds its own from :func:`first_names`).
    Two sets are equal when they hold the same hashes.
    """

    __slots__ = ("_hashes", "_starts", "_text", "_asked")
    #: lookups a set made by :meth:`of_lines` answers by bisecting its sorted text before
    #: the hashes are built (a process that scans one post never builds them)
    TEXT_LOOKUPS = 2000
    #: bits of a hash that pick its bucket (2**12 buckets of about 15 names)
    BITS = 12
    _SHIFT = 64 - BITS
    _OFFSET = 1 << 63  # makes a signed hash a non-negative number for the bucket

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._text: str | None = None  # None: the hashes are built
        self._asked = 0
        self._keep(array("q", map(hash, names)))

    @classmethod
    def of_lines(cls, text: str) -> NameSet:
        """The set of the lines of ``text``, which are sorted (as :func:`names_file_text`
        writes them). The first :attr:`TEXT_LOOKUPS` lookups bisect the text itself; then
        the hashes are built, a part of the text at a time so that the strings of all the
        lines never exist at once."""
        names = cls.__new__(cls)
        names._text, names._asked = text, 0
        return names

    def _built(self) -> array[int]:
        if self._text is not None:
            hashes = array("q")
            for part in _parts(self._text):
                hashes.extend(map(hash, part))
            self._keep(hashes)
            self._text = None
        return self._hashes

    def _keep(self, hashes: array[int]) -> None:
        hashes = array("q", sorted(hashes))
        # where each bucket starts: the first hash at or above the bucket's lowest value
        low = bisect.bisect_left
        self._starts = array("I", [low(hashes, (bucket << self._SHIFT) - self._OFFSET)
                                   for bucket in range((1 << self.BITS) + 1)])
        self._hashes = hashes

    def __contains__(self, word: object) -> bool:
        if self._text is not None:
            self._asked += 1
            if self._asked <= self.TEXT_LOOKUPS:
                return isinstance(word, str) and _in_sorted_lines(self._text, word)
            self._built()
        value = hash(word)
        bucket = (value + self._OFFSET) >> self._SHIFT
        starts, hashes = self._starts, self._hashes
        i = bisect.bisect_left(hashes, value, starts[bucket], starts[bucket + 1])
        return i < len(hashes) and hashes[i] == value

    def __len__(self) -> int:
        return len(self._built())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NameSet):
            return NotImplemented
        return self._built() == other._built()

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        raise TypeError("a NameSet holds this process's string hashes: build it in each process")

    def __repr__(self) -> str:
        return f"<NameSet of {len(self)} names>"


def names_from(shipped: str | None, source: bytes) -> NameSet:
    """The first names: ``shipped`` (the text of :data:`NAMES_FILE`) when its header says it
    was derived from exactly ``source`` and its names are whole, else derived from
    ``source`` (a missing, corrupt or outdated file costs time, never a wrong name)."""
    return _names_from(shipped, hashlib.sha256(source).hexdigest(), lambda: source)


def _names_from(shipped: str | None, source_sha: str, source: Callable[[], bytes]
                ) -> NameSet:
    """:func:`names_from` given the SHA-256 of the source and a way to read it."""
    header, _, body = (shipped or "").partition("\n")
    fields = header.split()
    expected = ["source", "sha256", source_sha, "names", "sha256",
                hashlib.sha256(body.encode()).hexdigest(), "count"]
    if fields[-8:-1] == expected:
        if str(body.count("\n") + 1 if body else 0) == fields[-1]:  # whole: every line there
            return NameSet.of_lines(body)
    return NameSet(derive_first_names(source()))


def _in_sorted_lines(text: str, word: str) -> bool:
    """True if ``word`` is a whole line of ``text``, whose lines are in sorted order (a
    binary search over character positions: no line is split out but those compared)."""
    if "\n" in word:
        return False
    if not word:  # an empty line: at the start, the end, or between two line breaks
        return not text or text[0] == "\n" or text[-1] == "\n" or "\n\n" in text
    lo, hi = 0, len(text)  # both at line starts (or the end)
    while lo < hi:
        mid = (lo + hi) // 2
        start = text.rfind("\n", lo, mid) + 1 or lo
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        if line == word:
            return True
        if line < word:
            lo = end + 1
        else:
            hi = start
    return False


def _parts(text: str, size: int = 1 << 16) -> Iterator[list[str]]:
    """The lines of ``text`` (all that ``text.split("\\n")`` gives, in order), in lists
    of the lines of about ``size`` characters."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end
        yield text[start:end].split("\n")
        start = end + 1


def _open_data(package: str, *parts: str) -> BinaryIO:
    """A data file of an installed package, open for reading: straight from the package's
    folder when it is plain files, else through :mod:`importlib.resources` (a zipped
    package), whose import would cost an edit ``build`` more than reading the names does."""
    for folder in getattr(importlib.import_module(package), "__path__", []):
        try:
            return open("/".join((folder, *parts)), "rb")
        except OSError:
            break
    from importlib.resources import files

    return files(package).joinpath(*parts).open("rb")


@functools.cache
def first_names() -> NameSet:
    """Lower-cased first names from gender-guesser's list (loaded once per process): the
    shipped :data:`NAMES_FILE` when it matches the installed list, else derived from it."""
    try:
        with _open_data(__package__, NAMES_FILE) as ours:
            shipped: str | None = ours.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        shipped = None
    with _open_data("gender_guesser", *_SOURCE) as stream:  # 4 MB: hashed a part at a time
        source_sha = hashlib.file_digest(stream, "sha256").hexdigest()

    def source() -> bytes:  # read whole only if the shipped list does not match it
        with _open_data("gender_guesser", *_SOURCE) as stream:
            return stream.read()

    return _names_from(shipped, source_sha, source)


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
               _POSSESSIVE.sub("", m.group(0))) for m in _TOKEN.finditer(run)]
    names = first_names()
    if len(tokens) > 1 and tokens[0][2] == "The":
        return  # "The Sandy Hook Promise", "The Body Keeps the Score": a title or a thing
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
                if nxt in NOT_PERSON and not (nxt in SURNAME_WORDS and j == i + 1 == len(tokens) - 1
                                              and word.lower() not in COMMON_WORDS):
                    return
                j += 1
            shape = "full" if j - i >= 2 else "single"
            yield tokens[i][0], tokens[j - 1][1], shape
            i = j
            continue
        i += 1


_LOWER_WORD = Lazy(regex.compile, r"\b\p{Ll}+\b")
_TOKEN = regex.compile(r"\S+")
_WORK_AFTER = Lazy(regex.compile,
    r"['’]s?\s+(?:\w+\s+){0,2}(?:books?|works?|models?|theor(?:y|ies)|research|"
    r"approach(?:es)?|methods?|stud(?:y|ies)|ideas?|concepts?|frameworks?|writings?|columns?|"
    r"blogs?|podcasts?|memoirs?|talks?|novels?|shows?|songs?|albums?|films?|movies?|lectures?|"
    r"papers?|articles?|scales?|legacy|quotes?|poems?|poetry|letters?|speech(?:es)?|"
    r"teachings?|principles?|techniques?|exercises?|workbooks?|website|videos?)\b",
    regex.IGNORECASE)
_THE_BEFORE = Lazy(regex.compile, r"\b[Tt]he\s+$")
#: initials and an age: "M.L., 34,", "J.R. (age 16)", "K.T., a 41-year-old"
_INITIALS_AGE = Lazy(regex.compile,
    r"(?<![\w.])(\p{Lu}\.\s?(?:\p{Lu}\.\s?)+)(?=,\s*(?:age\s*|aged\s*)?\d{1,2}\s*[,.)]|"
    r"\s*\(\s*(?:age\s*)?\d{1,2}\s*\)|,\s+a\s+\d{1,2}-year-old)")
#: a role, then initials only: "our client J.R.", "a patient, M.,"
_ROLE_INITIALS = Lazy(regex.compile,
    r"\b(?i:my|our|a|an|one|this|that|another)\s+(?:\w+\s+){0,2}"
    r"(?i:client|patient|counselee)s?\s*,?\s*(?i:named\s+|called\s+)?"
    r"(\p{Lu}\.(?:\s?\p{Lu}\.)*)(?!\w)")
_INITIAL = regex.compile(r"\p{Lu}\.")
_PRIVATE_TITLED = Lazy(regex.compile, rf"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+({_CAP})")


@functools.lru_cache(maxsize=256)
def _listed(name: str) -> regex.Pattern[str]:
    return regex.compile(rf"(?<!\w){regex.escape(name)}(?!\w)", flags=regex.IGNORECASE)


def _bare(word: str) -> str:
    """``word`` without a possessive ``'s`` (what ``_POSSESSIVE.sub("", word)`` gives for a
    capitalised word, which ends in a letter: no line break before the end)."""
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _has_initial(text: str) -> bool:
    """Whether ``_INITIAL`` (a capital, then ".") matches: tried only before each "." (an
    ASCII character before it is a capital when it is A-Z, as ``\\p{Lu}`` says)."""
    at = text.find(".", 1)
    while at >= 0:
        before = text[at - 1]
        if before.isascii():
            if "A" <= before <= "Z":
                return True
        elif _INITIAL.match(text, at - 1):
            return True
        at = text.find(".", at + 1)
    return False


class _Context:
    """Per-sentence facts, computed only for sentences that hold a candidate name."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = _sentences(text)
        self.starts = [a for a, _ in self.spans]
        self._facts: dict[int, tuple[bool, bool, bool]] = {}
        self._lower: set[str] | None = None

    def sentence_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def facts(self, index: int) -> tuple[bool, bool, bool]:
        """(a health word in this or the next sentence, a citation, a Title Case heading)."""
        if index not in self._facts:
            a, b = self.spans[index]
            sentence = self.text[a:b]
            end = self.spans[index + 1][1] if index + 1 < len(self.spans) else b
            self._facts[index] = (HEALTH.search(self.text, a, end) is not None,
                                  CITATION.search(sentence) is not None, _title_case(sentence))
        return self._facts[index]

    @property
    def lower_words(self) -> set[str]:
        if self._lower is None:
            self._lower = set(_LOWER_WORD.findall(self.text))
        return self._lower


# what the first-name test said of each lone capitalised word, for the NameSet it asked
_LONE: list[Any] = [None, {}]
_LONE_MAX = 1 << 14  # then forgotten and learnt again: a bound on its memory


def _lone_words() -> dict[str, bool]:
    """The remembered answers of :func:`_not_a_first_name` for the current first names."""
    names = first_names()
    if _LONE[0] is not names:
        _LONE[:] = [names, {}]
    return _LONE[1]  # type: ignore[no-any-return]


def _not_a_first_name(word: str, lone: dict[str, bool]) -> bool:
    """Whether a lone capitalised ``word`` is a function word, not a person or not a listed
    first name (``Tyler's`` is read as ``tyler``); remembered in ``lone``: prose repeats its
    sentence openings, and the first-name test is the costly part."""
    bare = _bare(word).lower()
    skip = bare in FUNCTION_WORDS or bare in NOT_PERSON or bare not in first_names()
    if len(lone) >= _LONE_MAX:
        lone.clear()
    lone[word] = skip
    return skip


def find_names(text: str, listed: Collection[str] = (), allowed: Collection[str] = (),
               *, prose: bool = True, vocabulary: Collection[str] = ()) -> Iterator[Hit]:
    """Names that identify a person (see the module docstring).

    ``listed`` are names that always count; ``allowed`` (lower-case) never do.
    ``prose=False`` is for short fields (author, slug): only listed names and roles count.
    ``vocabulary`` holds words written in lower case elsewhere in the same post: such a
    word in a Title Case heading is a word, not a name ("Key Components").
    """
    for name in listed:
        for match in _listed(name).finditer(text):
            yield Hit("name", match.start(), match.end(), match.group(0), name_key(name), HIGH)
    context: _Context | None = None
    lone = _lone_words()
    for run in _RUN.finditer(text):
        word = run.group(0)
        if " " not in word:  # one capitalised word: most are sentence starts, decide fast
            skip = lone.get(word)
            if skip is None:
                skip = _not_a_first_name(word, lone)
            if skip:
                continue
        following = _AFTER_RUN.match(text, run.end())
        if following and following.group(1).lower() in NOT_PERSON:
            continue  # "Martin Luther King Jr. Day"
        if _THE_BEFORE.search(text, max(0, run.start() - 5), run.start()):
            continue  # "the Sandy Hook Promise": a name of a thing
        for start, end, shape in _persons(run.group(0)):
            a, b = run.start() + start, run.start() + end
            name = text[a:b]
            key = name_key(name)
            if key[5:] in allowed or any(key[5:] in n for n in allowed if " " in n):
                continue
            before = text[max(0, a - 60):a]
            if (ROLE_BEFORE.search(before) or ROLE_AFTER.match(text, b, b + 60)
                    or FAMILY_AFTER.match(text, b, b + 40)):
                yield Hit("name", a, b, name, key, HIGH)
                continue
            if not prose or (shape == "single" and name.split()[0].lower() in COMMON_WORDS):
                continue  # a lone common word ("Hope") counts only with a role (checked below)
            if _WORK_AFTER.match(text, b, b + 60):
                continue
            if shape == "full" and QUOTED_AFTER.match(text, b, b + 30):
                continue  # "Brené Brown says" (a client is "Nadia says")
            if (TITLES_PROFESSIONAL.search(before) or STAFF_BEFORE.search(before)
                    or PUBLIC_BEFORE.search(before)):
                continue
            context = context or _Context(text)
            health, cited, titled = context.facts(context.sentence_of(a))
            if not health or cited:
                continue
            first = name.split()[0].lower()
            if shape == "single" and (titled or first in COMMON_WORDS
                                      or first in context.lower_words):
                continue
            if shape == "full" and titled:  # in a heading every word is capitalised
                words = [w.lower() for w in name.split()[:2]]
                if first in COMMON_WORDS or any(w in vocabulary or w in context.lower_words
                                                for w in words):
                    continue  # "Finding Hope After Loss", "Key Components of Trust"
                name = " ".join(name.split()[:2])
                b, key = a + len(name), name_key(name)
            yield Hit("name", a, b, name, key, MEDIUM)
    initials = _has_initial(text)  # both patterns need "X."
    for match in _INITIALS_AGE.finditer(text) if initials else ():
        yield Hit("name", match.start(1), match.end(1), match.group(1),
                  name_key(match.group(1)), MEDIUM)
    for match in _ROLE_INITIALS.finditer(text) if initials else ():
        yield Hit("name", match.start(1), match.end(1), match.group(1),
                  name_key(match.group(1)), MEDIUM)
    if not prose:
        return
    # "Mrs. Alvarez": a private title before a surname not in the first-name list
    for match in _PRIVATE_TITLED.finditer(text):
        context = context or _Context(text)
        health, cited, _ = context.facts(context.sentence_of(match.start()))
        if health and not cited:
            yield Hit("name", match.start(), match.end(), match.group(0),
                      name_key(match.group(1)), MEDIUM)
