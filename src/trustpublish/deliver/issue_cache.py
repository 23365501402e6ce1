"""Ledger rows → :class:`~trustpublish.channels.base.Delivery` objects for the adapters.

Social/API channels (and feeds, outboxes, plugins) are composed by
:func:`trustpublish.deliver.compose.compose`, which fits the excerpt to the
channel's budget. Email channels get a digest issue composed and rendered once per issue by
:mod:`trustpublish.render.digest` and one message per recipient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..channels.base import Delivery
from ..content.model import Excerpt

__all__ = ["IssueCache", "unsubscribe_url"]

class IssueCache:
    """Composes and renders each digest issue once; makes per-recipient messages from it.

    Unsubscribe links carry tokens signed by :class:`~trustpublish.deliver.unsubscribe.TokenSigner`
    under the project's secret key (``TRUSTPUBLISH_SECRET_KEY`` or ``state/secret.key``),
    the same key ``trustpublish serve`` verifies with.
    """

    def __init__(self, site: Any, templates: Any, state_dir: Path) -> None:
        from .unsubscribe import TokenSigner, load_secret_key

        self.site, self.templates = site, templates
        self.signer = TokenSigner(load_secret_key(state_dir))
        self._rendered: dict[tuple[str, str], Any] = {}

    def rendered(self, channel: str, options: Mapping[str, Any], item: str, number: int,
                 excerpts: Sequence[Excerpt], when: dt.datetime) -> Any:
        key = (channel, item)
        if key not in self._rendered:
            from ..render.digest import compose_issue, render_issue

            issue = compose_issue(self.site, channel, dict(options), list(excerpts),
                                  number=number, now=when)
            self._rendered[key] = render_issue(issue, self.templates)
        return self._rendered[key]

    def message(self, rendered: Any, key: str, channel: str, options: Mapping[str, Any],
                item: str, email: str, name: str, now: dt.datetime) -> Delivery:
        from ..render.digest import Recipient

        url = unsubscribe_url(self.signer, rendered.issue.unsubscribe_base, channel, email)
        data = rendered.message_for(Recipient(email, name, url, ""), now=now)
        return Delivery(id=key, channel=channel, item_id=item, kind="email", message=data,
                        sender=_sender(str(options.get("from", ""))), recipient=email)


@lru_cache(maxsize=8)
def _sender(from_header: str) -> str | None:
    from email.utils import parseaddr

    return parseaddr(from_header)[1] or None


def unsubscribe_url(signer: Any, base: str, channel: str, email: str) -> str:
    """The one-click unsubscribe URL for ``email`` on ``channel``: ``base?t=<signed token>``.

    Same result as ``signer.url`` (tokens are URL-safe) without re-parsing ``base`` each time.
    """
    return _prefix(base) + str(signer.token(email, channel))


@lru_cache(maxsize=16)
def _prefix(base: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, "")) + \
        ("&t=" if parts.query else "?t=")
