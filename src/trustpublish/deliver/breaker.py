"""The circuit breaker: a platform that cannot be reached is not hammered.

Contract (``docs/delivery.md``, "When a platform is down"): one breaker per run,
counting per channel the *consecutive* failures to reach the platform (a refused,
reset or timed-out connection: an ``OSError`` behind the
:class:`~trustpublish.errors.DeliveryError`). At :data:`THRESHOLD` of them the
channel's circuit opens: the delivery being tried is settled ``planned`` with
"waiting: server unreachable since …" and a next attempt time, the run stops trying
that channel, and the channel's other due rows are held the same way
(:meth:`~trustpublish.deliver.ledger.Ledger.hold_planned`). A later run after that
time resumes them by itself. A success closes the count again. Thread-safe; each
forked fan-out worker keeps its own copy and stops the others through the fan-out's
``abort``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

__all__ = ["CircuitBreaker", "THRESHOLD", "unreachable", "waiting_message"]

#: consecutive connection failures that open a channel's circuit
THRESHOLD = 3


def unreachable(exc: BaseException) -> bool:
    """True when ``exc`` (a DeliveryError) comes from failing to reach the platform."""
    seen = 0
    cause = exc.__cause__ or exc.__context__
    while cause is not None and seen < 6:
        if isinstance(cause, OSError):
            return True
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return False


def waiting_message(since: dt.datetime, until: dt.datetime) -> str:
    def stamp(value: dt.datetime) -> str:
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

    return (f"waiting: server unreachable since {stamp(since)}; next attempt after "
            f"{stamp(until)}")


class CircuitBreaker:
    """Per channel: consecutive connection failures, and whether the circuit is open."""

    def __init__(self, threshold: int = THRESHOLD) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._streak: Counter[str] = Counter()
        self._open: set[str] = set()

    def failed(self, channel: str) -> bool:
        """Count one connection failure; True when the circuit is (now) open."""
        with self._lock:
            self._streak[channel] += 1
            if self._streak[channel] >= self.threshold:
                self._open.add(channel)
            return channel in self._open

    def open(self, channel: str) -> None:
        """Open the channel's circuit (a forked worker opened its own copy)."""
        with self._lock:
            self._open.add(channel)

    def succeeded(self, channel: str) -> None:
        with self._lock:
            self._streak[channel] = 0

    def is_open(self, channel: str) -> bool:
        with self._lock:
            return channel in self._open
