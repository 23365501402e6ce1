"""The privacy guard: what must never leave a clinic (README, "Privacy guard").

Pure: posts and rules in, findings out; no configuration, files or clock. Detectors
(one module each) use libraries made for the job: ``phonenumbers`` for phone
numbers, ``usaddress`` for street addresses, ``gender-guesser``'s name list for
person names, plus a small date grammar and labelled-identifier patterns.
:func:`scan_post` reads every field of a post; :func:`blocking_findings` leaves out
what the clinic has approved; :func:`publishable` is the verdict every output uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .finding import HIGH, KINDS, LOW, MEDIUM, Finding, Hit
from .rules import PrivacyRules, approval_keys

if TYPE_CHECKING:
    from .scan import blocking_findings, publishable, scan_post, scan_text

__all__ = ["HIGH", "KINDS", "LOW", "MEDIUM", "Finding", "Hit", "PrivacyRules", "approval_keys",
           "blocking_findings", "publishable", "scan_post", "scan_text"]

_SCAN = ("blocking_findings", "publishable", "scan_post", "scan_text")


def __getattr__(name: str) -> Any:
    """The scanning functions, imported on first use: they load the detectors
    (phonenumbers, usaddress, the name list), which a build of cached posts never needs."""
    if name in _SCAN:
        from . import scan

        return getattr(scan, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
