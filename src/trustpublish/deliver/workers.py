"""Worker processes for :class:`~trustpublish.deliver.fanout.Fanout`: one per SMTP connection.

Contract: the producer (the calling process) hands chunks of claimed rows through a
``multiprocessing`` queue to ``n`` forked children. Each child opens its own SMTP
connection and its own database connection and runs the same send-and-settle loop
as a worker thread (every message settled in its own commit before the next one
is sent; SQLite commits take turns on a lock shared by the children). After each
chunk the child reports the outcomes to the parent, whose collector thread keeps
the summary, the progress count and the set of unsettled rows.

A child stops between messages when the parent asks (stop requested, credentials
refused) and dies with the parent: ``PR_SET_PDEATHSIG`` on Linux, and a check of
``os.getppid()`` before every message, so a killed run never keeps sending. A refusal
(anything but ``sent``) is recorded only after a short grace confirming the parent
lives, so a reply to a killed run is not recorded as the recipient's failure.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fanout import Fanout

__all__ = ["can_fork", "start_processes"]

_PR_SET_PDEATHSIG = 1
#: seconds a child waits before recording a refusal (see :func:`confirm_parent`)
REFUSAL_GRACE = 0.02


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _die_with_parent(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _ParentWatch:
    """``engine.stop`` for a child: set when the parent asks, or when the parent is gone."""

    def __init__(self, stop: Any, parent: int) -> None:
        self.stop, self.parent = stop, parent

    def is_set(self) -> bool:
        if os.getppid() != self.parent:
            os._exit(1)  # orphaned: send nothing more (the claimed rows stay ``sending``)
        return bool(self.stop.is_set())

    def set(self) -> None:
        self.stop.set()


def confirm_parent(watch: Any) -> None:
    """Before a child records a refusal: give a parent that was just killed time to be
    gone (its children die a moment after it), and exit if it is. A server that answers
    4xx to a run that died must not turn the message into a failure."""
    time.sleep(REFUSAL_GRACE)
    watch.is_set()


def _child(fanout: "Fanout", work: Any, results: Any, stop: Any, parent: int) -> None:
    from ..channels.registry import open_channel

    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and tells us
    engine = fanout.engine
    engine.stop = _ParentWatch(stop, parent)
    engine.ledger.engine.dispose(close=False)  # never share the parent's connections
    fanout._results = results
    try:
        channel = open_channel(fanout.slot.channel, fanout.options, root=engine.project.root,
                               outbox_dir=engine.project.outbox_dir)
    except BaseException as exc:
        results.put(("error", _picklable(exc)))
        fanout.abort.set()
        return
    fanout._worker(channel, work)
    if fanout.failure is not None:
        results.put(("error", _picklable(fanout.failure)))


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def start_processes(fanout: "Fanout", n: int) -> tuple[Any, list[Any], threading.Thread]:
    """Fork ``n`` workers; returns (work queue, processes, collector thread)."""
    from .fanout import BATCH, CHUNK

    ctx = multiprocessing.get_context("fork")
    work = ctx.Queue(maxsize=2 * BATCH // CHUNK)
    results = ctx.Queue()
    stop = ctx.Event()
    fanout.abort = ctx.Event()
    fanout._settle_lock = ctx.Lock()
    parent = os.getpid()
    procs = [ctx.Process(target=_child, args=(fanout, work, results, stop, parent),
                         name=f"fanout-{i}", daemon=True) for i in range(n)]
    for p in procs:
        p.start()

    def collect() -> None:
        while True:
            if fanout.engine.stop.is_set():
                stop.set()
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead and fanout.failure is None:  # killed from outside: stop the producer
                fanout.failure = RuntimeError(f"a fan-out worker process ended with exit code "
                                              f"{dead[0].exitcode}")
                fanout.abort.set()
            try:
                item = results.get(timeout=0.1)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    try:
                        item = results.get(timeout=0.5)  # what the last ones flushed
                    except queue.Empty:
                        return
                else:
                    continue
            if item[0] == "error":
                fanout.failure = fanout.failure or item[1]
                fanout.abort.set()
                continue
            for row_id, recipient, row_item, channel, state, error in item:
                fanout._account_one(SimpleNamespace(id=row_id, recipient=recipient,
                                                    item=row_item, channel=channel), state, error)

    collector = threading.Thread(target=collect, name="fanout-results", daemon=True)
    collector.start()
    return work, procs, collector
