"""The plan a build shares: planned once, used by the email previews and the preview site.

:func:`build_plan` asks the delivery engine for the plan of the coming ``days`` from
``now`` and keeps it on the project for the rest of the command, so the builders see
the same plan and the timetable is not planned twice. The preview site needs
:data:`~trustpublish.render.preview.PREVIEW_DAYS`; the email preview looks in that
plan first and plans the whole :data:`HORIZON` only for a channel with no issue in it
(the plan of a shorter window is the start of a longer one: slots take excerpts in
time order).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..plan.planner import PlannedDelivery
    from ..workspace.project import Project

__all__ = ["HORIZON_DAYS", "build_plan"]

#: how far ahead the email preview looks for a channel's next issue
HORIZON_DAYS = 366


def build_plan(project: "Project", now: dt.datetime, days: int) -> list["PlannedDelivery"]:
    """The planned deliveries in [now, now + days), planned once per command."""
    key = ("build-plan", now, days)
    if key not in project.memo:
        from ..deliver.engine import DeliveryEngine, open_state

        engine = DeliveryEngine(project, open_state(project))
        project.memo[key] = engine.plan(now, now + dt.timedelta(days=days), now)
    planned: list[PlannedDelivery] = project.memo[key]
    return planned
