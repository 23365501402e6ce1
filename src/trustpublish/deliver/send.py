"""``send_with_retries``: the one retry-and-settle policy of every delivery.

Used by the single-delivery path (:mod:`trustpublish.deliver.engine`) and by every
email fan-out worker (:mod:`trustpublish.deliver.workers`). See ``docs/delivery.md``.

Contract, for one delivery already built:

* ``before_try()`` is called before every try; when it returns False the row was
  claimed by someone else and nothing is sent (outcome ``claimed elsewhere``).
* ``channel.publish`` is tried. Success settles ``sent`` with the remote id.
* :class:`~trustpublish.errors.OutcomeUnknown` and any other
  :class:`~trustpublish.errors.TrustpublishError` settle ``unknown`` (never retried
  blindly); :class:`~trustpublish.errors.CredentialsError` settles ``failed`` with
  ``credentials=True`` (the caller stops using the channel).
* A retryable :class:`~trustpublish.errors.DeliveryError` waits (exponential
  backoff with jitter, at least ``Retry-After``) and tries again, up to
  ``run.retry.attempts`` tries in all. A wait longer than ``run.retry.max_wait``
  is not slept: the row is settled ``planned`` with its next attempt time
  (``deferred``), for a later run. ``between_tries(error)`` is called before a sleep.
* A failure to reach the platform is counted by the run's
  :class:`~trustpublish.deliver.breaker.CircuitBreaker`; once the channel's circuit is
  open, the delivery is settled ``planned`` with "waiting: server unreachable since …"
  and a next attempt time ``run.retry.max_backoff`` later (``unreachable=True``), and
  no more tries are made. A delivery whose circuit is already open is neither tried
  nor settled (``unreachable=True``): the caller releases or holds it.
* Any other exception (a bug, an interrupt mid-request) settles ``unknown`` and is
  re-raised.

``settle(outcome)`` is called exactly once per call, except for ``claimed elsewhere``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import (
    CredentialsError,
    DeliveryError,
    OutcomeUnknown,
    RateLimited,
    ThreadBroken,
    TrustpublishError,
)

from .breaker import unreachable, waiting_message

if TYPE_CHECKING:
    from ..channels.base import Channel, Delivery
    from .breaker import CircuitBreaker
    from .settings import RunSettings

__all__ = ["Outcome", "send_with_retries", "CLAIMED_ELSEWHERE"]

CLAIMED_ELSEWHERE = "claimed elsewhere"


@dataclass(frozen=True)
class Outcome:
    """How one delivery ended: ``state`` is the ledger state to settle it in
    (``sent``/``failed``/``unknown``, or ``planned`` when deferred to a later run)."""

    state: str
    remote: str | None = None
    error: str | None = None
    next_attempt_at: dt.datetime | None = None
    credentials: bool = False  # the channel refused our credentials: stop using it
    retryable: bool = False  # a temporary failure (a later run may try again)
    unreachable: bool = False  # the channel's circuit is open: stop using it this run

    @property
    def deferred(self) -> bool:
        return self.state == "planned"


def send_with_retries(channel: "Channel", delivery: "Delivery", *, tries_before: int,
                      settings: "RunSettings", rng: random.Random,
                      sleep: Callable[[float], None], now: dt.datetime,
                      settle: Callable[[Outcome], None],
                      before_try: Callable[[], bool] = lambda: True,
                      between_tries: Callable[[str], None] = lambda error: None,
                      breaker: "CircuitBreaker | None" = None) -> Outcome:
    """Send ``delivery`` on ``channel`` with the retry policy above; returns the outcome.

    ``tries_before`` is the number of tries recorded before this call.
    """
    tries = tries_before
    name = delivery.channel
    hold_until = now + settings.max_backoff
    while True:
        if breaker is not None and breaker.is_open(name):
            return Outcome("planned", error=waiting_message(now, hold_until), retryable=True,
                           next_attempt_at=hold_until, unreachable=True)
        if not before_try():
            return Outcome(CLAIMED_ELSEWHERE)
        tries += 1
        outcome: Outcome
        try:
            result = channel.publish(delivery)
        except ThreadBroken as exc:  # the live parts are kept; a later run resumes
            from ..channels.base import thread_progress_text

            outcome = Outcome("partial", remote=thread_progress_text(exc.live), error=exc.message)
        except OutcomeUnknown as exc:
            outcome = Outcome("unknown", error=exc.message)
        except CredentialsError as exc:
            outcome = Outcome("failed", error=exc.message, credentials=True)
        except DeliveryError as exc:
            if breaker is not None and exc.retryable and unreachable(exc):
                if breaker.failed(name):
                    outcome = Outcome("planned", error=waiting_message(now, hold_until),
                                      retryable=True, next_attempt_at=hold_until,
                                      unreachable=True)
                    settle(outcome)
                    return outcome
            if not exc.retryable or tries >= settings.attempts:
                outcome = Outcome("failed", error=exc.message)
            else:
                wait = settings.delay(tries, rng)
                if isinstance(exc, RateLimited):
                    wait = max(wait, exc.retry_after)
                if wait <= settings.max_wait.total_seconds():
                    between_tries(exc.message)
                    sleep(wait)
                    continue
                outcome = Outcome("planned", error=exc.message, retryable=True,
                                  next_attempt_at=now + dt.timedelta(seconds=wait))
        except TrustpublishError as exc:
            outcome = Outcome("unknown", error=exc.message)
        except BaseException as exc:
            # A bug or an interrupt mid-request: we cannot know; never retried blindly.
            settle(Outcome("unknown", error=f"{type(exc).__name__}: {exc}"))
            raise
        else:
            outcome = Outcome("sent", remote=result.display())
            if breaker is not None:
                breaker.succeeded(name)
        settle(outcome)
        return outcome
