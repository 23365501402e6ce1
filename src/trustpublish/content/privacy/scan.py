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
from .finding import Finding, Hit
from .identifiers import find_emails, find_records, find_ssns, find_urls
from .names import find_names
from .phones import find_phones
from .rules import PrivacyRules, approval_keys

__all__ = ["blocking_findings", "publishable", "scan_post", "scan_text"]

_LOWER_WORD = re.compile(r"\b[^\W\d_A-Z]+\b")
_SLUGGY = re.compile(r"(?<=[A-Za-z])[-_/]+|[-_/]+(?=[A-Za-z])")


def scan_text(text: str, rules: PrivacyRules, *, prose: bool = True,
              allowed_names: Iterable[str] = (), vocabulary: Collection[str] = ()) -> list[Hit]:
    """Every hit in one text. ``vocabulary``: lower-case words of the whole post."""
    if not text or not text.strip():
        return []
    hits: list[Hit] = []
    hits += find_emails(text, rules.own_domains)
    hits += find_urls(text, rules.own_domains)
    hits += find_ssns(text)
    hits += find_records(text)
    hits += find_dates(text)
    hits += find_phones(text, rules.region)
    hits += find_addresses(text)
    names = rules.allowed_names | {" ".join(n.lower().split()) for n in allowed_names}
    hits += find_names(text, rules.names, names, prose=prose, vocabulary=vocabulary)
    return hits


def _findings(text: str, field: str, first_line: int, rules: PrivacyRules, *,
              prose: bool = True, allowed_names: Iterable[str] = (),
              vocabulary: Collection[str] = ()) -> Iterator[Finding]:
    for hit in scan_text(text, rules, prose=prose, allowed_names=allowed_names,
                         vocabulary=vocabulary):
        line = first_line + text.count("\n", 0, hit.start) if first_line else 0
        yield Finding(hit.kind, hit.text, line, hit.key, field, hit.confidence)


def _body_findings(post: Post, rules: PrivacyRules, author_names: list[str],
                   vocabulary: Collection[str]) -> list[Finding]:
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
    for hit in scan_text(text, rules, allowed_names=author_names, vocabulary=vocabulary):
        index = bisect.bisect_right(starts, hit.start) - 1
        block = post.body[index]
        line = (block.line or 1) + text.count("\n", starts[index], hit.start)
        found.append(Finding(hit.kind, hit.text, line, hit.key, "body", hit.confidence))
    return found


def scan_post(post: Post, rules: PrivacyRules) -> list[Finding]:
    """Every finding in every field of the post: front matter first, then the body."""
    author_names = [post.author] if post.author else []
    vocabulary = set(_LOWER_WORD.findall(" ".join(
        [post.title, post.summary, post.image_alt, *post.tags, *(b.text for b in post.body)])))
    found: list[Finding] = []
    found += _findings(post.title, "title", 0, rules, allowed_names=author_names,
                       vocabulary=vocabulary)
    found += _findings(post.summary, "summary", 0, rules, allowed_names=author_names)
    found += _findings(", ".join(post.tags) + ("." if post.tags else ""), "tags", 0, rules,
                       allowed_names=author_names)
    found += _findings(post.image_alt, "image_alt", 0, rules, allowed_names=author_names)
    for field, value in (("author", post.author), ("slug", post.slug), ("url", post.url),
                         ("image", post.image or "")):
        found += _findings(value, field, 0, rules, prose=False)
        spaced = _SLUGGY.sub(" ", value)
        if spaced != value:
            found += _findings(spaced, field, 0, rules, prose=False)
    if post.tags:
        found += _findings(_SLUGGY.sub(" ", "; ".join(post.tags)), "tags", 0, rules, prose=False)
    found += _body_findings(post, rules, author_names, vocabulary)
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
