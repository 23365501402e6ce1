"""Executes what is due, exactly once (PRODUCT §9). The clock is a parameter.

``run_once(now)``:

1. **Recover** rows a crashed run left in ``sending``: for email and idempotent
   channels (the platform drops a repeated key; the outbox overwrites one file) the
   row goes back to ``planned`` and is sent again — for email this is the one possible
   duplicate per open connection per crash; for other channels the outcome cannot be
   known, so the row becomes ``unknown`` and is never retried blindly
   (``trustpublish resolve ID --sent|--not-sent``).
2. **Slots** due since the last run (at most back to the "horizon" the ledger keeps):
   one older than its grace window is recorded ``missed``; a slot of a disabled
   channel ``skipped``; the others take their items (see :mod:`trustpublish.plan.planner`)
   and are recorded with one ``planned`` delivery per item — for email one per active
   subscriber — in a single transaction.
3. **Deliver** every ``planned`` row: committed as ``sending`` (a compare-and-set
   claim) *before* the attempt, settled ``sent``/``failed``/``unknown`` after.
   Retryable failures are retried with exponential backoff and jitter; a wait longer
   than ``run.retry.max_wait`` is left for a later run. Before sending, the post must
   still be approved and the subscriber still subscribed; otherwise ``skipped``.

``dry_run`` does steps 2–3 on paper: it writes nothing and sends nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import (
    ConfigError,
    CredentialsError,
    DeliveryError,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    StateError,
    ThreadBroken,
    TrustpublishError,
)
from ..plan.planner import PlannedDelivery, Recorded, candidates, excerpt_index, plan
from ..plan.timetable import Entry, Slot, expand, parse_duration, parse_timetable
from .ledger import DeliveryRecord, Ledger, SlotRecord, from_iso, iso
from .subscribers import Subscribers

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine as SqlEngine

    from ..channels.base import Channel, Delivery
    from ..workspace.project import Project

__all__ = ["RunSettings", "RunReport", "DeliveryEngine", "open_state"]

UTC = dt.timezone.utc


@dataclass(frozen=True)
class RunSettings:
    """The ``run`` section of schedule.yaml."""

    grace: dt.timedelta = dt.timedelta(hours=1)
    attempts: int = 4
    backoff: dt.timedelta = dt.timedelta(seconds=2)
    max_backoff: dt.timedelta = dt.timedelta(minutes=5)
    max_wait: dt.timedelta = dt.timedelta(minutes=2)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> "RunSettings":
        run = raw.get("run") or {}
        retry = run.get("retry") or {}
        base = cls()
        return cls(
            grace=parse_duration(run["grace"], "run.grace") if "grace" in run else base.grace,
            attempts=int(retry.get("attempts", base.attempts)),
            backoff=parse_duration(retry.get("backoff", 2), "run.retry.backoff"),
            max_backoff=parse_duration(retry.get("max_backoff", 300), "run.retry.max_backoff"),
            max_wait=parse_duration(retry.get("max_wait", 120), "run.retry.max_wait"),
        )

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Backoff before try ``attempt + 1``: doubling from ``backoff``, capped, with jitter."""
        ceiling = min(self.max_backoff.total_seconds(),
                      self.backoff.total_seconds() * 2 ** max(0, attempt - 1))
        return ceiling * rng.uniform(0.5, 1.0)


@dataclass
class RunReport:
    """What a run did: counts by outcome and human-readable lines."""

    counts: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)
    sent_channels: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not (self.counts["failed"] or self.counts["unknown"] or self.counts["partial"])


def open_channel_for(project: "Project", name: str, options: Mapping[str, Any]) -> "Channel":
    from ..channels.registry import open_channel

    return open_channel(name, options, root=project.root, outbox_dir=project.outbox_dir)


def open_state(project: "Project") -> "SqlEngine":
    """The state database of ``project`` (``state.url``, env, or SQLite in state/)."""
    from .db import open_engine, state_url

    configured = (project.config.raw.get("state") or {}).get("url")
    return open_engine(state_url(project.state_dir, configured))


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

    # -- planning --------------------------------------------------------------------
    def slots(self, start: dt.datetime, end: dt.datetime) -> list[Slot]:
        return expand(self.entries, self.config.zone, start, end)

    def recorded(self) -> list[Recorded]:
        return [Recorded(s.channel, s.when, s.item, s.excerpts, self._slot_state(s), s.issue_number)
                for s in self.ledger.slots()]

    def _slot_state(self, slot: SlotRecord) -> str:
        return slot.state if slot.state != "assigned" else "planned"

    def plan(self, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[PlannedDelivery]:
        """What each slot in [start, end) sends; recorded slots show their delivery state."""
        from ..workspace.queue_cache import load_candidates

        queue = load_candidates(self.project)
        recorded = self.recorded()
        states = self._states_by_slot()
        recorded = [Recorded(r.channel, r.when, r.item, r.excerpts,
                             states.get((r.channel, r.when), r.state), r.issue_number) for r in recorded]
        slots = self.slots(min(start, now), end)
        return [p for p in plan(slots, queue, self.config.channels, recorded,
                                kinds=self.project.channel_kinds()) if p.when >= start]

    def _states_by_slot(self) -> dict[tuple[str, dt.datetime], str]:
        """Summary state of each recorded slot from its deliveries (worst first)."""
        order = ("unknown", "failed", "partial", "sending", "planned", "missed", "skipped", "sent")
        return {key: min(states, key=order.index)
                for key, states in self.ledger.slot_states().items()}

    # -- running ---------------------------------------------------------------------
    def run_once(self, now: dt.datetime, *, dry_run: bool = False) -> RunReport:
        report = RunReport()
        if not dry_run:
            self._recover(now, report)
            self._resume_partial(now)
        self._take_due_slots(now, report, dry_run)
        if dry_run:
            for row in self._pending(now):
                report.lines.append(f"would send {row.item} to {row.channel}"
                                    + (f" ({row.recipient})" if row.recipient else ""))
                report.counts["would send"] += 1
            return report
        self._deliver(now, report)
        if self.after_round is not None:
            self.after_round(now, report)
        return report

    def _grace(self, entry_name: str) -> dt.timedelta:
        for entry in self.entries:
            if entry.name == entry_name and entry.grace is not None:
                return entry.grace
        return self.settings.grace

    def _recover(self, now: dt.datetime, report: RunReport) -> None:
        from ..channels.registry import channel_class

        for row in self.ledger.deliveries(states=["sending"]):
            options = self.config.channels.get(row.channel, {})
            kind = str(options.get("type", ""))
            try:
                cls = channel_class(kind)
                safe = kind == "email" or cls.idempotent or not cls.credentials_present(row.channel)
            except ConfigError:
                safe = False
            if safe:
                self.ledger.set_state(row.id, "planned", now=now, only_from=["sending"],
                                      error="an earlier run stopped while sending; sending again")
            else:
                self.ledger.set_state(row.id, "unknown", now=now, only_from=["sending"],
                                      error="the run stopped while sending; check the channel, then "
                                            f"`trustpublish resolve {row.id} --sent` or `--not-sent`")
                report.counts["unknown"] += 1
                report.lines.append(f"unknown #{row.id} {row.item} to {row.channel}: interrupted "
                                    "while sending")

    def _resume_partial(self, now: dt.datetime) -> None:
        """Threads that broke partway go back to ``planned``, keeping their live parts
        (``remote``): the adapter resumes at the first missing part."""
        for row in self.ledger.deliveries(states=["partial"]):
            self.ledger.set_state(row.id, "planned", now=now, only_from=["partial"],
                                  error=f"resuming a thread: {row.error or ''}")

    def _take_due_slots(self, now: dt.datetime, report: RunReport, dry_run: bool) -> None:
        grace = max([self.settings.grace] + [e.grace for e in self.entries if e.grace])
        horizon_text = self.ledger.get_meta("horizon")
        start = now - grace
        if horizon_text:
            start = min(start, from_iso(horizon_text))
        due = self.slots(start, now + dt.timedelta(microseconds=1))
        recorded = self.recorded()
        seen = {(r.channel, r.when) for r in recorded}
        fresh = [s for s in due if (s.channel, s.when) not in seen]
        missed = [s for s in fresh if s.when < now - self._grace(s.entry)]
        for n, slot in enumerate(missed):
            report.counts["missed"] += 1
            if n < 5:
                report.lines.append(f"missed {slot.channel} slot at {slot.local:%Y-%m-%d %H:%M %Z} "
                                    "(beyond the grace window; nothing sent)")
            elif n == 5:
                report.lines.append(f"... and {len(missed) - 5} more missed slots "
                                    "(`trustpublish history --state missed` lists them)")
            if not dry_run:
                self.ledger.record_slot(channel=slot.channel, when=slot.when, entry=slot.entry,
                                        item="", excerpts=(), issue_number=None, state="missed",
                                        now=now, recipients=[None], delivery_state="missed")
                recorded.append(Recorded(slot.channel, slot.when, "", (), "missed"))
        live = [s for s in fresh if s not in missed]
        from ..content.privacy import publishable, rules_for

        privacy = rules_for(self.config)
        queue = candidates(self.project.posts, self.project.excerpts,
                           lambda post: publishable(post, privacy))
        for planned in plan(live, queue, self.config.channels, recorded,
                            kinds=self.project.channel_kinds()):
            if planned.state == "empty":
                continue
            if planned.state == "skipped":
                report.counts["skipped"] += 1
                if not dry_run:
                    self._record_skipped(planned, now)
                continue
            options = self.config.channels.get(planned.channel, {})
            recipients: Iterable[str | None] = [None]
            count = 1
            if options.get("type") == "email":
                stream = (s.email for s in self.subscribers.iter_recipients(planned.channel))
                first = next(stream, None)
                if first is None:  # nobody to send to: the excerpts wait for a later issue
                    report.counts["skipped"] += 1
                    report.lines.append(f"skipped {planned.channel} slot: no active subscribers "
                                        "(`trustpublish subscribers import FILE.csv`)")
                    if not dry_run:
                        self._record_skipped(planned, now)
                    continue
                recipients = itertools.chain([first], stream)
                if dry_run:
                    count = 1 + sum(1 for _ in stream)
            if dry_run:
                report.lines.append(f"would send {planned.item} to {planned.channel}"
                                    + (f" ({count} recipients)" if options.get("type") == "email"
                                       else ""))
                report.counts["would send"] += count
                continue
            # recipients are streamed into the ledger in chunks, in one transaction
            self.ledger.record_slot(channel=planned.channel, when=planned.when, entry=planned.entry,
                                    item=planned.item, excerpts=planned.excerpts,
                                    issue_number=planned.issue_number, state="assigned", now=now,
                                    recipients=recipients)
        if not dry_run and (not horizon_text or from_iso(horizon_text) < now):
            self.ledger.set_meta("horizon", iso(now))

    def _record_skipped(self, planned: PlannedDelivery, now: dt.datetime) -> None:
        """Record a slot that sends nothing (channel paused, nobody subscribed) as skipped."""
        self.ledger.record_slot(channel=planned.channel, when=planned.when, entry=planned.entry,
                                item="", excerpts=(), issue_number=None, state="skipped",
                                now=now, recipients=[None], delivery_state="skipped")

    def _pending(self, now: dt.datetime) -> list[DeliveryRecord]:
        return [r for r in self.ledger.deliveries(states=["planned"])
                if r.next_attempt_at is None or r.next_attempt_at <= now]

    def publish_now(self, excerpt_id: str, channel: str, now: dt.datetime) -> RunReport:
        """Send one excerpt to one channel now, through the ledger, exactly once.

        The excerpt is recorded as a slot of its own (entry ``publish``) before it is
        attempted, so the timetable will not send it to that channel again, and a second
        ``publish`` of the same pair is refused with what happened the first time.
        """
        from .ledger import delivery_key

        earlier = self.ledger.by_key(delivery_key(channel, excerpt_id))
        if earlier is not None:
            raise StateError(
                f"{excerpt_id} already has a delivery to {channel}: #{earlier.id}, "
                f"{earlier.state}" + (f" ({earlier.remote})" if earlier.remote else ""),
                hint="`trustpublish history` shows it; use `retry` for a failed one or "
                     "`resolve` for an unknown one")
        slot_id = self.ledger.record_slot(channel=channel, when=now, entry="publish",
                                          item=excerpt_id, excerpts=(excerpt_id,),
                                          issue_number=None, state="assigned", now=now,
                                          recipients=[None])
        report = RunReport()
        self._deliver(now, report, only={slot_id})
        return report

    def _deliver(self, now: dt.datetime, report: RunReport, only: set[int] | None = None) -> None:
        """Slot by slot (in time order); email slots go through :class:`~trustpublish.deliver.fanout.Fanout`.

        ``only`` limits the run to those slot ids (``publish``).
        """
        from ..content.privacy import publishable, rules_for
        from .issue_cache import IssueCache

        slot_ids = [s for s in self.ledger.pending_slots(now) if only is None or s in only]
        if not slot_ids:
            return
        privacy = rules_for(self.config)
        index = excerpt_index(self.project.posts, self.project.excerpts)
        issues = IssueCache(self.config.site, self.project.templates_dir, self.project.state_dir)
        channels: dict[str, Channel] = {}
        blocked: set[str] = set()
        try:
            for slot_id in slot_ids:
                if self.stop.is_set():
                    report.lines.append("stopping: the rest is left for the next run")
                    break
                slot = self.ledger.slot(slot_id)
                if slot.channel in blocked:
                    continue
                options = self.config.channels.get(slot.channel)
                unapproved = [e for e in slot.excerpts
                              if e not in index or not publishable(index[e][0], privacy)]
                reason = ("the channel is no longer in schedule.yaml" if options is None else
                          f"{unapproved[0]} is no longer in an approved post (or the privacy "
                          "guard holds it: see trustpublish check)" if unapproved else None)
                if reason or options is None:
                    for batch in self.ledger.iter_planned(slot.id, now):
                        for row in batch:
                            self._settle(row, "skipped", now, report, error=reason)
                    continue
                if options.get("type") == "email" and slot.issue_number is not None:
                    self._fan_out(slot, options, index, issues, now, report)
                    continue
                for batch in self.ledger.iter_planned(slot.id, now):
                    for row in batch:
                        if self.stop.is_set() or row.channel in blocked:
                            break
                        if row.channel not in channels:
                            channels[row.channel] = open_channel_for(self.project, row.channel,
                                                                     options)
                        channel = channels[row.channel]
                        try:
                            delivery = self._build(row, slot, options, channel, index, issues, {},
                                                   now)
                        except PermanentFailure as exc:
                            self._settle(row, "failed", now, report, error=exc.message)
                            continue
                        if self._attempt(channel, row, delivery, now, report) == "credentials":
                            blocked.add(row.channel)
        finally:
            for channel in channels.values():
                channel.close()

    def _fan_out(self, slot: SlotRecord, options: Mapping[str, Any], index: Mapping[str, Any],
                 issues: Any, now: dt.datetime, report: RunReport) -> None:
        from .fanout import Fanout

        excerpts = [index[e][1] for e in slot.excerpts]
        try:
            rendered = issues.rendered(slot.channel, options, slot.item, slot.issue_number or 1,
                                       excerpts, slot.when)
        except TrustpublishError as exc:
            for batch in self.ledger.iter_planned(slot.id, now):
                for row in batch:
                    self._settle(row, "failed", now, report, error=exc.message)
            return
        Fanout(self, slot, options, rendered, issues, now, report, self.progress).run()

    def _build(self, row: DeliveryRecord, slot: SlotRecord, options: Mapping[str, Any],
               channel: "Channel", index: Mapping[str, Any], issues: Any, names: Mapping[str, str],
               now: dt.datetime) -> "Delivery":
        if row.recipient:
            excerpts = [index[e][1] for e in slot.excerpts]
            rendered = issues.rendered(row.channel, options, row.item, slot.issue_number or 1,
                                       excerpts, slot.when)
            return issues.message(rendered, row.key, row.channel, options, row.item,
                                  row.recipient, names.get(row.recipient, ""), slot.when)
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
                 now: dt.datetime, report: RunReport) -> str:
        """Send with retries; returns the outcome word (sent/failed/unknown/deferred/credentials)."""
        attempts = row.attempts
        while True:
            if not self.ledger.set_state(row.id, "sending", now=now, attempt=True,
                                         only_from=["planned"]):
                return "claimed elsewhere"
            attempts += 1
            try:
                result = channel.publish(delivery)
            except ThreadBroken as exc:  # the live parts are kept; a later run resumes
                from ..channels.base import thread_progress_text

                return self._settle(row, "partial", now, report,
                                    remote=thread_progress_text(exc.live), error=exc.message)
            except OutcomeUnknown as exc:
                return self._settle(row, "unknown", now, report, error=exc.message)
            except CredentialsError as exc:
                self._settle(row, "failed", now, report, error=exc.message)
                return "credentials"
            except DeliveryError as exc:
                if not exc.retryable or attempts >= self.settings.attempts:
                    return self._settle(row, "failed", now, report, error=exc.message)
                wait = self.settings.delay(attempts, self.rng)
                if isinstance(exc, RateLimited):
                    wait = max(wait, exc.retry_after)
                if wait > self.settings.max_wait.total_seconds():
                    self.ledger.set_state(row.id, "planned", now=now, error=exc.message,
                                          next_attempt_at=now + dt.timedelta(seconds=wait))
                    report.counts["deferred"] += 1
                    report.lines.append(f"deferred #{row.id} {row.item} to {row.channel}: {exc.message}")
                    return "deferred"
                self.ledger.set_state(row.id, "planned", now=now, error=exc.message)
                self.sleep(wait)
                continue
            except TrustpublishError as exc:
                return self._settle(row, "unknown", now, report, error=exc.message)
            except BaseException as exc:
                # A bug or an interrupt mid-request: we cannot know; never retried blindly.
                self._settle(row, "unknown", now, report, error=f"{type(exc).__name__}: {exc}")
                raise
            return self._settle(row, "sent", now, report, remote=result.display())

    def _settle(self, row: DeliveryRecord, state: str, now: dt.datetime, report: RunReport, *,
                remote: str | None = None, error: str | None = None) -> str:
        self.ledger.set_state(row.id, state, now=now, remote=remote, error=error)
        report.counts[state] += 1
        if state == "sent":
            report.sent_channels.add(row.channel)
        if not row.recipient or state != "sent":
            detail = remote if state == "sent" else error
            target = f"{row.channel} ({row.recipient})" if row.recipient else row.channel
            report.lines.append(f"{state} #{row.id} {row.item} to {target}"
                                + (f": {detail}" if detail else ""))
        return state

    # -- commands --------------------------------------------------------------------
    def retry(self, delivery_id: int, now: dt.datetime) -> DeliveryRecord:
        row = self.ledger.get(delivery_id)
        if row.state == "unknown":
            raise TrustpublishError(f"delivery {delivery_id} has an unknown outcome",
                                    hint=f"check {row.channel}, then `trustpublish resolve {delivery_id} "
                                         "--sent` or `--not-sent` (which sends it again)")
        if row.state != "failed":
            raise TrustpublishError(f"delivery {delivery_id} is {row.state}; only failed ones are retried")
        self.ledger.set_state(delivery_id, "planned", now=now, only_from=["failed"])
        return self.ledger.get(delivery_id)

    def resolve(self, delivery_id: int, sent: bool, now: dt.datetime) -> DeliveryRecord:
        row = self.ledger.get(delivery_id)
        if row.state not in ("unknown", "sending"):
            raise TrustpublishError(f"delivery {delivery_id} is {row.state}, not unknown",
                                    hint="resolve is for deliveries whose outcome is unknown")
        if sent:
            self.ledger.set_state(delivery_id, "sent", now=now, remote=row.remote or "resolved by hand",
                                  error=None, only_from=[row.state])
        else:
            self.ledger.set_state(delivery_id, "planned", now=now, error="resolved: not sent",
                                  only_from=[row.state])
        return self.ledger.get(delivery_id)
