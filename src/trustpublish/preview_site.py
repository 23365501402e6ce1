"""``dist/preview/index.html``: the coming weeks' deliveries, each as it will look (PRODUCT §5).

A calendar of the planned deliveries (the same plan as ``trustpublish plan``),
grouped by day in the clinic's timezone; for each: the digest email as rendered
(an inlined copy in ``dist/preview/email/``, shown in a frame), or the social text
with its count against the channel's limit and the link card. A static page that
opens from disk; no server needed. Rendering is pure Jinja2 over data gathered here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .project import Project

__all__ = ["build_preview_site", "PREVIEW_DAYS"]

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


def _cards(project: "Project", now: dt.datetime, days: int, out: Path) -> list[Card]:
    from .digest import compose_issue, preview_recipient, render_issue
    from .engine import DeliveryEngine, open_state
    from .fit import fit_excerpt
    from .planner import excerpt_index

    config = project.config
    engine = DeliveryEngine(project, open_state(project))
    index = excerpt_index(project.posts, project.excerpts)
    cards: list[Card] = []
    for planned in engine.plan(now, now + dt.timedelta(days=days), now):
        if not planned.excerpts:
            continue
        options = config.channels.get(planned.channel, {})
        kind = str(options.get("type", ""))
        card = Card(when=planned.when.astimezone(config.zone), channel=planned.channel, type=kind,
                    item=planned.item, state=planned.state)
        pairs = [index[e] for e in planned.excerpts if e in index]
        card.excerpt_titles = [excerpt.title for _, excerpt in pairs]
        if kind == "email":
            issue = compose_issue(project, planned.channel, options, [e for _, e in pairs],
                                  number=planned.issue_number or 1, now=planned.when)
            rendered = render_issue(issue, project.templates_dir)
            html, _text = rendered.fill(preview_recipient(issue, name="Sample Reader"))
            page = out / "email" / f"{issue.id}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(html, encoding="utf-8")
            card.email_page, card.subject, card.title = f"email/{page.name}", issue.subject, issue.subject
        else:
            post, excerpt = pairs[0]
            fitted = fit_excerpt(excerpt, planned.channel, options, tags=post.tags,
                                 templates=project.templates_dir, state_dir=project.state_dir)
            card.title = excerpt.title
            card.parts = list(zip(fitted.parts, fitted.counts))
            card.limit, card.counted_as, card.fits = fitted.limit, fitted.counted_as, fitted.fits
            card.link = fitted.link or excerpt.link(planned.channel)
            card.link_host = urlsplit(card.link).hostname or ""
            card.teaser, card.image, card.image_alt = excerpt.teaser, post.image, post.image_alt
        cards.append(card)
    return cards


def build_preview_site(project: "Project", now: dt.datetime) -> list[Path]:
    """Write ``dist/preview/index.html`` (+ the digest pages it frames); the files written."""
    from .templating import render

    out = project.dist_dir / "preview"
    cards = _cards(project, now, PREVIEW_DAYS, out)
    days: dict[dt.date, list[Card]] = {}
    for card in cards:
        days.setdefault(card.when.date(), []).append(card)
    html = render("preview/index.html.j2", {
        "site": project.config.site, "days": sorted(days.items()), "count": len(cards),
        "generated": now.astimezone(project.config.zone), "horizon": PREVIEW_DAYS,
    }, templates=project.templates_dir)
    out.mkdir(parents=True, exist_ok=True)
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    emails = sorted({out / c.email_page for c in cards if c.email_page})
    return [index, *emails]

