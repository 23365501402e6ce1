"""The plan a build shares: planned once, used by the email previews and the preview site.

:func:`build_plan` asks the delivery engine for the plan of the coming ``days`` from
``now`` and keeps it on the project for the rest of the command, so the builders see
the same plan and the timetable is not planned twice. The preview site needs
:data:`~trustpublish.render.preview.PREVIEW_DAYS`; the email preview looks in that
plan first and plans the whole :data:`HORIZON` only for a channel with no issue in it
(the plan of a shorter window is the start of a longer one: slots take excerpts in
time order).

Between builds the plan is remembered (in the content cache's output records) under
the key of everything it is made from: the time, the window, schedule.yaml, the
channels' kinds, the planner's queue as far as the plans read it (excerpt ids, slug,
``publish_after``, ``channels`` and holds of its first candidates: the planner reads
each channel's queue only until its slots are filled, so the posts behind do not
count, see :func:`~trustpublish.workspace.queue_cache.queue_head`), the local state
database's stamp (size and modification time: a read leaves them alone, a delivery
changes them) and the code that plans. A build whose plan inputs are unchanged (a
post's text edited, say) does not open the state database, and a build before the
local database exists (nothing ever sent) plans with an empty record without creating
it. A server database (``state.url``) is always asked. The plans a build made are
recorded at its end (:func:`record_plans`), with the database's stamp as the build
leaves it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..plan.planner import PlannedDelivery
    from ..workspace.project import Project

__all__ = ["HORIZON_DAYS", "build_plan", "record_plans"]

#: how far ahead the email preview looks for a channel's next issue
HORIZON_DAYS = 366


def build_plan(project: "Project", now: dt.datetime, days: int) -> list["PlannedDelivery"]:
    """The planned deliveries in [now, now + days), planned once per command."""
    key = ("build-plan", now, days)
    if key not in project.memo:
        name = f"plan:{days}"
        remembered = _remembered(project, name, now, days)
        if remembered is None:
            remembered = _plan(project, now, days)
            project.memo.setdefault("plans-made", []).append((now, days))
        project.memo[key] = remembered
    planned: list[PlannedDelivery] = project.memo[key]
    return planned


def _plan(project: "Project", now: dt.datetime, days: int) -> list["PlannedDelivery"]:
    """Plan now: with the state database's record, or, when the local database does not
    exist yet (nothing was ever sent or recorded), with an empty record and without
    creating it (a build only reads the delivery state)."""
    from .outputs import local_database

    end = now + dt.timedelta(days=days)
    db_file = local_database(project)
    if db_file is not None and not db_file.exists():
        from ..plan.planner import plan_window
        from ..plan.timetable import parse_timetable
        from ..workspace.queue_cache import load_candidates

        config = project.config
        entries = parse_timetable(config.timetable, list(config.channels))
        return plan_window(entries, config.zone, load_candidates(project), config.channels, (),
                           kinds=project.channel_kinds(), start=now, end=end, now=now)
    from ..deliver.engine import DeliveryEngine, open_state

    db = open_state(project)
    try:
        return DeliveryEngine(project, db).plan(now, end, now)
    finally:
        # Close it now: SQLite writes its log back into the file when the last
        # connection closes, so the stamp recorded at the end of the build is the
        # one the next build sees (not the one before the process exits).
        db.dispose()


def record_plans(project: "Project") -> None:
    """Remember the plans this command made, under their inputs as they are now (call it
    when the command is done with the database: opening it may have written to it)."""
    from ..workspace.queue_cache import load_candidates

    queue = load_candidates(project)
    reach = (queue.made, queue.exhausted)  # as far as this command's plans read the queue
    for now, days in project.memo.pop("plans-made", []):
        key = _input_key(project, now, days, reach)
        if key is not None:
            project.index.set_output(f"plan:{days}", {
                "key": key, "reach": list(reach),
                "plan": _rows(project.memo[("build-plan", now, days)])})


@lru_cache(maxsize=1)
def _code() -> str:
    """Key (:func:`~trustpublish.files.code_key`) of the code the plan comes from (the
    planner, the timetable, the engine)."""
    from pathlib import Path

    from ..files import code_key

    package = Path(__file__).resolve().parent.parent
    return code_key([*(package / "plan").glob("*.py"), *(package / "deliver").glob("*.py"),
                     package / "workspace" / "queue_cache.py"])


def _input_key(project: "Project", now: dt.datetime, days: int,
               reach: tuple[int, bool]) -> str | None:
    import hashlib
    import json

    from ..workspace.queue_cache import queue_head
    from .outputs import ledger_stamp

    ledger = ledger_stamp(project)
    if ledger is None:
        return None
    queue = [queue_head(project, reach), reach[1]]
    data = [_code(), now.isoformat(), days, project.config.raw, project.channel_kinds(), queue,
            ledger]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False,
                      default=lambda v: v.isoformat() if hasattr(v, "isoformat") else repr(v))
    return hashlib.sha256(text.encode()).hexdigest()


def _rows(planned: list["PlannedDelivery"]) -> list[list[Any]]:
    return [[p.when.isoformat(), p.channel, p.item, p.state, list(p.excerpts), p.entry,
             p.issue_number, p.local is not None] for p in planned]


def _remembered(project: "Project", name: str, now: dt.datetime, days: int
                ) -> list["PlannedDelivery"] | None:
    """The plan recorded as ``name`` if its inputs are unchanged, else None. ``when`` is
    UTC and ``local`` the same instant in the site's zone, as the timetable makes them."""
    from ..plan.planner import PlannedDelivery

    index = project.index
    index.use_output(name)
    stored = index.outputs.get(name)
    if not isinstance(stored, dict):
        return None
    reach = stored.get("reach")
    if not (isinstance(reach, list) and len(reach) == 2 and isinstance(reach[0], int)
            and isinstance(reach[1], bool) and reach[0] >= 0):
        return None
    key = _input_key(project, now, days, (reach[0], reach[1]))
    if key is None or stored.get("key") != key:
        return None
    zone = project.config.zone
    planned = []
    try:
        for when_text, channel, item, state, excerpts, entry, number, has_local in stored["plan"]:
            when = dt.datetime.fromisoformat(when_text).astimezone(dt.timezone.utc)
            planned.append(PlannedDelivery(when, channel, item, state, tuple(excerpts), entry,
                                           number, when.astimezone(zone) if has_local else None))
    except (KeyError, TypeError, ValueError):
        return None  # a damaged record: plan again
    return planned
