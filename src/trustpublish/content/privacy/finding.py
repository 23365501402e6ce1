"""What the privacy guard reports: :class:`Hit` (in one text) and :class:`Finding` (in a post).

A finding's ``key`` is ``kind:canonical-value``, where the canonical value compares
meaning, not spelling: a phone number in E.164 (``phone:+13125550100``), a date in ISO
form (``birthdate:1987-03-14``), an address as number and street (``address:1200
lakeshore``), an SSN or record number as its digits and letters. An approval
(``privacy_ok``) or an allow-list entry is brought to the same form, so it hides
exactly the thing it names and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_REGION", "HIGH", "KINDS", "LOW", "MEDIUM", "Finding", "Hit"]

HIGH, MEDIUM, LOW = "high", "medium", "low"
#: the country whose phone rules apply to numbers written without ``+``
DEFAULT_REGION = "US"

#: Every kind of finding, with what it means (shown by ``check --privacy-report``).
KINDS: dict[str, str] = {
    "name": "a person's name (a client or patient, or a name from privacy.names)",
    "phone": "a phone number",
    "email": "an email address not at the clinic's own domain",
    "address": "a street address or P.O. box",
    "birthdate": "a date of birth",
    "date": "a date tied to a person's care (admitted, discharged, intake...)",
    "id-number": "a social security number",
    "record": "a medical record, chart, patient, member or insurance number",
    "url": "a link that carries personal data",
}


@dataclass(frozen=True)
class Hit:
    """One match in one text: ``text[start:end]`` is what was found."""

    kind: str
    start: int
    end: int
    text: str
    key: str
    confidence: str = HIGH


@dataclass(frozen=True)
class Finding:
    """One thing in a post that looks patient-identifying.

    ``field`` is the front-matter field (``title``, ``tags``, ``slug``...) or ``body``;
    ``line`` is the 1-based source line for the body (0 for front-matter fields, whose
    line the caller looks up in the file). ``key`` is what ``privacy_ok`` must list to
    approve this one finding.
    """

    kind: str
    text: str
    line: int
    key: str
    field: str = "body"
    confidence: str = HIGH

    @property
    def approval(self) -> str:
        return self.key
