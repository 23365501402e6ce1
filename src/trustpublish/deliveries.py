"""Ledger rows → :class:`~trustpublish.channels.base.Delivery` objects for the adapters.

Social/API channels get the excerpt fitted to the channel's budget: whole
sentences of the teaser and text, then the read-more link (with UTM parameters);
if not even one sentence fits, it is cut at a word boundary with an ellipsis.
Email channels get a digest issue composed and rendered once per issue by
:mod:`trustpublish.digest` and one message per recipient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .channels.base import Budget, Delivery
from .model import Excerpt, Post
from .text import split_sentences

__all__ = ["fit_text", "post_delivery", "IssueCache", "unsubscribe_links"]

_URL_DEFAULT = 23


def fit_text(excerpt: Excerpt, link: str, budget: Budget) -> str:
    """The excerpt's title and leading sentences + link, within ``budget.limit``."""
    limit = budget.limit
    head = excerpt.title.strip()
    sentences = split_sentences(excerpt.teaser or excerpt.text)
    link_cost = budget.url_length or len(link)
    if limit is None:
        return "\n\n".join(p for p in (head, " ".join(sentences), link) if p)
    room = limit - link_cost - 2  # "\n\n" before the link
    body = head
    for sentence in sentences:
        candidate = f"{body}\n\n{sentence}" if body == head else f"{body} {sentence}"
        if len(candidate) > room:
            break
        body = candidate
    if len(body) > room:
        words, body = body.split(), ""
        for word in words:
            if len(body) + len(word) + 2 > room:
                break
            body = f"{body} {word}".strip()
        body += "…"
    return f"{body}\n\n{link}"


def post_delivery(key: str, channel: str, options: Mapping[str, Any], budget: Budget,
                  post: Post, excerpt: Excerpt) -> Delivery:
    """The Delivery of one excerpt to one social/API channel."""
    link = excerpt.link(channel, medium=str(options.get("utm_medium", "social")),
                        campaign=options.get("utm_campaign"))
    return Delivery(id=key, channel=channel, item_id=excerpt.id, kind="post",
                    parts=(fit_text(excerpt, link, budget),), link=link, title=excerpt.title,
                    summary=excerpt.teaser, image=post.image, image_alt=post.image_alt,
                    language=post.language)


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
