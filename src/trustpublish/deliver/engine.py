"""The delivery run: recover, take the due slots, deliver them slot by slot.

:class:`DeliveryEngine` is the one entry point of the CLI, the actions and the
scheduler (``plan``, ``run_once``, ``publish_now``, ``retry``, ``resolve``). Each job
lives in a module of its own (map and guarantees: ``docs/delivery.md``):

1. :mod:`~trustpublish.deliver.recovery` — rows an interrupted run left ``sending``;
2. :mod:`~trustpublish.deliver.slot_taking` — due slots become ``planned`` rows;
3. delivering (here): slot by slot in time order; a digest slot goes to
   :class:`~trustpublish.deliver.fanout.Fanout`, every other row is built here and
   sent with :func:`~trustpublish.deliver.send.send_with_retries`, claimed
   ``planned → sending`` before every try and settled after. Before sending, the post
   must still be approved (and, for email, the subscriber still subscribed);
   otherwise the row is ``skipped``.

``dry_run`` does steps 2–3 on paper: it writes nothing and sends nothing. The clock
(``now``) is always a parameter.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import PermanentFailure, TrustpublishError
from ..plan.planner import PlannedDelivery, excerpt_index
from ..plan.timetable import Entry, Slot, parse_timetable
from . import commands
from .breaker import CircuitBreaker
from .db import open_state
from .ledger import DeliveryRecord, Ledger, SlotRecord, iso
from .plan_view import plan_with_state, recorded, slots_between
from .recovery import recover_interrupted, resume_partial_threads
from .report import RunReport
from .runs import Run
from .send import Outcome, send_with_retries
from .settings import RunSettings
from .slot_taking import is_digest, take_due_slots
from .subscribers import Subscribers

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine as SqlEngine

    from ..channels.base import Channel, Delivery
    from ..plan.planner import Recorded
    from ..workspace.project import Project
    from .issue_cache import IssueCache

__all__ = ["RunSettings", "RunReport", "DeliveryEngine", "open_state"]

UTC = dt.timezone.utc


class DeliveryEngine:
    """Plans and executes deliveries of one project against its state database."""

    def __init__(self, project: "Project", db: "SqlEngine", *,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 stop: threading.Event | None = None,
                 echo: Callable[[str], None] | None = None,
                 progress: Callable[[str, int, int], None] | None = None,
                 after_round: Callable[[dt.datetime, "RunReport"], None] | None = None) -> None:
        self.project, self.config = project, project.config
        self.ledger, self.subscribers = Ledger(db), Subscribers(db)
        self.settings = RunSettings.from_raw(self.config.raw)
        self.entries: list[Entry] = parse_timetable(self.config.timetable, list(self.config.channels))
        self.sleep, self.rng = sleep, rng or random.Random()
        self.stop = stop or threading.Event()
        self.echo = echo or (lambda line: None)
        self.progress = progress  # (label, done, total) during long email fan-outs
        #: called after each delivering round with its report (the caller rebuilds the
        #: feeds when a feed channel got an entry: see trustpublish.actions.build)
        self.after_round = after_round
        #: the id this engine claims deliveries under while it runs (trustpublish.deliver.runs)
        self.run_id = ""

    # -- planning --------------------------------------------------------------------
    def slots(self, start: dt.datetime, end: dt.datetime) -> list[Slot]:
        return slots_between(self.project, self.entries, start, end)

    def recorded(self) -> list["Recorded"]:
        return recorded(self.ledger)

    def plan(self, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[PlannedDelivery]:
        """What each slot in [start, end) sends; recorded slots show their delivery state."""
        return plan_with_state(self.project, self.ledger, self.entries, start, end, now)

    # -- running ---------------------------------------------------------------------
    def run_once(self, now: dt.datetime, *, dry_run: bool = False) -> RunReport:
        """Recover, take the due slots, deliver. Any number of runs may overlap on one
        state database: each claims what it sends (``docs/delivery.md``)."""
        report = RunReport()
        if dry_run:
            take_due_slots(self.project, self.ledger, self.subscribers, self.entries,
                           self.settings, now, report, dry_run)
            for row in self._pending(now):
                report.lines.append(f"would send {row.item} to {row.channel}"
                                    + (f" ({row.recipient})" if row.recipient else ""))
                report.counts["would send"] += 1
            return report
        with Run(self.ledger.engine) as run:
            self.run_id = run.id
            recover_interrupted(self.ledger, self.config.channels, now, report)
            resume_partial_threads(self.ledger, now)
            take_due_slots(self.project, self.ledger, self.subscribers, self.entries,
                           self.settings, now, report, dry_run)
            self._deliver(now, report)
            # a run that died while this one was sending left its claims: take them over
            if not self.stop.is_set() and recover_interrupted(self.ledger, self.config.channels,
                                                              now, report):
                self._deliver(now, report)
        if self.after_round is not None:
            self.after_round(now, report)
        return report

    def deliver_pending(self, now: dt.datetime) -> RunReport:
        """Deliver what is due without taking new slots: a follower joining the leader's
        fan-outs (see :mod:`trustpublish.deliver.scheduler`)."""
        report = RunReport()
        with Run(self.ledger.engine) as run:
            self.run_id = run.id
            recover_interrupted(self.ledger, self.config.channels, now, report)
            self._deliver(now, report)
        if self.after_round is not None and report.sent_channels:
            self.after_round(now, report)
        return report

    def _pending(self, now: dt.datetime) -> list[DeliveryRecord]:
        return [r for r in self.ledger.deliveries(states=["planned"])
                if r.next_attempt_at is None or r.next_attempt_at <= now]

    def publish_now(self, excerpt_id: str, channel: str, now: dt.datetime) -> RunReport:
        """Send one excerpt to one channel now, through the ledger, exactly once
        (see :func:`trustpublish.deliver.commands.record_publish`)."""
        slot_id = commands.record_publish(self.ledger, excerpt_id, channel, now)
        report = RunReport()
        with Run(self.ledger.engine) as run:
            self.run_id = run.id
            self._deliver(now, report, only={slot_id})
        return report

    def retry(self, delivery_id: int, now: dt.datetime) -> DeliveryRecord:
        return commands.retry(self.ledger, delivery_id, now)

    def resolve(self, delivery_id: int, sent: bool, now: dt.datetime) -> DeliveryRecord:
        return commands.resolve(self.ledger, delivery_id, sent, now)

    # -- delivering ------------------------------------------------------------------
    def _open_channel(self, name: str, options: Mapping[str, Any]) -> "Channel":
        from ..channels.registry import open_channel

        return open_channel(name, options, root=self.project.root,
                            outbox_dir=self.project.outbox_dir)

    def _deliver(self, now: dt.datetime, report: RunReport, only: set[int] | None = None) -> None:
        """Slot by slot (in time order); ``only`` limits the run to those slot ids."""
        from .issue_cache import IssueCache

        slot_ids = [s for s in self.ledger.pending_slots(now) if only is None or s in only]
        if not slot_ids:
            return
        index = excerpt_index(self.project.posts, self.project.excerpts)
        issues = IssueCache(self.config.site, self.project.templates_dir, self.project.state_dir,
                            (self.config.raw.get("bounces") or {}).get("return_path"))
        channels: dict[str, Channel] = {}
        blocked: set[str] = set()
        breaker = CircuitBreaker()
        try:
            for slot_id in slot_ids:
                if self.stop.is_set():
                    report.lines.append("stopping: the rest is left for the next run")
                    break
                slot = self.ledger.slot(slot_id)
                if slot.channel in blocked or breaker.is_open(slot.channel):
                    continue
                options = self.config.channels.get(slot.channel)
                unapproved = [e for e in slot.excerpts
                              if e not in index or not self.project.publishable(index[e][0])]
                reason = ("the channel is no longer in schedule.yaml" if options is None else
                          f"{unapproved[0]} is no longer in an approved post (or the privacy "
                          "guard holds it: see trustpublish check)" if unapproved else None)
                if reason or options is None:
                    self._settle_slot(slot, "skipped", now, report, reason)
                    continue
                if is_digest(options) and slot.issue_number is not None:
                    self._fan_out(slot, options, index, issues, now, report, breaker)
                    continue
                for batch in self.ledger.iter_planned(slot.id, now):
                    for row in batch:
                        if self.stop.is_set() or row.channel in blocked:
                            break
                        if row.channel not in channels:
                            channels[row.channel] = self._open_channel(row.channel, options)
                        channel = channels[row.channel]
                        try:
                            delivery = self._build(row, slot, options, index, issues, now)
                        except PermanentFailure as exc:
                            self._settle(row, Outcome("failed", error=exc.message), now, report,
                                         claimed=False)
                            continue
                        outcome = self._attempt(channel, row, delivery, now, report, breaker)
                        if outcome.credentials:
                            blocked.add(row.channel)
                        elif outcome.unreachable:
                            blocked.add(row.channel)
                            self._hold(row.channel, outcome, now, report)
        finally:
            for channel in channels.values():
                channel.close()

    def _settle_slot(self, slot: SlotRecord, state: str, now: dt.datetime, report: RunReport,
                     error: str | None) -> None:
        for batch in self.ledger.iter_planned(slot.id, now):
            for row in batch:
                self._settle(row, Outcome(state, error=error), now, report, claimed=False)

    def _hold(self, channel: str, outcome: Outcome, now: dt.datetime, report: RunReport) -> None:
        """The channel's circuit opened: all its due rows wait until the next attempt time."""
        until = outcome.next_attempt_at or now + self.settings.max_backoff
        held = self.ledger.hold_planned(None, channel, now, until=until,
                                        error=outcome.error or "waiting")
        report.counts["waiting"] += held
        report.lines.append(f"{channel}: {outcome.error}; {held} more deliveries wait "
                            "(a run after that time resumes them)")

    def _fan_out(self, slot: SlotRecord, options: Mapping[str, Any], index: Mapping[str, Any],
                 issues: "IssueCache", now: dt.datetime, report: RunReport,
                 breaker: CircuitBreaker) -> None:
        from .fanout import Fanout

        excerpts = [index[e][1] for e in slot.excerpts]
        try:
            rendered = issues.rendered(slot.channel, options, slot.item, slot.issue_number or 1,
                                       excerpts, slot.when)
        except TrustpublishError as exc:
            self._settle_slot(slot, "failed", now, report, exc.message)
            return
        Fanout(ledger=self.ledger, subscribers=self.subscribers, slot=slot, options=options,
               rendered=rendered, issues=issues, now=now, settings=self.settings, rng=self.rng,
               sleep=self.sleep, stop=self.stop,
               open_channel=lambda opts: self._open_channel(slot.channel, opts),
               owner=self.run_id, breaker=breaker, report=report, progress=self.progress).run()

    def _build(self, row: DeliveryRecord, slot: SlotRecord, options: Mapping[str, Any],
               index: Mapping[str, Any], issues: "IssueCache", now: dt.datetime) -> "Delivery":
        if row.recipient:  # an email row of a slot without an issue number
            excerpts = [index[e][1] for e in slot.excerpts]
            rendered = issues.rendered(row.channel, options, row.item, slot.issue_number or 1,
                                       excerpts, slot.when)
            return issues.message(rendered, row.key, row.channel, options, row.item,
                                  row.recipient, "", slot.when, delivery_id=row.id)
        _post, excerpt = index[slot.excerpts[0]]
        from .compose import compose

        from ..channels.base import THREAD_LIVE, thread_progress

        delivery, fitted = compose(self.project, excerpt, row.channel, key=row.key,
                                   created_at=now.astimezone(UTC).isoformat(timespec="milliseconds")
                                   .replace("+00:00", "Z"), planned_at=iso(row.created_at),
                                   attempts=row.attempts,
                                   **{THREAD_LIVE: thread_progress(row.remote)})
        if not fitted.fits:
            raise PermanentFailure(f"{excerpt.id} does not fit {row.channel} even after cutting "
                                   "(see `trustpublish check`)", channel=row.channel)
        return delivery

    def _attempt(self, channel: "Channel", row: DeliveryRecord, delivery: "Delivery",
                 now: dt.datetime, report: RunReport, breaker: CircuitBreaker) -> Outcome:
        """One delivery through the retry policy, claimed before every try."""
        def claim() -> bool:
            return self.ledger.set_state(row.id, "sending", now=now, attempt=True,
                                         only_from=["planned"], owner=self.run_id)

        def back_to_planned(error: str) -> None:
            self.ledger.set_state(row.id, "planned", now=now, error=error,
                                  only_from=["sending"], owner=self.run_id)

        return send_with_retries(channel, delivery, tries_before=row.attempts,
                                 settings=self.settings, rng=self.rng, sleep=self.sleep, now=now,
                                 settle=lambda o: self._settle(row, o, now, report),
                                 before_try=claim, between_tries=back_to_planned,
                                 breaker=breaker)

    def _settle(self, row: DeliveryRecord, outcome: Outcome, now: dt.datetime,
                report: RunReport, *, claimed: bool = True) -> None:
        """Record ``outcome`` (compare-and-set: from ``sending`` claimed by this run, or
        from ``planned`` for a row never claimed) and report it."""
        state = outcome.state
        if not self.ledger.set_state(row.id, state, now=now, remote=outcome.remote,
                                     error=outcome.error, next_attempt_at=outcome.next_attempt_at,
                                     only_from=["sending"] if claimed else ["planned"],
                                     owner=self.run_id if claimed else None):
            return  # another run settled or took it: it reports it
        if outcome.deferred:
            report.counts["deferred"] += 1
            report.lines.append(f"deferred #{row.id} {row.item} to {row.channel}: "
                                f"{outcome.error}")
            return
        report.counts[state] += 1
        if state == "sent":
            report.sent_channels.add(row.channel)
        if not row.recipient or state != "sent":
            detail = outcome.remote if state == "sent" else outcome.error
            target = f"{row.channel} ({row.recipient})" if row.recipient else row.channel
            report.lines.append(f"{state} #{row.id} {row.item} to {target}"
                                + (f": {detail}" if detail else ""))
