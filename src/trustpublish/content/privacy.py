"""The privacy guard (PRODUCT §9): what must never leave a clinic.

Before anything is published, each post (title, summary and body) is scanned for
patient-identifying details:

==========  =====================================================================
kind        what is found
==========  =====================================================================
name        a name from ``privacy.names`` in schedule.yaml (whole words, any case)
email       an email address not at the site's own domain (or ``privacy.allow``)
phone       a phone number (7+ digits in the usual groupings, with or without +cc)
birthdate   "DOB", "date of birth", "born (on)" followed by a date
record      a medical record / patient / chart number ("MRN 00123456")
id-number   a US social security number (123-45-6789)
address     a street address ("1200 Lakeshore Ave")
==========  =====================================================================

Each finding has a stable key (``phone:3125550142``). A finding blocks the post
from being scheduled until the text is fixed, or until staff approve that exact
finding in the post's front matter: ``privacy_ok: [phone:3125550142]`` (for the
clinic's own phone number, say). Values in ``privacy.allow`` are approved for
every post. Pure: data in, findings out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .model import Post

if TYPE_CHECKING:
    from ..plan.config import Config

__all__ = ["PrivacyRules", "Finding", "scan_post", "blocking_findings", "publishable", "rules_for"]

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_PHONE = re.compile(
    r"(?<![\w/#.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\w-])")
_DATE = (r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
         r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|"
         r"\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{4})")
_BIRTH = re.compile(rf"\b(?:D\.?O\.?B\.?|date of birth|birth ?date|born(?:\s+on)?)\s*:?\s*{_DATE}",
                    re.IGNORECASE)
_RECORD = re.compile(
    r"\b(?:MRN|medical record(?:\s+(?:no\.?|number|#))?|patient\s+(?:id|no\.?|number|#)|"
    r"chart\s+(?:no\.?|number|#)|record\s+(?:no\.?|number|#))\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{3,})",
    re.IGNORECASE)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_ADDRESS = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][A-Za-z]+\.?\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|"
    r"Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Highway|Hwy)\b")


@dataclass(frozen=True)
class PrivacyRules:
    """From ``privacy:`` in schedule.yaml plus the site's own domains."""

    names: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    own_domains: tuple[str, ...] = ()

    @classmethod
    def for_site(cls, site_url: str, names: Iterable[str] = (), allow: Iterable[str] = (),
                 extra_domains: Iterable[str] = ()) -> "PrivacyRules":
        host = (urlsplit(site_url).hostname or "").lower()
        base = host.removeprefix("www.")
        domains = tuple(sorted({d.lower() for d in (host, base, *extra_domains) if d}))
        return cls(tuple(n for n in names if n.strip()), tuple(allow), domains)


@dataclass(frozen=True)
class Finding:
    """One thing that looks patient-identifying, where it is, and how to approve it."""

    kind: str
    text: str
    line: int
    key: str = field(default="")

    @property
    def approval(self) -> str:
        return self.key


def _key(kind: str, text: str) -> str:
    if kind in ("phone", "id-number"):
        return f"{kind}:{re.sub(r'[^0-9+]', '', text)}"
    return f"{kind}:{' '.join(text.lower().split())}"


def _scan_text(text: str, first_line: int, rules: PrivacyRules) -> Iterable[Finding]:
    def found(kind: str, match: re.Match[str], shown: str | None = None) -> Finding:
        line = first_line + text.count("\n", 0, match.start())
        value = shown if shown is not None else match.group(0)
        return Finding(kind, value, line, _key(kind, value))

    for match in _EMAIL.finditer(text):
        domain = match.group(1).lower()
        if not any(domain == d or domain.endswith("." + d) for d in rules.own_domains):
            yield found("email", match)
    for match in _BIRTH.finditer(text):
        yield found("birthdate", match)
    for match in _RECORD.finditer(text):
        yield found("record", match)
    for match in _SSN.finditer(text):
        yield found("id-number", match)
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 7 <= len(digits) <= 15 and not _SSN.fullmatch(match.group(0).strip()):
            yield found("phone", match)
    for match in _ADDRESS.finditer(text):
        yield found("address", match)
    for name in rules.names:
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
            yield found("name", match, name)


def scan_post(post: Post, rules: PrivacyRules) -> list[Finding]:
    """Every finding in the post's title, summary and body, in file order."""
    findings: list[Finding] = []
    findings.extend(_scan_text(post.title, 1, rules))
    findings.extend(_scan_text(post.summary, 1, rules))
    for block in post.body:
        findings.extend(_scan_text(block.markdown, block.line or 1, rules))
    seen: set[tuple[str, int]] = set()
    unique = []
    for f in sorted(findings, key=lambda f: f.line):
        if (f.key, f.line) not in seen:
            seen.add((f.key, f.line))
            unique.append(f)
    return unique


def rules_for(config: "Config") -> PrivacyRules:
    """The rules of a project: ``privacy: {names, allow}`` and the site's and senders' domains."""
    raw = config.raw.get("privacy") or {}
    senders = [str(c.get("from", "")) for c in config.channels.values()]
    domains = [m.group(1) for s in senders for m in _EMAIL.finditer(s)]
    return PrivacyRules.for_site(config.site.url, raw.get("names") or (), raw.get("allow") or (),
                                 domains)


def blocking_findings(post: Post, rules: PrivacyRules) -> list[Finding]:
    """Findings not approved in the post (``privacy_ok``) or in ``privacy.allow``."""
    ok = {a.strip().lower() for a in (*post.privacy_ok, *rules.allow)}
    return [f for f in scan_post(post, rules)
            if f.key.lower() not in ok and f.text.strip().lower() not in ok]


def publishable(post: Post, rules: PrivacyRules) -> bool:
    """Approved, and nothing the privacy guard found is left unapproved."""
    return post.approved and not blocking_findings(post, rules)
