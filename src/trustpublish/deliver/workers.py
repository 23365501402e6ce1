"""Fan-out workers: ``n`` senders behind one small interface (``docs/delivery.md``).

:class:`Workers` takes chunks of claimed rows from the producer
(:class:`~trustpublish.deliver.fanout.Fanout`) through one bounded queue and runs
the same loop in every worker: build the recipient's message, send it with
:func:`~trustpublish.deliver.send.send_with_retries`, settle it in its own commit
before the next one (on a connection kept open, :class:`~trustpublish.deliver.ledger.Settler`),
and count it in the shared :class:`Tally`. Two implementations:

* :class:`ThreadWorkers` — one thread per connection (small slots, the outbox, and
  platforms without ``fork``);
* :class:`ProcessWorkers` — one forked process per SMTP connection (the interpreter
  lock would let threads use one core). Each child opens its own SMTP and database
  connections; SQLite commits take turns on a lock the children share. After each
  chunk a child reports its outcomes to the parent, whose collector thread keeps the
  tally. A child stops between messages when the parent asks and dies with the
  parent (``PR_SET_PDEATHSIG`` on Linux, and a check of ``os.getppid()`` before every
  message), so a killed run never keeps sending; a refusal (anything but ``sent``) is
  recorded only after a short grace confirming the parent lives, so a reply to a
  killed run is not recorded as the recipient's failure.

Contract of the interface: :meth:`Workers.start`, then :meth:`Workers.put` for each
chunk (False once the workers stopped early: ``abort`` is set when the credentials
are refused or a worker failed), then :meth:`Workers.finish` exactly once. ``finish``
hands one stop marker to each worker that is still alive and never throws a chunk
away to make room for one; rows claimed but never attempted stay in the tally's
``unsettled`` set for the producer to release.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import multiprocessing
import os
import queue
import random
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import PermanentFailure
from .send import Outcome, send_with_retries

if TYPE_CHECKING:
    from ..channels.base import Channel
    from .breaker import CircuitBreaker
    from .issue_cache import IssueCache
    from .ledger import DeliveryRecord, Ledger, Settler, SlotRecord
    from .settings import RunSettings

__all__ = ["FanoutJob", "FanoutSummary", "Tally", "Workers", "ThreadWorkers", "ProcessWorkers",
           "can_fork", "BATCH", "CHUNK"]

#: planned rows claimed per batch, per worker (a batch is claimed only when the workers are
#: about to run out, so several runs sharing a fan-out each get their share)
BATCH = 100
#: rows per hand-over: one queue operation per CHUNK messages keeps the workers from
#: trading the interpreter lock after every message
CHUNK = 25
QUEUE_SIZE = 40  # chunks
_PR_SET_PDEATHSIG = 1
#: seconds a child waits before recording a refusal (see :meth:`ProcessWorkers._before_refusal`)
REFUSAL_GRACE = 0.02

#: ``(row, subscriber name)`` pairs, already claimed ``sending``
Chunk = Sequence[tuple["DeliveryRecord", str]]


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


@dataclass(frozen=True)
class FanoutJob:
    """What every worker of one digest slot needs; workers only read it."""

    ledger: "Ledger"
    slot: "SlotRecord"
    options: Mapping[str, Any]
    rendered: Any  # the issue rendered once (trustpublish.render.digest)
    issues: "IssueCache"
    now: dt.datetime
    settings: "RunSettings"
    rng: random.Random
    sleep: Callable[[float], None]
    open_channel: Callable[[], "Channel"]
    owner: str  # the run id the rows are claimed for (trustpublish.deliver.runs)
    breaker: "CircuitBreaker"  # this run's (a forked worker keeps its own copy)


@dataclass
class FanoutSummary:
    sent: int = 0
    unknown: int = 0
    deferred: int = 0
    lost_claims: int = 0  # settled by someone else after a recovery took the row
    failed: Counter[str] = field(default_factory=Counter)  # reason → count
    skipped: Counter[str] = field(default_factory=Counter)

    def lines(self, label: str) -> list[str]:
        head = (f"{label}: {self.sent} sent, {sum(self.failed.values())} failed, "
                f"{sum(self.skipped.values())} skipped"
                + (f", {self.unknown} unknown" if self.unknown else "")
                + (f", {self.deferred} deferred" if self.deferred else "")
                + (f", {self.lost_claims} taken over by another run" if self.lost_claims
                   else ""))
        out = [head]
        out += [f"  failed ({n}): {reason}" for reason, n in self.failed.most_common(10)]
        out += [f"  skipped ({n}): {reason}" for reason, n in self.skipped.most_common(5)]
        return out


class Tally:
    """The fan-out's accounting, shared by the producer and the workers (thread-safe)."""

    def __init__(self, lines: list[str]) -> None:
        self.summary = FanoutSummary()
        self.done = 0
        self._lines = lines
        self._lock = threading.Lock()
        self._unsettled: set[int] = set()
        #: the "waiting: server unreachable …" text once a worker's circuit opened
        self.unreachable: str | None = None

    def claimed(self, ids: set[int]) -> None:
        with self._lock:
            self._unsettled |= ids

    def skipped(self, ids: set[int], reason: str) -> None:
        with self._lock:
            self._unsettled -= ids
            self.summary.skipped[reason] += len(ids)
            self.done += len(ids)

    def record(self, row_id: int, recipient: str | None, item: str, channel: str, state: str,
               error: str | None, unreachable: bool = False) -> None:
        with self._lock:
            if unreachable:
                self.unreachable = error
            self._unsettled.discard(row_id)
            self.done += 1
            if state == "sent":
                self.summary.sent += 1
            elif state == "failed":
                self.summary.failed[(error or "").replace(f" for {recipient}", "")] += 1
            elif state == "unknown":
                self.summary.unknown += 1
                self._lines.append(f"unknown #{row_id} {item} to {channel} ({recipient}): {error}")
            elif state == "planned":
                self.summary.deferred += 1
            elif state == "lost claim":
                self.summary.lost_claims += 1

    def take_unsettled(self) -> set[int]:
        """The claimed rows never settled (handed back to the producer to release)."""
        with self._lock:
            left, self._unsettled = self._unsettled, set()
        return left


class Workers(ABC):
    """``n`` senders fed from one bounded queue; see the module docstring."""

    abort: Any  # an Event: set when the workers stopped early
    failure: BaseException | None

    def __init__(self, job: FanoutJob, tally: Tally, stop: Any) -> None:
        self.job, self.tally, self.stop = job, tally, stop
        self.failure = None

    # -- the producer's side -------------------------------------------------------
    @abstractmethod
    def start(self) -> None:
        """Start the workers."""

    @property
    @abstractmethod
    def count(self) -> int:
        """How many workers were started."""

    @abstractmethod
    def _queue(self) -> Any:
        """The work queue (``queue.Queue`` or ``multiprocessing.Queue``)."""

    @abstractmethod
    def alive(self) -> bool:
        """True while at least one worker runs."""

    @abstractmethod
    def _join(self, tick: Callable[[], None]) -> None:
        """Wait for every worker to end, calling ``tick`` now and then."""

    def wait_for_room(self, tick: Callable[[], None] = lambda: None) -> None:
        """Block while more than one chunk per worker is queued (or until the workers stop):
        the producer claims its next batch just in time, so rows it cannot send soon stay
        ``planned`` for other runs sharing the fan-out."""
        while self._backlog() > self.count and self.alive() and not self.abort.is_set():
            tick()
            time.sleep(0.02)

    def _backlog(self) -> int:
        try:
            return int(self._queue().qsize())
        except NotImplementedError:  # pragma: no cover - qsize is missing on macOS
            return 0

    def put(self, chunk: Chunk | None, tick: Callable[[], None] = lambda: None) -> bool:
        """Hand ``chunk`` (or a stop marker, None) to the workers; blocks while the queue is
        full. False when it was not handed over: the workers stopped early (a chunk) or
        none is left to take it (a stop marker). Nothing already queued is ever dropped."""
        while True:
            try:
                self._queue().put(chunk, timeout=0.2)
                return True
            except queue.Full:
                tick()
                if chunk is not None and self.abort.is_set():
                    return False
                if not self.alive():
                    return False

    def finish(self, tick: Callable[[], None] = lambda: None) -> None:
        """One stop marker per worker, then wait for them all."""
        for _ in range(self.count):
            if not self.put(None, tick):
                break
        self._join(tick)

    # -- every worker's loop -------------------------------------------------------
    def _serve(self, channel: "Channel", work: Any, stop: Any, lock: Any = None) -> None:
        with self.job.ledger.settler(lock, owner=self.job.owner) as settler:
            while True:
                chunk = work.get()
                if chunk is None:
                    return
                for row, name in chunk:
                    if self.abort.is_set() or stop.is_set():
                        break  # left claimed; released after the workers stop
                    self._send_one(channel, settler, row, name)
                self._flush()

    def _send_one(self, channel: "Channel", settler: "Settler", row: "DeliveryRecord",
                  name: str) -> None:
        job = self.job
        try:
            delivery = job.issues.message(job.rendered, row.key, row.channel, job.options,
                                          row.item, row.recipient or "", name, job.slot.when,
                                          delivery_id=row.id)
            # rows arrive claimed: ``attempts`` already counts the try about to be made
        except (PermanentFailure, ValueError) as exc:
            self._settle(settler, row, Outcome("failed", error=str(exc)))
            return
        outcome = send_with_retries(channel, delivery, tries_before=row.attempts - 1,
                                    settings=job.settings, rng=job.rng, sleep=job.sleep,
                                    now=job.now, breaker=job.breaker,
                                    settle=lambda o: self._settle(settler, row, o))
        if outcome.credentials or outcome.unreachable:
            self.abort.set()  # every other message would be refused (or time out) the same way

    def _settle(self, settler: "Settler", row: "DeliveryRecord", outcome: Outcome) -> None:
        if outcome.state != "sent":
            self._before_refusal()
        if settler.set_state(row.id, outcome.state, now=self.job.now, remote=outcome.remote,
                             error=outcome.error, next_attempt_at=outcome.next_attempt_at):
            self._record(row, outcome.state, outcome.error, outcome.unreachable)
        else:  # no longer ours (taken over by recovery): that run reports it
            self._record(row, "lost claim", outcome.error)

    def _before_refusal(self) -> None:
        """Called before a refusal is recorded (no-op for threads)."""

    @abstractmethod
    def _record(self, row: "DeliveryRecord", state: str, error: str | None,
                unreachable: bool = False) -> None:
        """Count one settled row."""

    def _flush(self) -> None:
        """Called after each chunk (process workers report to the parent here)."""


class ThreadWorkers(Workers):
    """One thread per channel connection."""

    def __init__(self, job: FanoutJob, tally: Tally, stop: Any,
                 channels: Sequence["Channel"]) -> None:
        super().__init__(job, tally, stop)
        self.abort = threading.Event()
        self._work: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_SIZE)
        self._threads = [threading.Thread(target=self._run, args=(c,), daemon=True,
                                          name=f"fanout-{i}") for i, c in enumerate(channels)]

    @property
    def count(self) -> int:
        return len(self._threads)

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def _queue(self) -> Any:
        return self._work

    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _join(self, tick: Callable[[], None]) -> None:
        for t in self._threads:
            while t.is_alive():  # keep the progress bar moving while the queue drains
                t.join(0.25)
                tick()

    def _run(self, channel: "Channel") -> None:
        try:
            self._serve(channel, self._work, self.stop)
        except BaseException as exc:  # a bug or an interrupt: stop everyone, re-raised by run()
            self.failure = self.failure or exc
            self.abort.set()
        finally:
            channel.close()

    def _record(self, row: "DeliveryRecord", state: str, error: str | None,
                unreachable: bool = False) -> None:
        self.tally.record(row.id, row.recipient, row.item, row.channel, state, error,
                          unreachable)


class _ParentWatch:
    """The stop flag as a child sees it: set when the parent asks, or when it is gone."""

    def __init__(self, stop: Any, parent: int) -> None:
        self._stop, self._parent = stop, parent

    def is_set(self) -> bool:
        if os.getppid() != self._parent:
            os._exit(1)  # orphaned: send nothing more (the claimed rows stay ``sending``)
        return bool(self._stop.is_set())


def _die_with_parent(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


class ProcessWorkers(Workers):
    """One forked process per SMTP connection (Linux); see the module docstring."""

    def __init__(self, job: FanoutJob, tally: Tally, stop: Any, n: int) -> None:
        super().__init__(job, tally, stop)
        ctx = multiprocessing.get_context("fork")
        self.abort = ctx.Event()
        self._work = ctx.Queue(maxsize=QUEUE_SIZE)
        self._results = ctx.Queue()
        self._child_stop = ctx.Event()
        self._settle_lock = ctx.Lock()
        self._parent = os.getpid()
        self._outcomes: list[tuple[Any, ...]] = []  # a child's outcomes not yet reported
        self._watch: _ParentWatch | None = None  # set in a child
        self._procs = [ctx.Process(target=self._child, name=f"fanout-{i}", daemon=True)
                       for i in range(n)]
        self._collector = threading.Thread(target=self._collect, name="fanout-results",
                                           daemon=True)

    @property
    def count(self) -> int:
        return len(self._procs)

    def start(self) -> None:
        for p in self._procs:
            p.start()
        self._collector.start()

    def _queue(self) -> Any:
        return self._work

    def alive(self) -> bool:
        return any(p.is_alive() for p in self._procs)

    def _join(self, tick: Callable[[], None]) -> None:
        for p in self._procs:
            while p.is_alive():
                p.join(0.25)
                tick()
        self._collector.join()
        # chunks nobody will take (the workers stopped early) must not hold up the exit:
        # their rows are released by the producer
        self._work.cancel_join_thread()

    # -- in the parent -------------------------------------------------------------
    def _collect(self) -> None:
        while True:
            if self.stop.is_set():
                self._child_stop.set()
            dead = [p for p in self._procs if p.exitcode not in (None, 0)]
            if dead and self.failure is None:  # killed from outside: stop the producer
                self.failure = RuntimeError(f"a fan-out worker process ended with exit code "
                                            f"{dead[0].exitcode}")
                self.abort.set()
            try:
                item = self._results.get(timeout=0.1)
            except queue.Empty:
                if self.alive():
                    continue
                try:
                    item = self._results.get(timeout=0.5)  # what the last ones flushed
                except queue.Empty:
                    return
            if item[0] == "error":
                self.failure = self.failure or item[1]
                self.abort.set()
                continue
            for outcome in item:
                self.tally.record(*outcome)

    # -- in a child ----------------------------------------------------------------
    def _child(self) -> None:
        _die_with_parent(self._parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and tells us
        self._watch = _ParentWatch(self._child_stop, self._parent)
        self.job.ledger.engine.dispose(close=False)  # never share the parent's connections
        try:
            channel = self.job.open_channel()
        except BaseException as exc:
            self._results.put(("error", _picklable(exc)))
            self.abort.set()
            return
        try:
            self._serve(channel, self._work, self._watch, self._settle_lock)
        except BaseException as exc:
            self.abort.set()
            self._results.put(("error", _picklable(exc)))
        finally:
            self._flush()
            channel.close()

    def _before_refusal(self) -> None:
        # give a parent that was just killed time to be gone (its children die a moment
        # after it), and exit if it is: a 4xx to a run that died is no recipient's failure
        time.sleep(REFUSAL_GRACE)
        if self._watch is not None:
            self._watch.is_set()

    def _record(self, row: "DeliveryRecord", state: str, error: str | None,
                unreachable: bool = False) -> None:
        self._outcomes.append((row.id, row.recipient, row.item, row.channel, state, error,
                               unreachable))

    def _flush(self) -> None:
        if self._outcomes:  # one report per chunk
            self._results.put(self._outcomes)
            self._outcomes = []
