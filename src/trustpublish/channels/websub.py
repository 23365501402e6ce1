"""The WebSub publish ping: tell the hub a feed changed. Never fatal to the build.

The de-facto publisher contract (W3C WebSub leaves it to the hub; every public hub
— Google's PubSubHubbub, Superfeedr, WebSubHub — accepts it): an HTTP ``POST`` to the
hub with the form body ``hub.mode=publish&hub.url=<feed URL>``, one request per
feed URL. A ``2xx`` answer is success.

Failures are reported, not raised: a connection error, a timeout, ``429`` or a
``5xx`` answer is retried (``attempts`` times in all, waiting ``backoff``, then
twice that, ... or the hub's ``Retry-After`` when it is shorter than
``max_wait``); any other ``4xx`` is reported at once. Once a hub has failed every
attempt for one feed, the remaining feeds of the same build get one try each, so a
dead hub delays a build by seconds, not minutes. Each topic's outcome is
returned as a :class:`PingResult` and failures are logged as warnings on the
``trustpublish.render.feeds`` logger. This is the one module outside the channel adapters
that uses the network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import requests

__all__ = ["PingResult", "ping"]

log = logging.getLogger("trustpublish.render.feeds")

USER_AGENT = "trustpublish-websub/1"


@dataclass(frozen=True)
class PingResult:
    """How the ping of one feed URL went."""

    hub: str
    topic: str
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"WebSub hub {self.hub} notified of {self.topic}"
        why = f"HTTP {self.status}" if self.status else (self.error or "no answer")
        return (f"WebSub hub {self.hub} was not notified of {self.topic} ({why}, "
                f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}); "
                "the feeds were still written — readers will pick them up on their next poll")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return float(value)
    except ValueError:
        return None


def _ping_one(session: requests.Session, hub: str, topic: str, *, timeout: float,
              attempts: int, backoff: float, max_wait: float,
              sleep: Callable[[float], None]) -> PingResult:
    status: int | None = None
    error: str | None = None
    for attempt in range(1, attempts + 1):
        wait = backoff * (2 ** (attempt - 1))
        try:
            response = session.post(hub, data={"hub.mode": "publish", "hub.url": topic},
                                    timeout=timeout, headers={"User-Agent": USER_AGENT})
        except requests.RequestException as exc:
            status, error = None, type(exc).__name__
        else:
            status, error = response.status_code, None
            if 200 <= status < 300:
                return PingResult(hub, topic, True, attempt, status)
            if status != 429 and status < 500:
                return PingResult(hub, topic, False, attempt, status)
            asked = _retry_after(response)
            if asked is not None and 0 <= asked <= max_wait:
                wait = asked
        if attempt < attempts:
            sleep(wait)
    return PingResult(hub, topic, False, attempts, status, error)


def ping(hub: str, topics: Iterable[str], *, timeout: float = 10.0, attempts: int = 3,
         backoff: float = 0.5, max_wait: float = 30.0,
         sleep: Callable[[float], None] = time.sleep) -> list[PingResult]:
    """POST ``hub.mode=publish`` for each topic URL; never raises for network trouble."""
    results: list[PingResult] = []
    tries = max(1, attempts)
    with requests.Session() as session:
        for topic in topics:
            result = _ping_one(session, hub, topic, timeout=timeout, attempts=tries,
                               backoff=backoff, max_wait=max_wait, sleep=sleep)
            if not result.ok:
                log.warning(result.describe())
                if result.attempts > 1:
                    tries = 1  # the hub is down: one try each for the other feeds, no waiting
            results.append(result)
    return results
