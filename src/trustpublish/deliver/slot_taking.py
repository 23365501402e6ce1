"""Slot taking: due timetable slots become ledger rows (``docs/delivery.md``, "Slots").

Contract of :func:`take_due_slots`: every slot due since the last run (at most back
to the ``horizon`` the ledger keeps) and not yet recorded is recorded once:

* older than its grace window: ``missed`` (nothing sent);
* its channel paused, nothing approved, or a digest with no active subscriber:
  ``skipped`` (the excerpts wait for a later slot);
* otherwise the items the planner assigns, with one ``planned`` delivery per item
  (for a digest channel one per active subscriber), in one transaction.

``dry_run`` counts what would be sent and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..plan.planner import PlannedDelivery, Recorded, plan
from ..plan.timetable import Entry
from .ledger import Ledger, from_iso, iso
from .plan_view import recorded, slots_between
from .report import RunReport
from .settings import RunSettings
from .subscribers import Subscribers

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["take_due_slots", "record_skipped", "is_digest"]


def _grace(entries: list[Entry], settings: RunSettings, entry_name: str) -> dt.timedelta:
    for entry in entries:
        if entry.name == entry_name and entry.grace is not None:
            return entry.grace
    return settings.grace


def is_digest(options: Mapping[str, Any]) -> bool:
    """True when the channel configured by ``options`` sends a digest (its class's ``kind``)."""
    from ..channels.registry import channel_class

    try:
        return channel_class(str(options.get("type", ""))).kind == "digest"
    except ConfigError:  # an unknown type: `check` reports it; nothing to fan out
        return False


def record_skipped(ledger: Ledger, planned: PlannedDelivery, now: dt.datetime) -> None:
    """Record a slot that sends nothing (channel paused, nobody subscribed) as skipped."""
    ledger.record_slot(channel=planned.channel, when=planned.when, entry=planned.entry,
                       item="", excerpts=(), issue_number=None, state="skipped",
                       now=now, recipients=[None], delivery_state="skipped")


def take_due_slots(project: "Project", ledger: Ledger, subscribers: Subscribers,
                   entries: list[Entry], settings: RunSettings, now: dt.datetime,
                   report: RunReport, dry_run: bool) -> None:
    """Record the slots due by ``now`` (see the module docstring)."""

    config = project.config
    grace = max([settings.grace] + [e.grace for e in entries if e.grace])
    horizon_text = ledger.get_meta("horizon")
    start = now - grace
    if horizon_text:
        start = min(start, from_iso(horizon_text))
    due = slots_between(project, entries, start, now + dt.timedelta(microseconds=1))
    done = recorded(ledger)
    seen = {(r.channel, r.when) for r in done}
    fresh = [s for s in due if (s.channel, s.when) not in seen]
    missed = [s for s in fresh if s.when < now - _grace(entries, settings, s.entry)]
    for n, slot in enumerate(missed):
        report.counts["missed"] += 1
        if n < 5:
            report.lines.append(f"missed {slot.channel} slot at {slot.local:%Y-%m-%d %H:%M %Z} "
                                "(beyond the grace window; nothing sent)")
        elif n == 5:
            report.lines.append(f"... and {len(missed) - 5} more missed slots "
                                "(`trustpublish history --state missed` lists them)")
        if not dry_run:
            ledger.record_slot(channel=slot.channel, when=slot.when, entry=slot.entry,
                               item="", excerpts=(), issue_number=None, state="missed",
                               now=now, recipients=[None], delivery_state="missed")
            done.append(Recorded(slot.channel, slot.when, "", (), "missed"))
    live = [s for s in fresh if s not in missed]
    from ..workspace.queue_cache import load_candidates

    queue = load_candidates(project)  # the plan's queue: excerpt ids, no post read for them
    for planned in plan(live, queue, config.channels, done,
                        kinds=project.channel_kinds()):
        if planned.state == "empty":
            continue
        if planned.state == "skipped":
            report.counts["skipped"] += 1
            if not dry_run:
                record_skipped(ledger, planned, now)
            continue
        digest = is_digest(config.channels.get(planned.channel, {}))
        recipients: Iterable[str | None] = [None]
        count = 1
        if digest:
            stream = (s.email for s in subscribers.iter_recipients(planned.channel))
            first = next(stream, None)
            if first is None:  # nobody to send to: the excerpts wait for a later issue
                report.counts["skipped"] += 1
                report.lines.append(f"skipped {planned.channel} slot: no active subscribers "
                                    "(`trustpublish subscribers import FILE.csv`)")
                if not dry_run:
                    record_skipped(ledger, planned, now)
                continue
            recipients = itertools.chain([first], stream)
            if dry_run:
                count = 1 + sum(1 for _ in stream)
        if dry_run:
            report.lines.append(f"would send {planned.item} to {planned.channel}"
                                + (f" ({count} recipients)" if digest else ""))
            report.counts["would send"] += count
            continue
        # recipients are streamed into the ledger in chunks, in one transaction
        ledger.record_slot(channel=planned.channel, when=planned.when, entry=planned.entry,
                           item=planned.item, excerpts=planned.excerpts,
                           issue_number=planned.issue_number, state="assigned", now=now,
                           recipients=recipients)
    if not dry_run and (not horizon_text or from_iso(horizon_text) < now):
        ledger.set_meta("horizon", iso(now))
