"""Email fan-out of one digest slot: claims recipients in batches and feeds the workers.

Contract (``docs/delivery.md``, "Fan-out"):

* The issue is rendered and inlined **once** (``IssueCache.rendered``); each
  recipient's message is filled from it by the workers.
* The slot's due ``planned`` rows are claimed in batches (``planned → sending`` for
  this run, one statement: :meth:`~trustpublish.deliver.ledger.Ledger.claim_batch`),
  so several runs, on one machine or several, share one fan-out without sending a
  row twice. For each batch the subscriber store is asked, at send time, who still
  receives the channel: the others are settled ``skipped`` (unsubscribed). The
  rest are handed in chunks to
  ``connections`` workers (channel option, default 3; :mod:`trustpublish.deliver.workers`),
  each holding one SMTP connection and settling every message in its own commit
  before it sends the next. Memory is bounded by the batch and the queue, not by
  the number of subscribers.
* A crash leaves claimed rows in ``sending``; the next run puts them back to
  ``planned`` and sends them (never lost). Only a message the server accepted but
  that was not yet recorded can be sent twice: at most one per open connection.
* ``send_rate`` (messages per second) is the total over all connections.
* Rows claimed but not attempted (stop requested, credentials refused, a worker
  that died) are released back to ``planned`` at the end and reported.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..channels.outbox import OutboxChannel
from .settings import DEFAULT_CONNECTIONS, connections_of
from .workers import (
    BATCH,
    CHUNK,
    FanoutJob,
    FanoutSummary,
    ProcessWorkers,
    Tally,
    ThreadWorkers,
    Workers,
    can_fork,
)

if TYPE_CHECKING:
    from ..channels.base import Channel
    from .breaker import CircuitBreaker
    from .issue_cache import IssueCache
    from .ledger import Ledger, SlotRecord
    from .report import RunReport
    from .settings import RunSettings
    from .subscribers import Subscribers

__all__ = ["Fanout", "FanoutSummary", "DEFAULT_CONNECTIONS", "Progress", "connections_of"]

#: progress(label, done, total); called from the producing thread
Progress = Callable[[str, int, int], None]


class Fanout:
    """Sends one digest slot's planned rows. Build it, then call :meth:`run` once."""

    def __init__(self, *, ledger: "Ledger", subscribers: "Subscribers", slot: "SlotRecord",
                 options: Mapping[str, Any], rendered: Any, issues: "IssueCache",
                 now: dt.datetime, settings: "RunSettings", rng: random.Random,
                 sleep: Callable[[float], None], stop: Any,
                 open_channel: Callable[[Mapping[str, Any]], "Channel"], owner: str,
                 breaker: "CircuitBreaker", report: "RunReport",
                 progress: Progress | None = None) -> None:
        self.ledger, self.subscribers, self.slot = ledger, subscribers, slot
        self.options = dict(options)
        self.rendered, self.issues, self.now = rendered, issues, now
        self.settings, self.rng, self.sleep, self.stop = settings, rng, sleep, stop
        self.open_channel, self.report, self.progress = open_channel, report, progress
        self.owner, self.breaker = owner, breaker
        self.tally = Tally(report.lines)
        self.label = f"{slot.channel} {slot.item}"
        self.total = 0

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.label, self.tally.done, self.total)

    def _workers(self) -> Workers:
        slot = self.slot
        n = connections_of(self.options, slot.channel)
        first = self.open_channel(self.options)
        real = not isinstance(first, OutboxChannel)
        if not real:  # the outbox (no credentials): one writer is plenty
            n = 1
        elif n > 1 and self.options.get("send_rate"):
            first.close()  # pace each connection at its share of the total rate
            self.options["send_rate"] = float(self.options["send_rate"]) / n
            first = self.open_channel(self.options)
        options = dict(self.options)
        job = FanoutJob(ledger=self.ledger, slot=slot, options=options, rendered=self.rendered,
                        issues=self.issues, now=self.now, settings=self.settings, rng=self.rng,
                        sleep=self.sleep, open_channel=lambda: self.open_channel(options),
                        owner=self.owner, breaker=self.breaker)
        if real and n > 1 and self.total > CHUNK and can_fork():
            first.close()  # one process per connection: each opens its own
            return ProcessWorkers(job, self.tally, self.stop, n)
        channels = [first] + [self.open_channel(options) for _ in range(n - 1)]
        return ThreadWorkers(job, self.tally, self.stop, channels)

    def run(self) -> FanoutSummary:
        ledger, slot, now, tally = self.ledger, self.slot, self.now, self.tally
        self.total = ledger.count_planned(slot.id, now)
        workers = self._workers()
        workers.start()
        self._tick()
        try:
            while not (workers.abort.is_set() or self.stop.is_set()):
                workers.wait_for_room(self._tick)
                if workers.abort.is_set() or self.stop.is_set():
                    break
                batch = ledger.claim_batch(slot.id, now, self.owner, limit=BATCH * workers.count)
                if not batch:
                    break
                tally.claimed({row.id for row in batch})
                emails = [r.recipient or "" for r in batch]
                receiving = self.subscribers.receiving(emails, slot.channel)
                names = self.subscribers.names(emails)
                gone = {row.id for row in batch if (row.recipient or "").lower() not in receiving}
                if gone:
                    ledger.release(gone, now, self.owner, state="skipped", error="unsubscribed")
                    tally.skipped(gone, "unsubscribed")
                items = [(row, names.get((row.recipient or "").lower(), ""))
                         for row in batch if row.id not in gone]
                handed = True
                for start in range(0, len(items), CHUNK):
                    if not workers.put(items[start:start + CHUNK], self._tick):
                        handed = False
                        break
                self._tick()
                if not handed:
                    break
        finally:
            workers.finish(self._tick)
            left = tally.take_unsettled()
            if left:
                ledger.release(left, now, self.owner)
            self._tick()
        if tally.unreachable:
            self._hold(tally.unreachable)
        elif self.stop.is_set() or (workers.abort.is_set() and left):
            self.report.lines.append("stopping: the rest is left for the next run")
        elif left:
            self.report.lines.append(f"{len(left)} claimed messages of {self.label} were not "
                                     "attempted; they stay planned for the next run")
        self._account()
        if workers.failure is not None:
            raise workers.failure
        return tally.summary

    def _hold(self, reason: str) -> None:
        """The circuit opened: every due row of the slot waits, with the reason."""
        until = self.now + self.settings.max_backoff
        held = self.ledger.hold_planned(self.slot.id, self.slot.channel, self.now,
                                        until=until, error=reason)
        self.breaker.open(self.slot.channel)  # forked workers opened their own copies
        self.report.counts["waiting"] += held
        self.report.lines.append(f"{self.slot.channel}: {reason}; {held} messages wait "
                                 "(a run after that time resumes them)")

    def _account(self) -> None:
        s, counts = self.tally.summary, self.report.counts
        for key, n in (("sent", s.sent), ("failed", sum(s.failed.values())),
                       ("skipped", sum(s.skipped.values())), ("unknown", s.unknown),
                       ("deferred", s.deferred)):
            if n:
                counts[key] += n
        self.report.lines.extend(s.lines(self.label))
