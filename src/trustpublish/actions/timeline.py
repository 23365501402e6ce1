"""The timetable as people look at it: calendar cards, one slot in full, what needs attention.

Built from the delivery engine's plan (:meth:`DeliveryEngine.plan`) and the preview cards
of :mod:`trustpublish.render.preview` (the fitted social text with its count against the
channel's limit and its link card, or the digest email as rendered). Approved posts
held back by the privacy guard are listed beside the plan with the state ``held``.
Nothing here writes, except :func:`publish` and :func:`send_due`, which go through the
engine exactly as ``trustpublish publish`` and ``trustpublish run --once`` do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..plan.privacy_rules import blocking_findings, rules_for
from ..deliver.engine import DeliveryEngine, RunReport
from ..deliver.ledger import DeliveryRecord
from ..errors import TrustpublishError
from ..plan.planner import PlannedDelivery, excerpt_index
from ..render.preview import Card, preview_cards

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..workspace.project import Project

__all__ = ["Entry", "Held", "Hold", "Attention", "calendar_entries", "held_posts", "slot_card",
           "publish_card", "publish", "due_now", "send_due", "attention", "STATES", "holds",
           "post_versions"]

#: Every state a calendar entry can show, in the order the legend lists them.
STATES = ("planned", "sending", "sent", "failed", "unknown", "missed", "skipped", "held", "empty")


@dataclass
class Entry:
    """One slot of the calendar: the plan row and, when it sends something, its card."""

    planned: PlannedDelivery
    local: dt.datetime
    card: Card | None = None
    skipped_in_file: bool = False  # a `skip:` of its timetable entry names this slot

    @property
    def state(self) -> str:
        return self.planned.state


@dataclass(frozen=True)
class Held:
    """An approved post the privacy guard keeps out of every channel."""

    slug: str
    title: str
    findings: int


@dataclass(frozen=True)
class Hold:
    """One excerpt a post's ``hold:`` keeps out of one channel. ``excerpt_id`` is "" when
    the hold names no excerpt of the post (``check`` reports it)."""

    slug: str
    post_title: str
    excerpt_id: str
    excerpt_title: str
    channel: str
    ref: str
    version: str


@dataclass
class Attention:
    """The status page: counts, what needs a person, next slots, last run, waits."""

    counts: dict[str, int]
    needs_you: list[DeliveryRecord]
    waiting: list[DeliveryRecord]
    upcoming: list[PlannedDelivery]
    last_run: dt.datetime | None
    held: list[Held] = field(default_factory=list)


def _cards(project: "Project", planned: list[PlannedDelivery]) -> tuple[list[Card], dict[str, str]]:
    config = project.config
    index = excerpt_index(project.posts, project.excerpts)
    kinds = project.channel_kinds()
    rules = {name: project.text_rules(name) for name, kind in kinds.items() if kind != "digest"}
    return preview_cards(planned, index, config.channels, config.site, config.zone,
                         templates=project.templates_dir, kinds=kinds, rules=rules)


def calendar_entries(project: "Project", engine: DeliveryEngine, start: dt.datetime,
                     end: dt.datetime, now: dt.datetime) -> list[Entry]:
    """Every slot in [start, end) with its state and, when it sends something, its card."""
    zone = project.config.zone
    planned = engine.plan(start, end, now)
    sending = [p for p in planned if p.excerpts]
    cards, _pages = _cards(project, sending)
    by_slot = {(c.channel, c.when): c for c in cards}
    skips = _file_skips(engine, zone)
    return [Entry(p, p.when.astimezone(zone), by_slot.get((p.channel, p.when.astimezone(zone))),
                  (p.channel, p.when) in skips)
            for p in planned]


def _file_skips(engine: DeliveryEngine, zone: "ZoneInfo") -> set[tuple[str, dt.datetime]]:
    """(channel, instant) of every slot a timetable entry's ``skip:`` names."""
    from ..plan.timetable import skip_instant

    return {(e.channel, skip_instant(text, zone)) for e in engine.entries for text in e.skips}


def holds(project: "Project") -> list[Hold]:
    """Every excerpt a post's ``hold:`` keeps out of a channel, in post order."""
    from .frontmatter import fingerprint

    found = []
    for post in sorted(project.posts, key=lambda p: (p.date or dt.datetime.min.replace(
            tzinfo=dt.timezone.utc), p.slug)):
        if not post.hold:
            continue
        try:
            excerpts = project.excerpts(post)
        except TrustpublishError:
            excerpts = []
        version = fingerprint(post.source)
        for channel, refs in post.hold:
            for ref in refs:
                match = next((e for e in excerpts
                              if ref in (e.id, e.id.split("/", 1)[-1])), None)
                found.append(Hold(post.slug, post.title, match.id if match else "",
                                  match.title if match else ref, channel, ref, version))
    return found


def post_versions(project: "Project", entries: list[Entry]) -> dict[str, str]:
    """Post slug → file fingerprint for the posts whose excerpts ``entries`` send (forms
    that edit a post carry it, so an edit of a file changed since is refused)."""
    from .frontmatter import fingerprint

    slugs = {i.split("/", 1)[0] for e in entries for i in e.planned.excerpts}
    return {p.slug: fingerprint(p.source) for p in project.posts if p.slug in slugs}


def held_posts(project: "Project") -> list[Held]:
    """Approved posts with privacy findings nobody approved yet (nothing of them is sent)."""
    rules = rules_for(project.config)
    held = []
    for post in project.posts:
        if post.approved:
            findings = blocking_findings(post, rules)
            if findings:
                held.append(Held(post.slug, post.title, len(findings)))
    return held


def slot_card(project: "Project", engine: DeliveryEngine, channel: str, when: dt.datetime,
              now: dt.datetime) -> tuple[Entry, str | None]:
    """One slot in full: its entry and, for a digest, the email page's HTML."""
    planned = [p for p in engine.plan(when, when + dt.timedelta(seconds=1), now)
               if p.channel == channel and p.when == when]
    if not planned:
        raise TrustpublishError(f"no {channel} slot at {when.isoformat()}",
                                hint="the timetable may have changed; go back to the calendar")
    zone = project.config.zone
    entry = Entry(planned[0], planned[0].when.astimezone(zone),
                  skipped_in_file=(channel, when) in _file_skips(engine, zone))
    if not entry.planned.excerpts:
        return entry, None
    cards, pages = _cards(project, [entry.planned])
    entry.card = cards[0] if cards else None
    page = pages.get(entry.card.email_page or "") if entry.card else None
    return entry, page


def publish_card(project: "Project", excerpt_id: str, channel: str, now: dt.datetime) -> Card:
    """Exactly what ``publish`` would send: the fitted text, its count and the link card."""
    options = project.config.channels.get(channel)
    if options is None:
        raise TrustpublishError(f"no channel {channel!r} in schedule.yaml")
    kind = project.channel_kind(channel)
    if kind != "post":
        raise TrustpublishError(f"{channel} sends {kind}s, not single posts",
                                hint="publish now is for social and webhook channels")
    project.excerpt(excerpt_id)  # a clear error for an unknown id
    planned = PlannedDelivery(when=now, channel=channel, item=excerpt_id, state="planned",
                              excerpts=(excerpt_id,), entry="publish")
    cards, _pages = _cards(project, [planned])
    return cards[0]


def publish(project: "Project", engine: DeliveryEngine, excerpt_id: str, channel: str,
            now: dt.datetime) -> RunReport:
    """Send one excerpt to one channel now (the engine refuses a second time)."""
    post = project.post(excerpt_id.split("/", 1)[0])
    if not post.approved:
        raise TrustpublishError(f"{post.slug} is {post.status}, not approved",
                                hint="approve the post first")
    if blocking_findings(post, rules_for(project.config)):
        raise TrustpublishError(f"the privacy guard holds {post.slug}",
                                hint="approve or remove its findings on the post's page first")
    return engine.publish_now(excerpt_id, channel, now)


def due_now(engine: DeliveryEngine, now: dt.datetime) -> RunReport:
    """What ``run --once`` would send now (a dry run: nothing is written or sent)."""
    return engine.run_once(now, dry_run=True)


def send_due(engine: DeliveryEngine, now: dt.datetime) -> RunReport:
    """Deliver what is due now, exactly as ``trustpublish run --once``."""
    return engine.run_once(now)


def attention(project: "Project", engine: DeliveryEngine, now: dt.datetime) -> Attention:
    """Counts by state, failed/unknown deliveries, the next five slots, the last run and the
    deliveries waiting for an unreachable server or a rate limit (planned with a later try)."""
    ledger = engine.ledger
    waiting = [r for r in ledger.deliveries(states=["planned"])
               if r.next_attempt_at is not None and r.next_attempt_at > now]
    upcoming = [p for p in engine.plan(now, now + dt.timedelta(days=14), now)
                if p.when >= now][:5]
    horizon = ledger.get_meta("horizon")
    last_run = dt.datetime.fromisoformat(horizon) if horizon else None
    return Attention(counts=ledger.counts(),
                     needs_you=ledger.deliveries(states=["failed", "unknown", "sending"]),
                     waiting=waiting, upcoming=upcoming, last_run=last_run,
                     held=held_posts(project))
