"""The plan with recorded state: what ``plan``, ``status`` and the previews show.

Contract: timetable slots expanded in the site's zone, items assigned by
:func:`trustpublish.plan.planner.plan`, and each slot the ledger already recorded
shown with the summary state of its deliveries (worst first). Reads only; see
``docs/delivery.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..plan.planner import PlannedDelivery, Recorded, plan_window
from ..plan.timetable import Entry, Slot, expand
from .ledger import Ledger, SlotRecord

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["recorded", "slots_between", "plan_with_state", "SUMMARY_ORDER"]

#: delivery states of one slot, worst first: the slot shows the first one present
SUMMARY_ORDER = ("unknown", "failed", "partial", "sending", "planned", "missed", "skipped",
                 "sent")


def _slot_state(slot: SlotRecord) -> str:
    return slot.state if slot.state != "assigned" else "planned"


def recorded(ledger: Ledger) -> list[Recorded]:
    """Every slot the ledger recorded, as the planner sees it."""
    return [Recorded(s.channel, s.when, s.item, s.excerpts, _slot_state(s), s.issue_number)
            for s in ledger.slots()]


def slots_between(project: "Project", entries: list[Entry], start: dt.datetime,
                  end: dt.datetime) -> list[Slot]:
    return expand(entries, project.config.zone, start, end)


def plan_with_state(project: "Project", ledger: Ledger, entries: list[Entry],
                    start: dt.datetime, end: dt.datetime,
                    now: dt.datetime) -> list[PlannedDelivery]:
    """What each slot in [start, end) sends; recorded slots show their delivery state."""
    from ..workspace.queue_cache import load_candidates

    queue = load_candidates(project)
    states = {key: min(found, key=SUMMARY_ORDER.index)
              for key, found in ledger.slot_states().items()}
    done = [Recorded(r.channel, r.when, r.item, r.excerpts,
                     states.get((r.channel, r.when), r.state), r.issue_number)
            for r in recorded(ledger)]
    return plan_window(entries, project.config.zone, queue, project.config.channels, done,
                       kinds=project.channel_kinds(), start=start, end=end, now=now)
