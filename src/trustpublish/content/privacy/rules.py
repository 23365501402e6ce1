"""What a project allows: :class:`PrivacyRules`, and approvals brought to finding keys.

An approval or allow-list entry is either a finding key (``phone:+13125550100``,
``birthdate:dob 1988-03-14``: the value is read again, so any spelling of the same
thing matches) or free text (``(312) 555-0100``, ``1200 Lakeshore Avenue``, ``Brené
Brown``), which is read by the same detectors. Either way it becomes the set of keys it
means, and it hides the findings with exactly those keys.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .finding import DEFAULT_REGION, KINDS

__all__ = ["PrivacyRules", "approval_keys"]

_KEYED = re.compile(rf"^\s*({'|'.join(map(re.escape, KINDS))})\s*:\s*(.+?)\s*$", re.IGNORECASE)


# The detectors (phonenumbers, usaddress, the name list) are imported where they are
# used: a build whose posts are all cached needs the rules' settings, not the detectors.
def _canonical(kind: str, value: str, region: str) -> set[str]:
    from .addresses import address_key
    from .dates import date_key
    from .identifiers import email_key, find_records, record_key, ssn_key
    from .names import name_key
    from .phones import phone_key

    if kind == "phone":
        key = phone_key(value, region)
        return {key} if key else set()
    if kind in ("birthdate", "date"):
        key = date_key(kind, value)
        if key is None and re.fullmatch(r"\d{4}-\d\d", value):
            key = f"{kind}:{value}"
        return {key} if key else set()
    if kind == "address":
        key = address_key(value)
        return {key or "address:" + " ".join(value.lower().split())}
    if kind == "id-number":
        return {ssn_key(value)}
    if kind == "record":
        found = [h.key for h in find_records(value)]
        return set(found) or {record_key(value.split()[-1])}
    if kind == "email":
        return {email_key(value)}
    if kind == "name":
        return {name_key(value)}
    return {f"{kind}:{value.lower()}"}


def approval_keys(text: str, region: str = DEFAULT_REGION) -> set[str]:
    """The finding keys an approval or allow-list entry stands for."""
    from .addresses import find_addresses
    from .identifiers import find_emails, find_records, find_ssns
    from .names import name_key
    from .phones import find_phones, phone_key

    keyed = _KEYED.match(text)
    if keyed:
        kind = keyed.group(1).lower()
        return _canonical(kind, keyed.group(2), region) | {f"{kind}:{keyed.group(2).lower()}"}
    keys = {name_key(text)}
    keys.update(h.key for h in find_phones(text, region))
    keys.update(h.key for h in find_addresses(text))
    keys.update(h.key for h in find_emails(text, ()))
    keys.update(h.key for h in find_ssns(text))
    keys.update(h.key for h in find_records(text))
    key = phone_key(text, region) if re.fullmatch(r"[\d\s().+-]{7,}", text.strip()) else None
    if key:
        keys.add(key)
    return keys


@dataclass(frozen=True)
class PrivacyRules:
    """The guard's settings for one project.

    ``names`` always count as findings; ``allow`` entries are allowed in every post;
    ``own_domains`` are the clinic's (emails there are never findings); ``own`` are the
    clinic's own details (postal address, phone numbers), allowed in any spelling;
    ``region`` is the country whose phone rules apply to numbers without ``+``.
    """

    names: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    own_domains: tuple[str, ...] = ()
    own: tuple[str, ...] = ()
    region: str = DEFAULT_REGION
    _cache: dict[str, object] = field(default_factory=dict, init=False, compare=False,
                                     repr=False)

    @classmethod
    def for_site(cls, site_url: str, names: Iterable[str] = (), allow: Iterable[str] = (),
                 extra_domains: Iterable[str] = (), own: Iterable[str] = (),
                 region: str = DEFAULT_REGION) -> PrivacyRules:
        host = (urlsplit(site_url).hostname or "").lower()
        base = host.removeprefix("www.")
        domains = tuple(sorted({d.lower() for d in (host, base, *extra_domains) if d}))
        return cls(tuple(n for n in names if n.strip()), tuple(allow), domains,
                   tuple(o for o in own if o and o.strip()), region)

    @property
    def allowed_keys(self) -> frozenset[str]:
        """Keys allowed in every post: ``allow`` entries and the clinic's own details."""
        cached = self._cache.get("keys")
        if cached is None:
            keys: set[str] = set()
            for entry in self.allow:
                keys |= approval_keys(entry, self.region)
            for text in self.own:
                keys |= _own_keys(text, self.region)
            cached = self._cache["keys"] = frozenset(keys)
        return cached  # type: ignore[return-value]

    @property
    def allowed_names(self) -> frozenset[str]:
        """Lower-cased names that are never findings (from ``allow``)."""
        return frozenset(" ".join(a.lower().split()) for a in self.allow)


@functools.lru_cache(maxsize=64)
def _own_keys(text: str, region: str) -> frozenset[str]:
    from .addresses import address_key, find_addresses
    from .phones import find_phones

    keys = {h.key for h in find_phones(text, region)}
    keys |= {h.key for h in find_addresses(text)}
    key = address_key(text)
    if key:
        keys.add(key)
    return frozenset(keys)
