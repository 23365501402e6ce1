"""Ledger rows → :class:`~trustpublish.channels.base.Delivery` objects for the adapters.

Social/API channels (and feeds, outboxes, plugins) are composed by
:func:`trustpublish.channels.compose.compose`, which fits the excerpt to the
channel's budget. Email channels get a digest issue composed and rendered once per issue by
:mod:`trustpublish.digest` and one message per recipient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .channels.base import Delivery
from .model import Excerpt

__all__ = ["IssueCache", "unsubscribe_links"]

class IssueCache:
    """Composes and renders each digest issue once; makes per-recipient messages from it."""

    def __init__(self, site: Any, templates: Any) -> None:
        self.site, self.templates = site, templates
        self._rendered: dict[tuple[str, str], Any] = {}

    def rendered(self, channel: str, options: Mapping[str, Any], item: str, number: int,
                 excerpts: Sequence[Excerpt], when: dt.datetime) -> Any:
        key = (channel, item)
        if key not in self._rendered:
            from .digest import compose_issue, render_issue

            issue = compose_issue(self.site, channel, dict(options), list(excerpts),
                                  number=number, now=when)
            self._rendered[key] = render_issue(issue, self.templates)
        return self._rendered[key]

    def message(self, rendered: Any, key: str, channel: str, options: Mapping[str, Any],
                item: str, email: str, name: str, now: dt.datetime) -> Delivery:
        from email.utils import parseaddr

        from .digest import Recipient

        url, mailto = unsubscribe_links(self.site, channel, options, email)
        data = rendered.message_for(Recipient(email, name, url, mailto), now=now)
        try:
            from .channels.ids import delivery_id

            key = delivery_id(channel, item, email.lower())
        except ImportError:
            pass
        return Delivery(id=key, channel=channel, item_id=item, kind="email", message=data,
                        sender=parseaddr(str(options.get("from", "")))[1] or None, recipient=email)


def unsubscribe_links(site: Any, channel: str, options: Mapping[str, Any], email: str) -> tuple[str, str]:
    """One-click unsubscribe URL (signed token) and mailto for ``email``.

    The token is HMAC-SHA256 of ``channel:email`` keyed by ``TRUSTPUBLISH_UNSUBSCRIBE_SECRET``
    (the subscribers feature verifies it in ``trustpublish serve``).
    """
    import base64
    import hashlib
    import hmac
    import os
    from urllib.parse import quote, urlencode

    key = (os.environ.get("TRUSTPUBLISH_UNSUBSCRIBE_SECRET") or site.url).encode()
    mac = hmac.new(key, f"{channel}:{email.lower()}".encode(), hashlib.sha256).digest()
    token = base64.urlsafe_b64encode(mac[:18]).decode().rstrip("=")
    base = str(options.get("unsubscribe_url") or f"{site.url.rstrip('/')}/unsubscribe")
    url = f"{base}?{urlencode({'list': channel, 'email': email, 'token': token})}"
    mailbox = str(options.get("unsubscribe_mailto") or "")
    if not mailbox:
        from email.utils import parseaddr

        mailbox = parseaddr(str(options.get("from", "")))[1]
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + token)}" if mailbox else ""
    return url, mailto
