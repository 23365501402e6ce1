"""Identifiers: social security, record/chart/patient/member/insurance numbers, emails, URLs.

* ``id-number``: an SSN as 3-2-4 digits with any separator (``123-45-6789``,
  ``123 45 6789``, ``123.45.6789``), or any nine digits after "SSN" / "social
  security". Key: the nine digits.
* ``record``: a number after a label (MRN, medical record, chart, patient, member,
  insurance, policy, subscriber, Medicaid/Medicare, case, claim; with or without
  "number", "no.", "#", "ID"). The value must hold a digit. Key: its letters and digits.
* ``email``: an address not at one of the clinic's own domains. Key: the address.
* ``url``: a link whose query carries personal data (``?patient=...``, ``&dob=...``)
  or whose path or query holds an email address or a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

from .digits import digit_positions, matches_at
from .finding import HIGH, MEDIUM, Hit
from .patterns import Lazy
from .stems import lowered

__all__ = ["email_key", "find_emails", "find_records", "find_ssns", "find_urls", "own_domain",
           "record_key", "ssn_key"]

# Patterns open with what their first character can be (a digit first, then the
# look-behind; or a look-ahead at the first letters): the same matches, but the regex
# engine skips the positions where nothing can start instead of trying each one.
_SSN = re.compile(r"\d(?<![\w/.-]\d)\d{2}([ \t.-]|\s?[–—]\s?)\d{2}\1\d{4}(?![\w-]|\.\d)")
_SSN_LABELLED = Lazy(re.compile,
    r"(?=s)\b(?:SSN|S\.S\.N\.?|SS#|social\s+security(?:\s+(?:number|no\.?|#))?)"
    r"\s*(?:is|was|of|:|#)?"
    r"\s*(\d[\d\s.–—-]{7,12}\d)", re.IGNORECASE)
_SSN_LABELS = ("ssn", "s.s.n", "ss#", "social security")
_LABEL = (r"(?:MRN|M\.R\.N\.|medical\s+record|health\s+record|record|chart|patient|client|"
          r"member(?:ship)?|insurance|insurance\s+policy|policy|subscriber|group|account|"
          r"medicaid|medicare|MBI|case|claim|beneficiary|NHS|health\s+card|HICN)")
_RECORD = Lazy(re.compile,
    rf"(?=[abcghimnprs])\b{_LABEL}"
    r"(?:\s+(?:ID|I\.D\.|number|num\.?|no\.?|nbr|#|identifier))*\s*(?:is|was|:|#|=|,)?"
    r"\s*#?\s*([A-Z0-9](?=[A-Z0-9-]*\d)[A-Z0-9-]{1,}[A-Z0-9])(?![\w-])", re.IGNORECASE)
# "MRN" alone is enough; the other labels need "number/no./#/ID" or ":" before the value
_STRONG = Lazy(re.compile, r"^(?:MRN|M\.R\.N\.|MBI|HICN|medicaid|medicare)\b", re.IGNORECASE)
_MARKED = Lazy(re.compile, r"(?:\bID|I\.D\.|\bnumber|\bnum\.?|\bno\.?|\bnbr|#|:|=|\bidentifier)",
                     re.IGNORECASE)
# A "number" is a word of letters, digits and hyphens that holds a digit: every match of
# ``(?<![A-Za-z0-9-])[A-Za-z-]*\d[\dA-Za-z-]*`` is a whole run of ``[A-Za-z\d-]``
# holding a digit. :func:`_numbers` finds them from their digits (rare in prose) instead
# of trying the pattern at every word.
_DIGIT_RUN = re.compile(r"\d[\dA-Za-z-]*")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# "maria [at] gmail [dot] com", "maria(at)gmail.com": an address written to dodge robots
_EMAIL_SPELLED = Lazy(re.compile,
    r"(?<![\w.+-])([\w.+-]+)\s*[\[(]\s*at\s*[\])]\s*([A-Za-z0-9-]+)"
    r"((?:\s*(?:[\[(]\s*dot\s*[\])]|\.)\s*[A-Za-z0-9-]+)+)", re.IGNORECASE)
_SPELLED_AT = re.compile(r"[\[(]\s*at\s*[\])]", re.IGNORECASE)
_SPELLED_DOT = Lazy(re.compile, r"\s*[\[(]\s*dot\s*[\])]\s*|\s*\.\s*", re.IGNORECASE)
_URL = re.compile(r"[Hh](?<=\b[Hh])(?i:ttps?)://[^\s<>\"')\]]+")  # (?i)(?=h)\bhttps?://...
_PERSONAL_PARAMS = Lazy(re.compile,
    r"^(?:name|first_?name|last_?name|full_?name|fname|lname|patient|patient_?id|client|"
    r"client_?id|dob|birth_?date|date_?of_?birth|birthday|ssn|mrn|email|e-?mail|phone|tel|"
    r"mobile|address|member_?id|insurance_?id)$", re.IGNORECASE)


def ssn_key(text: str) -> str:
    return "id-number:" + re.sub(r"\D", "", text)


def record_key(value: str) -> str:
    return "record:" + re.sub(r"[^a-z0-9]", "", value.lower())


def email_key(address: str) -> str:
    return "email:" + address.lower()


def own_domain(domain: str, own: Sequence[str]) -> bool:
    """True when ``domain`` is one of ``own`` or a subdomain of one."""
    domain = domain.lower()
    return any(domain == d or domain.endswith("." + d) for d in own)


def _numbers(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of ASCII letters, hyphens and digits (``re``'s ``\\d``, i.e.
    ``str.isdecimal``) that holds a digit, in order (from the text's digits: each run is
    ``_DIGIT_RUN`` from its first digit, then widened back over letters and hyphens)."""
    pos = 0
    for digit in digit_positions(text):
        if digit < pos:
            continue
        match = _DIGIT_RUN.match(text, digit)
        assert match is not None  # a digit starts a run
        start = digit
        while start > pos and (text[start - 1] in _WORD_CHARS or text[start - 1].isdecimal()):
            start -= 1
        yield start, match.end()
        pos = match.end()


def find_ssns(text: str) -> Iterator[Hit]:
    digits = digit_positions(text)
    if not digits:  # every pattern holds a digit
        return
    for match in matches_at(_SSN, text, digits):  # each match opens with a digit
        yield Hit("id-number", match.start(), match.end(), match.group(0),
                  ssn_key(match.group(0)), HIGH)
    lower = lowered(text) or text.lower()
    if not any(label in lower for label in _SSN_LABELS):
        return
    for match in _near_numbers(_SSN_LABELLED, text):
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) == 9:
            yield Hit("id-number", match.start(), match.end(), match.group(0),
                      ssn_key(digits), HIGH)


def _near_numbers(pattern: re.Pattern[str] | Lazy, text: str,
                  back: int = 60) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` that end at a number: only windows before numbers are read."""
    last_end = -1
    for number_start, number_end in _numbers(text):
        start = max(last_end, number_start - back, 0)
        for match in pattern.finditer(text, start, number_end):
            if match.end() == number_end and match.start() >= last_end:
                last_end = match.end()
                yield match
                break


def find_records(text: str) -> Iterator[Hit]:
    for match in _near_numbers(_RECORD, text):
        label = text[match.start():match.start(1)]
        if not (_STRONG.match(label) or _MARKED.search(label)):
            continue
        value = match.group(1)
        if re.fullmatch(r"(?:19|20)\d\d", value):
            continue  # "patient in 2019" is a year
        yield Hit("record", match.start(), match.end(), match.group(0), record_key(value), HIGH)


def find_emails(text: str, own_domains: Sequence[str]) -> Iterator[Hit]:
    if "@" in text:
        for match in _EMAIL.finditer(text):
            if not own_domain(match.group(1), own_domains):
                yield Hit("email", match.start(), match.end(), match.group(0),
                          email_key(match.group(0)), HIGH)
    if not _spelled_at(text):
        return
    for match in _EMAIL_SPELLED.finditer(text):
        rest = _SPELLED_DOT.sub(".", match.group(3))
        domain = f"{match.group(2)}{rest}".lower()
        if not own_domain(domain, own_domains):
            yield Hit("email", match.start(), match.end(), match.group(0),
                      email_key(f"{match.group(1)}@{domain}"), MEDIUM)


def _url_starts(text: str) -> list[int]:
    """Where a match of ``_URL`` can begin: 4 or 5 characters before a "://" ("http",
    "https"), found with ``str.find`` instead of trying each "h" of the text."""
    starts: list[int] = []
    at = text.find("://")
    while at >= 0:
        starts += [start for start in (at - 5, at - 4) if start >= 0]
        at = text.find("://", at + 3)
    return starts


def _spelled_at(text: str) -> bool:
    """Whether ``_SPELLED_AT`` matches: tried only at each "[" and "(" (where it begins)."""
    for bracket in "[(":
        at = text.find(bracket)
        while at >= 0:
            if _SPELLED_AT.match(text, at):
                return True
            at = text.find(bracket, at + 1)
    return False


def find_urls(text: str, own_domains: Sequence[str]) -> Iterator[Hit]:
    """Links carrying personal query parameters (the email/phone inside are found too)."""
    if "://" not in text:
        return
    for match in matches_at(_URL, text, _url_starts(text)):
        url = match.group(0).rstrip(".,;:!?")
        if "?" not in url and "@" not in url and "%40" not in url:
            continue  # no query to read and no email address in it, even percent-encoded
        parts = urlsplit(url)
        personal = [k for k, v in parse_qsl(parts.query, keep_blank_values=False)
                    if _PERSONAL_PARAMS.match(k) and v.strip()]
        path = unquote(parts.path + "?" + parts.query)
        emails = [m for m in _EMAIL.finditer(path) if not own_domain(m.group(1), own_domains)]
        if personal or emails:
            yield Hit("url", match.start(), match.start() + len(url), url,
                      "url:" + url.lower(), HIGH if personal else MEDIUM)
