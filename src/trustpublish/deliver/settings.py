"""Run settings: the ``run`` section of schedule.yaml and a channel's ``connections``.

Contract: read once per run from the already validated config; pure (no I/O). The
delivery rules they tune are described in ``docs/delivery.md``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..plan.timetable import parse_duration

__all__ = ["RunSettings", "connections_of", "DEFAULT_CONNECTIONS"]

#: SMTP connections of an email channel when ``connections`` is not set
DEFAULT_CONNECTIONS = 3


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


def connections_of(options: Mapping[str, Any], channel: str) -> int:
    """The ``connections`` option of an email channel (1 to 32, default 3)."""
    value = options.get("connections", DEFAULT_CONNECTIONS)
    try:
        n = int(value)
        if not 1 <= n <= 32:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError("connections must be a whole number from 1 to 32",
                          key_path=f"channels.{channel}.connections") from None
    return n
