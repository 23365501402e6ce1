"""The preview page: the coming weeks' deliveries, each as it will look (pure).

:func:`preview_cards` turns the plan (as data: the same rows ``trustpublish plan``
shows) into one :class:`Card` per delivery: the digest email as rendered (its page
HTML returned beside the cards, for a frame), or the social text with its count
against the channel's limit and the link card. :func:`preview_page` renders the
calendar page, grouped by day in the clinic's timezone. The caller writes the files
(:mod:`trustpublish.actions.preview_site`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ..content.model import Excerpt, Post, Site

if TYPE_CHECKING:
    from ..plan.planner import PlannedDelivery
    from .social import TextRules

__all__ = ["Card", "preview_cards", "preview_page", "PREVIEW_DAYS"]

PREVIEW_DAYS = 28


@dataclass
class Card:
    """One planned delivery as the page shows it."""

    when: dt.datetime
    channel: str
    type: str
    item: str
    state: str
    title: str = ""
    email_page: str | None = None
    subject: str = ""
    parts: list[tuple[str, int]] = field(default_factory=list)
    limit: int | None = None
    counted_as: str = ""
    fits: bool = True
    link: str = ""
    link_host: str = ""
    teaser: str = ""
    image: str | None = None
    image_alt: str = ""
    excerpt_titles: list[str] = field(default_factory=list)


def preview_cards(planned: Sequence[PlannedDelivery],
                  index: Mapping[str, tuple[Post, Excerpt]],
                  channels: Mapping[str, Mapping[str, Any]], site: Site, zone: ZoneInfo, *,
                  templates: Path | None, kinds: Mapping[str, str],
                  rules: Mapping[str, TextRules]) -> tuple[list[Card], dict[str, str]]:
    """The cards of the planned deliveries that send something, and the digest pages
    they frame (``email/<issue-id>.html`` → HTML).

    ``kinds`` maps channel names to kinds: a ``digest`` channel's card frames the
    rendered issue; the others show the text fitted with ``rules[channel]``.
    """
    from .digest import compose_issue, preview_recipient, render_issue
    from .social import fit_excerpt

    cards: list[Card] = []
    pages: dict[str, str] = {}
    for planned in planned:
        if not planned.excerpts:
            continue
        options = channels.get(planned.channel, {})
        card = Card(when=planned.when.astimezone(zone), channel=planned.channel,
                    type=str(options.get("type", "")), item=planned.item, state=planned.state)
        pairs = [index[e] for e in planned.excerpts if e in index]
        card.excerpt_titles = [excerpt.title for _, excerpt in pairs]
        if kinds.get(planned.channel) == "digest":
            issue = compose_issue(site, planned.channel, dict(options), [e for _, e in pairs],
                                  number=planned.issue_number or 1, now=planned.when)
            rendered = render_issue(issue, templates)
            html, _text = rendered.fill(preview_recipient(issue, name="Sample Reader"))
            card.email_page = f"email/{issue.id}.html"
            pages[card.email_page] = html
            card.subject, card.title = issue.subject, issue.subject
        else:
            post, excerpt = pairs[0]
            fitted = fit_excerpt(excerpt, planned.channel, options,
                                 rules=rules[planned.channel], tags=post.tags, templates=templates)
            card.title = excerpt.title
            card.parts = list(zip(fitted.parts, fitted.counts))
            card.limit, card.counted_as, card.fits = fitted.limit, fitted.counted_as, fitted.fits
            card.link = fitted.link or excerpt.link(planned.channel)
            card.link_host = urlsplit(card.link).hostname or ""
            card.teaser, card.image, card.image_alt = excerpt.teaser, post.image, post.image_alt
        cards.append(card)
    return cards, pages


def preview_page(site: Site, cards: Sequence[Card], now: dt.datetime, zone: ZoneInfo, *,
                 templates: Path | None, horizon: int = PREVIEW_DAYS) -> str:
    """The calendar page (``preview/index.html.j2``) for ``cards``."""
    from .templating import render  # (Jinja2 loads when a page is rendered)

    days: dict[dt.date, list[Card]] = {}
    for card in cards:
        days.setdefault(card.when.date(), []).append(card)
    return render("preview/index.html.j2", {
        "site": site, "days": sorted(days.items()), "count": len(cards),
        "generated": now.astimezone(zone), "horizon": horizon,
    }, templates=templates)
