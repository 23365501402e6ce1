"""The privacy guard's settings for a project: :func:`rules_for` reads schedule.yaml.

The guard itself (detectors, findings, approvals) is pure and lives in
:mod:`trustpublish.content.privacy`; this module re-exports it and adds
:func:`rules_for`, the one part that reads schedule.yaml.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..content.privacy import KINDS, Finding, PrivacyRules, approval_keys

if TYPE_CHECKING:
    from ..content.privacy.scan import blocking_findings, publishable, scan_post, scan_text
    from .config import Config

__all__ = ["KINDS", "Finding", "PrivacyRules", "approval_keys", "blocking_findings",
           "publishable", "rules_for", "scan_post", "scan_text"]


def __getattr__(name: str) -> Any:
    """The guard's scanning functions, loaded on first use (see content.privacy)."""
    if name in ("blocking_findings", "publishable", "scan_post", "scan_text"):
        from ..content.privacy import scan

        return getattr(scan, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_DOMAIN = re.compile(r"@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return []


def rules_for(config: Config) -> PrivacyRules:
    """The rules of a project.

    ``privacy: {names, allow}`` from schedule.yaml; the clinic's own details allowed
    automatically: ``site.postal_address``, ``site.phone`` (one number or a list), the
    site's domain and the domains of channel senders (``from:``).
    """
    raw = config.raw.get("privacy") or {}
    site_raw = config.raw.get("site") or {}
    senders = [str(c.get("from", "")) for c in config.channels.values()]
    domains = [m.group(1) for s in senders for m in _DOMAIN.finditer(s)]
    own = [config.site.postal_address, *_strings(site_raw.get("phone"))]
    return PrivacyRules.for_site(config.site.url, raw.get("names") or (), raw.get("allow") or (),
                                 domains, own)
