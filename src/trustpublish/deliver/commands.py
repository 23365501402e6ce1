"""The user's hand on single deliveries: ``publish`` (record), ``retry`` and ``resolve``.

Contract (``docs/delivery.md``, "States"): ``publish`` records an excerpt as a slot of
its own (entry ``publish``) before it is attempted, and refuses a second publish of
the same pair with what happened the first time; ``retry`` moves a ``failed`` row
back to ``planned``; ``resolve`` settles an ``unknown`` (or stuck ``sending``) row as
``sent``, or as ``planned`` to send it again. Every change is a compare-and-set on
the state the row was read in.
"""

from __future__ import annotations

import datetime as dt

from ..errors import StateError, TrustpublishError
from .ledger import DeliveryRecord, Ledger, delivery_key

__all__ = ["record_publish", "retry", "resolve"]


def record_publish(ledger: Ledger, excerpt_id: str, channel: str, now: dt.datetime) -> int:
    """Record ``excerpt_id`` → ``channel`` as a slot of its own; returns its slot id."""
    earlier = ledger.by_key(delivery_key(channel, excerpt_id))
    if earlier is not None:
        raise StateError(
            f"{excerpt_id} already has a delivery to {channel}: #{earlier.id}, "
            f"{earlier.state}" + (f" ({earlier.remote})" if earlier.remote else ""),
            hint="`trustpublish history` shows it; use `retry` for a failed one or "
                 "`resolve` for an unknown one")
    return ledger.record_slot(channel=channel, when=now, entry="publish", item=excerpt_id,
                              excerpts=(excerpt_id,), issue_number=None, state="assigned",
                              now=now, recipients=[None])


def retry(ledger: Ledger, delivery_id: int, now: dt.datetime) -> DeliveryRecord:
    row = ledger.get(delivery_id)
    if row.state == "unknown":
        raise TrustpublishError(f"delivery {delivery_id} has an unknown outcome",
                                hint=f"check {row.channel}, then `trustpublish resolve "
                                     f"{delivery_id} --sent` or `--not-sent` (which sends it "
                                     "again)")
    if row.state != "failed":
        raise TrustpublishError(f"delivery {delivery_id} is {row.state}; only failed ones are "
                                "retried")
    ledger.set_state(delivery_id, "planned", now=now, only_from=["failed"])
    return ledger.get(delivery_id)


def resolve(ledger: Ledger, delivery_id: int, sent: bool, now: dt.datetime) -> DeliveryRecord:
    row = ledger.get(delivery_id)
    if row.state not in ("unknown", "sending"):
        raise TrustpublishError(f"delivery {delivery_id} is {row.state}, not unknown",
                                hint="resolve is for deliveries whose outcome is unknown")
    if row.state == "sending":
        from .runs import describe_owner

        holder = describe_owner(ledger.engine, row.claimed_by)
        if holder is not None:
            raise TrustpublishError(f"delivery {delivery_id} is being sent right now by "
                                    f"{holder}",
                                    hint="wait for that run to finish; `trustpublish status` "
                                         "shows how it ended")
    owner = row.claimed_by if row.state == "sending" else None
    if sent:
        ledger.set_state(delivery_id, "sent", now=now, remote=row.remote or "resolved by hand",
                         error=None, only_from=[row.state], owner=owner)
    else:
        ledger.set_state(delivery_id, "planned", now=now, error="resolved: not sent",
                         only_from=[row.state], owner=owner)
    return ledger.get(delivery_id)
