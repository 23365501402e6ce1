"""Recovery of deliveries an interrupted run left in ``sending``.

Contract (``docs/delivery.md``, "Claims and recovery"): a row left ``sending`` goes
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

__all__ = ["recover_interrupted", "repeat_is_safe"]


def repeat_is_safe(row: DeliveryRecord, options: Mapping[str, Any]) -> bool:
    """True when sending ``row`` a second time cannot surprise anyone (see above)."""
    from ..channels.registry import channel_class

    try:
        cls = channel_class(str(options.get("type", "")))
    except ConfigError:
        return False
    return cls.kind == "digest" or cls.idempotent or not cls.credentials_present(row.channel)


def recover_interrupted(ledger: Ledger, channels: Mapping[str, Mapping[str, Any]],
                        now: dt.datetime, report: RunReport) -> None:
    """Settle every ``sending`` row as described in the module docstring."""
    for row in ledger.deliveries(states=["sending"]):
        if repeat_is_safe(row, channels.get(row.channel, {})):
            ledger.set_state(row.id, "planned", now=now, only_from=["sending"],
                             error="an earlier run stopped while sending; sending again")
            continue
        ledger.set_state(row.id, "unknown", now=now, only_from=["sending"],
                         error="the run stopped while sending; check the channel, then "
                               f"`trustpublish resolve {row.id} --sent` or `--not-sent`")
        report.counts["unknown"] += 1
        report.lines.append(f"unknown #{row.id} {row.item} to {row.channel}: interrupted "
                            "while sending")
