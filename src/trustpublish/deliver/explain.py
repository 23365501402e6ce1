"""Why each delivery waits: what ``status`` shows for every row not settled yet.

Contract (``docs/delivery.md``, "Reading status"): every ``planned``, ``sending``,
``failed`` and ``unknown`` delivery is explained as *why* it waits, *until when*
(its next attempt time, if any) and *what the user can do*. The suggested commands
are only ones that accept that delivery in its state: ``retry`` for ``failed``,
``resolve`` for ``unknown`` (and for ``sending`` rows whose run is gone), ``run
--once`` for due rows. Rows with the same explanation are grouped (a digest's
thousands of recipients make one line). Reads only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .ledger import DeliveryRecord, Ledger, iso
from .runs import dead_owners, describe_owner
from .settings import RunSettings

__all__ = ["Waiting", "explain"]


@dataclass(frozen=True)
class Waiting:
    """One group of deliveries that wait for the same reason."""

    state: str
    channel: str
    item: str
    ids: tuple[int, ...]
    why: str
    until: dt.datetime | None
    action: str

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "channel": self.channel, "item": self.item,
                "count": len(self.ids), "ids": list(self.ids[:50]), "why": self.why,
                "until": iso(self.until) if self.until else None, "action": self.action}


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _planned(row: DeliveryRecord, settings: RunSettings,
             now: dt.datetime) -> tuple[str, dt.datetime | None, str]:
    until = row.next_attempt_at if row.next_attempt_at and row.next_attempt_at > now else None
    error = row.error or ""
    if error.startswith("waiting: server unreachable") and until is None:
        return (error.split(";", 1)[0].removeprefix("waiting: ") + "; due again now", None,
                "`trustpublish run --once` tries again (or the running scheduler within a "
                "minute)")
    if error.startswith("waiting: server unreachable"):
        why = error.split(";", 1)[0].removeprefix("waiting: ")
        return (f"{why} (the run stopped trying this channel)", until,
                "nothing: the first `trustpublish run --once` (or the running scheduler) after "
                "that time tries again; check that the server is up")
    if until is not None:
        tries = f" (tries so far: {row.attempts} of {settings.attempts})"
        return (f"a temporary failure: {error or 'retry later'}{tries}", until,
                "nothing: the first run after that time tries again")
    if error:
        return (error, None, "`trustpublish run --once` sends it (or the running scheduler "
                "within a minute)")
    return ("due, not sent yet", None, "`trustpublish run --once` sends it (or the running "
            "scheduler within a minute)")


def explain(ledger: Ledger, settings: RunSettings, now: dt.datetime) -> list[Waiting]:
    """Every unsettled delivery, grouped by channel, item and explanation."""
    rows = ledger.deliveries(states=["planned", "sending", "failed", "unknown"])
    owners = {r.claimed_by for r in rows if r.state == "sending"}
    dead = dead_owners(ledger.engine, owners) if owners else set()
    live = {o: describe_owner(ledger.engine, o) for o in owners if o not in dead}
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        until: dt.datetime | None = None
        if row.state == "planned":
            why, until, action = _planned(row, settings, now)
        elif row.state == "sending" and row.claimed_by in live:
            why = f"being sent now by {live[row.claimed_by] or 'another run'}"
            action = "nothing: wait for that run to finish"
        elif row.state == "sending":
            why = "the run that was sending it stopped"
            action = ("`trustpublish run --once` sends it again, or marks it unknown when a "
                      "repeat could surprise someone; `trustpublish resolve ID --sent` if you "
                      "know it arrived")
        elif row.state == "failed":
            why = row.error or "refused"
            action = "`trustpublish retry ID` plans it again once the cause is fixed"
        else:
            why = row.error or "the outcome is unknown"
            action = ("check the channel, then `trustpublish resolve ID --sent` or "
                      "`--not-sent` (which sends it again)")
        if row.recipient:  # one line per reason for a digest, not per subscriber
            why = why.replace(f" for {row.recipient}", "")
        key = (row.state, row.channel, row.item, why, until, action)
        groups.setdefault(key, []).append(row.id)
    out = []
    for (state, channel, item, why, until, action), ids in groups.items():
        if "ID" in action:
            action = action.replace("ID", _ids(ids) if len(ids) > 1 else str(ids[0]))
        out.append(Waiting(state, channel, item, tuple(ids), why, until, action))
    return out
