"""Email fan-out of one digest slot: streamed, over a small pool of SMTP connections.

Contract (PRODUCT §5, §9, §10):

* The issue is rendered and inlined **once** (``IssueCache.rendered``); each
  recipient's message is filled from it (``RenderedIssue.message_for``).
* The slot's ``planned`` rows are read in batches (keyset pagination). For each
  batch the subscriber store is asked, at send time, who still receives the
  channel: the others are settled ``skipped`` (unsubscribed). The rest are
  claimed ``planned → sending`` in one commit, then handed through a bounded queue
  to ``connections`` workers (channel option, default 3), each holding one SMTP
  connection and settling every message (``sent``/``failed``/``unknown``) in its own
  commit before it sends the next. Workers are forked processes on Linux (see
  :mod:`trustpublish.deliver.workers`; they die with the run), threads elsewhere and
  for small slots. Memory is bounded by the batch and the
  queue, not by the number of subscribers.
* A crash leaves claimed rows in ``sending``; the next run puts them back to
  ``planned`` and sends them (never lost). Only a message the server accepted but
  that was not yet recorded can be sent twice: at most one per open connection.
* ``send_rate`` (messages per second) is the total over all connections.
* Rows claimed but not attempted (stop requested, credentials refused) are
  released back to ``planned`` at the end.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import (
    CredentialsError,
    DeliveryError,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    TrustpublishError,
)

if TYPE_CHECKING:
    from .engine import DeliveryEngine, RunReport
    from .ledger import DeliveryRecord, Settler, SlotRecord

__all__ = ["Fanout", "FanoutSummary", "DEFAULT_CONNECTIONS", "Progress"]

DEFAULT_CONNECTIONS = 3


def _can_fork() -> bool:
    from .workers import can_fork

    return can_fork()

BATCH = 500
CHUNK = 25
#: progress(label, done, total); called from the sending thread
Progress = Callable[[str, int, int], None]


@dataclass
class FanoutSummary:
    sent: int = 0
    unknown: int = 0
    deferred: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # reason → count
    skipped: Counter[str] = field(default_factory=Counter)

    def lines(self, label: str) -> list[str]:
        head = (f"{label}: {self.sent} sent, {sum(self.failed.values())} failed, "
                f"{sum(self.skipped.values())} skipped"
                + (f", {self.unknown} unknown" if self.unknown else "")
                + (f", {self.deferred} deferred" if self.deferred else ""))
        out = [head]
        out += [f"  failed ({n}): {reason}" for reason, n in self.failed.most_common(10)]
        out += [f"  skipped ({n}): {reason}" for reason, n in self.skipped.most_common(5)]
        return out


def connections_of(options: Mapping[str, Any], channel: str) -> int:
    from ..errors import ConfigError

    value = options.get("connections", DEFAULT_CONNECTIONS)
    try:
        n = int(value)
        if not 1 <= n <= 32:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError("connections must be a whole number from 1 to 32",
                          key_path=f"channels.{channel}.connections") from None
    return n


class Fanout:
    """Sends one email slot's planned rows. Build it, then call :meth:`run` once."""

    def __init__(self, engine: "DeliveryEngine", slot: "SlotRecord", options: Mapping[str, Any],
                 rendered: Any, issues: Any, now: dt.datetime, report: "RunReport",
                 progress: Progress | None = None) -> None:
        self.engine, self.slot, self.options = engine, slot, dict(options)
        self.rendered, self.issues, self.now, self.report = rendered, issues, now, report
        self.progress = progress
        self.summary = FanoutSummary()
        self.lock = threading.Lock()
        self.unsettled: set[int] = set()
        self.abort = threading.Event()
        self.failure: BaseException | None = None
        self.done = 0
        self._label, self._total = "", 0
        self._results: Any = None  # set in worker processes
        self._settle_lock: Any = None
        self._outcomes: list[tuple[Any, ...]] = []

    # -- producer (the calling thread) -------------------------------------------------
    def run(self) -> FanoutSummary:
        from ..channels.registry import open_channel

        engine, slot, now = self.engine, self.slot, self.now
        n = connections_of(self.options, slot.channel)
        first = open_channel(slot.channel, self.options, root=engine.project.root,
                             outbox_dir=engine.project.outbox_dir)
        if first.type != "email":  # the outbox (no credentials): one writer is plenty
            n = 1
        elif n > 1 and self.options.get("send_rate"):
            first.close()  # pace each connection at its share of the total rate
            self.options["send_rate"] = float(self.options["send_rate"]) / n
            first = open_channel(slot.channel, self.options, root=engine.project.root,
                                 outbox_dir=engine.project.outbox_dir)
        total = engine.ledger.count_planned(slot.id, now)
        label = f"{slot.channel} {slot.item}"
        self._label, self._total = label, total
        collector: threading.Thread | None = None
        if first.type == "email" and n > 1 and total > CHUNK and _can_fork():
            # one process per connection: the interpreter lock would let threads use one core
            first.close()
            work, threads, collector = self._start_processes(n)
        else:
            channels = [first] + [open_channel(slot.channel, self.options,
                                               root=engine.project.root,
                                               outbox_dir=engine.project.outbox_dir)
                                  for _ in range(n - 1)]
            work = queue.Queue(maxsize=2 * BATCH // CHUNK)
            threads = [threading.Thread(target=self._worker, args=(c, work), daemon=True,
                                        name=f"fanout-{i}") for i, c in enumerate(channels)]
            for t in threads:
                t.start()
        self._progress(label, total)
        try:
            for batch in engine.ledger.iter_planned(slot.id, now, batch=BATCH):
                if self.abort.is_set() or engine.stop.is_set():
                    break
                emails = [r.recipient or "" for r in batch]
                receiving = engine.subscribers.receiving(emails, slot.channel)
                names = engine.subscribers.names(emails)
                wanted = []
                for row in batch:
                    if (row.recipient or "").lower() in receiving:
                        wanted.append(row.id)
                    else:
                        engine.ledger.set_state(row.id, "skipped", now=now, only_from=["planned"],
                                                error="unsubscribed")
                        with self.lock:
                            self.summary.skipped["unsubscribed"] += 1
                            self.done += 1
                claimed = engine.ledger.claim(wanted, now)
                with self.lock:
                    self.unsettled |= claimed
                items = [(row, names.get((row.recipient or "").lower(), ""))
                         for row in batch if row.id in claimed]
                # chunks, not single rows: one hand-over per CHUNK messages keeps the
                # threads from trading the interpreter lock after every message
                for start in range(0, len(items), CHUNK):
                    self._put(work, items[start:start + CHUNK])
                self._progress(label, total)
        finally:
            for _ in threads:
                self._put(work, None, force=True)
            for t in threads:
                while t.is_alive():  # keep the progress bar moving while the queue drains
                    t.join(0.25)
                    self._progress(label, total)
            if collector is not None:
                collector.join()
            with self.lock:
                left, self.unsettled = self.unsettled, set()
            if left:
                engine.ledger.release(left, now)
            self._progress(label, total)
        if engine.stop.is_set() or (self.abort.is_set() and left):
            self.report.lines.append("stopping: the rest is left for the next run")
        self._account(label)
        if self.failure is not None:
            raise self.failure
        return self.summary

    def _put(self, work: "queue.Queue[Any]", item: Any, force: bool = False) -> None:
        while True:
            try:
                work.put(item, timeout=0.2)
                return
            except queue.Full:
                if self.progress is not None and self._label:
                    self.progress(self._label, self.done, self._total)
                if not force and self.abort.is_set():
                    return
                if force:  # workers stopped early: drain so the stop markers fit
                    try:
                        work.get_nowait()
                    except queue.Empty:
                        pass

    def _progress(self, label: str, total: int) -> None:
        if self.progress is not None:
            self.progress(label, self.done, total)

    def _account(self, label: str) -> None:
        s, counts = self.summary, self.report.counts
        for key, n in (("sent", s.sent), ("failed", sum(s.failed.values())),
                       ("skipped", sum(s.skipped.values())), ("unknown", s.unknown),
                       ("deferred", s.deferred)):
            if n:
                counts[key] += n
        self.report.lines.extend(s.lines(label))

    # -- workers -----------------------------------------------------------------------
    def _worker(self, channel: Any, work: "queue.Queue[Any]") -> None:
        try:
            with self.engine.ledger.settler(self._settle_lock) as settler:
                while True:
                    chunk = work.get()
                    if chunk is None:
                        return
                    for row, name in chunk:
                        if self.abort.is_set() or self.engine.stop.is_set():
                            break  # left claimed; released after the workers stop
                        self._send(channel, settler, row, name)
                    if self._results is not None and self._outcomes:  # one report per chunk
                        self._results.put(self._outcomes)
                        self._outcomes = []
        except BaseException as exc:  # a bug or an interrupt: stop everyone, re-raise in run()
            self.failure = self.failure or exc
            self.abort.set()
        finally:
            if self._results is not None and self._outcomes:
                self._results.put(self._outcomes)
                self._outcomes = []
            channel.close()

    def _settle(self, settler: "Settler", row: "DeliveryRecord", state: str, *,
                remote: str | None = None, error: str | None = None,
                next_attempt_at: dt.datetime | None = None) -> None:
        if self._results is not None and state != "sent":
            from .workers import confirm_parent

            confirm_parent(self.engine.stop)  # a refusal seen while the run was killed
        settler.set_state(row.id, state, now=self.now, remote=remote, error=error,
                          next_attempt_at=next_attempt_at)
        if self._results is not None:  # a worker process: the parent does the accounting
            self._outcomes.append((row.id, row.recipient, row.item, row.channel, state, error))
            return
        self._account_one(row, state, error)

    def _account_one(self, row: Any, state: str, error: str | None) -> None:
        with self.lock:
            self.unsettled.discard(row.id)
            self.done += 1
            if state == "sent":
                self.summary.sent += 1
            elif state == "failed":
                reason = (error or "").replace(f" for {row.recipient}", "")
                self.summary.failed[reason] += 1
            elif state == "unknown":
                self.summary.unknown += 1
                self.report.lines.append(f"unknown #{row.id} {row.item} to {row.channel} "
                                         f"({row.recipient}): {error}")
            elif state == "planned":
                self.summary.deferred += 1

    def _send(self, channel: Any, settler: "Settler", row: "DeliveryRecord", name: str) -> None:
        engine, slot = self.engine, self.slot
        try:
            delivery = self.issues.message(self.rendered, row.key, row.channel, self.options,
                                           row.item, row.recipient or "", name, slot.when)
        except (PermanentFailure, ValueError) as exc:
            return self._settle(settler, row, "failed", error=str(exc))
        attempts = row.attempts + 1
        while True:
            try:
                result = channel.publish(delivery)
            except OutcomeUnknown as exc:
                return self._settle(settler, row, "unknown", error=exc.message)
            except CredentialsError as exc:
                self._settle(settler, row, "failed", error=exc.message)
                self.abort.set()  # every other message would be refused the same way
                return None
            except DeliveryError as exc:
                if not exc.retryable or attempts >= engine.settings.attempts:
                    return self._settle(settler, row, "failed", error=exc.message)
                wait = engine.settings.delay(attempts, engine.rng)
                if isinstance(exc, RateLimited):
                    wait = max(wait, exc.retry_after)
                if wait > engine.settings.max_wait.total_seconds():
                    return self._settle(settler, row, "planned", error=exc.message,
                                        next_attempt_at=self.now + dt.timedelta(seconds=wait))
                engine.sleep(wait)
                attempts += 1
                continue
            except TrustpublishError as exc:
                return self._settle(settler, row, "unknown", error=exc.message)
            except BaseException as exc:
                self._settle(settler, row, "unknown", error=f"{type(exc).__name__}: {exc}")
                raise
            return self._settle(settler, row, "sent", remote=result.display())

    # -- worker processes (fanout_procs) ---------------------------------------------
    def _start_processes(self, n: int) -> tuple[Any, list[Any], threading.Thread]:
        from .workers import start_processes

        return start_processes(self, n)
