"""Scanning a post: every field, every detector, then approvals.

Fields scanned: ``title``, ``summary``, ``tags``, ``author``, ``slug``, ``url``,
``image``, ``image_alt`` and the body (each block from its source line). Prose
fields (title, summary, image_alt, tags read as a list, body) get every detector;
``author``, ``slug``, ``url`` and ``image`` get all but the context name finder
(only ``privacy.names`` and roles count there), and are also read with their
hyphens and underscores as spaces (``born-1987-03-14`` is a birth date).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Iterator

from ..model import Post
from .addresses import find_addresses
from .dates import find_dates
from .digits import digit_positions
from .finding import Finding, Hit
from .identifiers import find_emails, find_records, find_ssns, find_urls
from .names import find_names, has_capital
from .phones import find_phones
from .rules import PrivacyRules, approval_keys

__all__ = ["blocking_findings", "publishable", "scan_post", "scan_text"]

_LOWER_WORD = re.compile(r"\b[^\W\d_A-Z]+\b")
_SLUGGY = re.compile(r"(?<=[A-Za-z])[-_/]+|[-_/]+(?=[A-Za-z])")


def scan_text(text: str, rules: PrivacyRules, *, prose: bool = True,
              allowed_names: Iterable[str] = (), vocabulary: Collection[str] = ()) -> list[Hit]:
    """Every hit in one text. ``vocabulary``: lower-case words of the whole post."""
    return _scan(text, rules, prose, _allowed(rules, allowed_names), vocabulary)


def _allowed(rules: PrivacyRules, allowed_names: Iterable[str]) -> frozenset[str]:
    return rules.allowed_names | {" ".join(n.lower().split()) for n in allowed_names}


def _scan(text: str, rules: PrivacyRules, prose: bool, allowed: Collection[str],
          vocabulary: Collection[str], *, prefilter: bool = True) -> list[Hit]:
    """:func:`scan_text` with the allowed names ready.

    Prefilters skip a detector that cannot find anything in ``text``: the SSN, record,
    date, phone and address detectors when it has no digit (each of their patterns
    needs one), the name finder when it has no capital letter and the project lists no
    names (its patterns all start at a capital). ``prefilter=False`` runs every detector
    (tests/test_privacy_prefilters.py checks the two agree).
    """
    if not text or text.isspace():  # (what ``text.strip()`` empties, without the copy)
        return []
    digits = not prefilter or bool(digit_positions(text))
    hits: list[Hit] = []
    hits += find_emails(text, rules.own_domains)
    hits += find_urls(text, rules.own_domains)
    if digits:
        hits += find_ssns(text)
        hits += find_records(text)
        hits += find_dates(text)
        hits += find_phones(text, rules.region)
        hits += find_addresses(text)
    if not prefilter or rules.names or has_capital(text):
        hits += find_names(text, rules.names, allowed, prose=prose, vocabulary=vocabulary)
    return hits


class _Words:
    """The lower-case words of a post's prose, found on first use: only a Title Case
    heading with a full name in it asks, so most posts never pay for the scan."""

    def __init__(self, post: Post) -> None:
        self._post = post
        self._words: set[str] | None = None

    def _get(self) -> set[str]:
        if self._words is None:
            post = self._post
            self._words = set(_LOWER_WORD.findall(" ".join(
                [post.title, post.summary, post.image_alt, *post.tags,
                 *(b.text for b in post.body)])))
        return self._words

    def __contains__(self, word: object) -> bool:
        return word in self._get()

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def _findings(text: str, field: str, first_line: int, rules: PrivacyRules,
              allowed: Collection[str], *, prose: bool = True,
              vocabulary: Collection[str] = (), prefilter: bool = True) -> Iterator[Finding]:
    for hit in _scan(text, rules, prose, allowed, vocabulary, prefilter=prefilter):
        line = first_line + text.count("\n", 0, hit.start) if first_line else 0
        yield Finding(hit.kind, hit.text, line, hit.key, field, hit.confidence)


def _body_findings(post: Post, rules: PrivacyRules, allowed: Collection[str],
                   vocabulary: Collection[str], prefilter: bool) -> list[Finding]:
    """The body read as one text (context may cross blocks), each hit on its source line."""
    if not post.body:
        return []
    starts, parts, offset = [], [], 0
    for block in post.body:
        starts.append(offset)
        parts.append(block.markdown)
        offset += len(block.markdown) + 2
    text = "\n\n".join(parts)
    found = []
    for hit in _scan(text, rules, True, allowed, vocabulary, prefilter=prefilter):
        index = bisect.bisect_right(starts, hit.start) - 1
        block = post.body[index]
        line = (block.line or 1) + text.count("\n", starts[index], hit.start)
        found.append(Finding(hit.kind, hit.text, line, hit.key, "body", hit.confidence))
    return found


def scan_post(post: Post, rules: PrivacyRules, *, prefilter: bool = True) -> list[Finding]:
    """Every finding in every field of the post: front matter first, then the body.

    ``prefilter=False`` runs every detector on every text (see :func:`_scan`): the same
    findings, slower; it exists so a test can prove the prefilters skip nothing.
    """
    with_author = _allowed(rules, [post.author] if post.author else [])
    plain = rules.allowed_names
    vocabulary = _Words(post)
    found: list[Finding] = []
    found += _findings(post.title, "title", 0, rules, with_author, vocabulary=vocabulary,
                       prefilter=prefilter)
    found += _findings(post.summary, "summary", 0, rules, with_author, prefilter=prefilter)
    found += _findings(", ".join(post.tags) + ("." if post.tags else ""), "tags", 0, rules,
                       with_author, prefilter=prefilter)
    found += _findings(post.image_alt, "image_alt", 0, rules, with_author, prefilter=prefilter)
    for field, value in (("author", post.author), ("slug", post.slug), ("url", post.url),
                         ("image", post.image or "")):
        found += _findings(value, field, 0, rules, plain, prose=False, prefilter=prefilter)
        spaced = _SLUGGY.sub(" ", value)
        if spaced != value:
            found += _findings(spaced, field, 0, rules, plain, prose=False, prefilter=prefilter)
    if post.tags:
        found += _findings(_SLUGGY.sub(" ", "; ".join(post.tags)), "tags", 0, rules, plain,
                           prose=False, prefilter=prefilter)
    found += _body_findings(post, rules, with_author, vocabulary, prefilter)
    unique: dict[tuple[str, str, int], Finding] = {}
    for finding in found:
        where = (finding.key, finding.field, finding.line)
        if where not in unique or len(finding.text) > len(unique[where].text):
            unique[where] = finding
    return list(unique.values())


def blocking_findings(post: Post, rules: PrivacyRules) -> list[Finding]:
    """Findings not approved by the post's ``privacy_ok``, ``privacy.allow`` or the
    clinic's own details (``site.postal_address``, ``site.phone``, its domains)."""
    findings = scan_post(post, rules)
    if not findings:
        return []
    allowed = set(rules.allowed_keys)
    for approval in post.privacy_ok:
        allowed |= approval_keys(approval, rules.region)
    return [f for f in findings if f.key not in allowed]


def publishable(post: Post, rules: PrivacyRules) -> bool:
    """Approved, and nothing the privacy guard found is left unapproved."""
    return post.approved and not blocking_findings(post, rules)
