"""Recovery of deliveries an interrupted run left in ``sending``.

Contract (``docs/delivery.md``, "Claims and recovery"): only rows whose claiming run
is dead (:func:`trustpublish.deliver.runs.dead_owners`) are touched; a live run's
``sending`` rows are never taken from it. Each change is a compare-and-set on
``sending`` and the dead owner. A row left ``sending`` goes
back to ``planned`` (sent again) when a repeat is harmless or bounded: digest
(email) channels, where a repeat is at most one message per open connection;
idempotent channels, where the platform drops a repeated key; and channels without
credentials, whose outbox overwrites one file. Any other row becomes ``unknown``
and is never retried blindly (``trustpublish resolve ID --sent|--not-sent``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .ledger import DeliveryRecord, Ledger
from .report import RunReport

__all__ = ["recover_interrupted", "repeat_is_safe", "resume_partial_threads"]


def repeat_is_safe(row: DeliveryRecord, options: Mapping[str, Any]) -> bool:
    """True when sending ``row`` a second time cannot surprise anyone (see above)."""
    from ..channels.registry import channel_class

    try:
        cls = channel_class(str(options.get("type", "")))
    except ConfigError:
        return False
    return cls.kind == "digest" or cls.idempotent or not cls.credentials_present(row.channel)


def recover_interrupted(ledger: Ledger, channels: Mapping[str, Mapping[str, Any]],
                        now: dt.datetime, report: RunReport) -> int:
    """Settle the ``sending`` rows of dead runs as described in the module docstring;
    returns how many went back to ``planned``."""
    from .runs import dead_owners

    stuck = ledger.deliveries(states=["sending"])
    if not stuck:
        return 0
    dead = dead_owners(ledger.engine, {row.claimed_by for row in stuck})
    again = 0
    for row in stuck:
        if (row.claimed_by or None) not in dead:
            continue
        if repeat_is_safe(row, channels.get(row.channel, {})):
            if ledger.set_state(row.id, "planned", now=now, only_from=["sending"],
                                owner=row.claimed_by,
                                error="an earlier run stopped while sending; sending again"):
                again += 1
            continue
        if not ledger.set_state(row.id, "unknown", now=now, only_from=["sending"],
                                owner=row.claimed_by,
                                error="the run stopped while sending; check the channel, then "
                                      f"`trustpublish resolve {row.id} --sent` or `--not-sent`"):
            continue
        report.counts["unknown"] += 1
        report.lines.append(f"unknown #{row.id} {row.item} to {row.channel}: interrupted "
                            "while sending")
    return again


def resume_partial_threads(ledger: Ledger, now: dt.datetime) -> int:
    """Threads that broke partway go back to ``planned``, keeping their live parts in
    ``remote``: the adapter resumes at the first missing part. Returns how many."""
    resumed = 0
    for row in ledger.deliveries(states=["partial"]):
        resumed += ledger.set_state(row.id, "planned", now=now, only_from=["partial"],
                                    error=f"resuming a thread: {row.error or ''}")
    return resumed
