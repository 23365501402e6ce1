"""``trustpublish run``: APScheduler 3.x keeps the process awake at the right moments.

APScheduler is only the alarm clock; the ledger decides what is due (each wake-up
runs :meth:`~trustpublish.deliver.engine.DeliveryEngine.run_once`, which is idempotent).
Jobs live in APScheduler's SQLAlchemy job store in the state database: one per
timetable entry (CronTrigger / DateTrigger in the site's timezone) plus a one-minute
sweep that catches retries and the DST-shifted slots. ``coalesce=True``,
``max_instances=1`` and ``misfire_grace_time`` = ``run.grace``. SIGTERM and Ctrl-C stop
the scheduler cleanly: the delivery in flight is settled, the rest waits for the
next run.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["run_forever", "wake"]

_STOP = threading.Event()
_ECHO: list[Callable[[str], None]] = []
_CLOCK: list[Callable[[], dt.datetime]] = []  # set by run_forever: the CLI's clock
_AFTER: list[Callable[[Any], Callable[[dt.datetime, Any], None] | None]] = []  # hook factory
_BEFORE: list[Callable[[], None]] = []  # set by run_forever: e.g. syncing the sources


def wake(config_path: str) -> None:
    """Job function (referenced by name in the job store): do what is due now."""
    from ..workspace.project import Project
    from .engine import DeliveryEngine, open_state

    if _STOP.is_set():
        return
    for hook in _BEFORE:
        try:
            hook()
        except Exception as exc:  # noqa: BLE001 - a hook never stops the delivery round
            for echo in _ECHO:
                echo(f"before the round: {type(exc).__name__}: {exc}")
    project = Project.load(__import__("pathlib").Path(config_path))
    after = _AFTER[0](project) if _AFTER else None
    engine = DeliveryEngine(project, open_state(project), stop=_STOP, after_round=after)
    report = engine.run_once(_CLOCK[0]())
    for echo in _ECHO:
        for line in report.lines:
            echo(line)


def run_forever(project: "Project", *, clock: Callable[[], dt.datetime],
                echo: Callable[[str], None] = print,
                after_round: Callable[[Any], Any] | None = None,
                before_round: Callable[[], None] | None = None) -> None:
    """Block until SIGTERM/SIGINT; wake at every slot and every minute. ``clock`` gives "now".

    ``after_round(project)`` makes the engine's ``after_round`` hook for each wake-up;
    ``before_round`` (e.g. syncing the sources) runs at each wake-up before the
    deliveries; its errors are printed, never raised.
    """
    from apscheduler.events import EVENT_SCHEDULER_START
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    from ..plan.timetable import cron_trigger, parse_timetable, resolve_wall_time
    from .engine import RunSettings, open_state

    config = project.config
    settings = RunSettings.from_raw(config.raw)
    db = open_state(project)
    _ECHO[:] = [echo]
    _CLOCK[:] = [clock]
    _AFTER[:] = [after_round] if after_round else []
    _BEFORE[:] = [before_round] if before_round else []
    _STOP.clear()
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db, tablename="tp_apscheduler_jobs")},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(settings.grace.total_seconds())},
        timezone=config.zone,
    )
    args = [str(config.path)]
    scheduler.add_job("trustpublish.deliver.scheduler:wake", IntervalTrigger(minutes=1, timezone=config.zone),
                      args=args, id="sweep", replace_existing=True, next_run_time=clock())
    wanted = {"sweep"}
    for entry in parse_timetable(config.timetable, list(config.channels)):
        triggers: list[Any] = []
        if entry.kind == "cron":
            triggers.append(cron_trigger(entry.spec[0], config.zone))
        elif entry.kind == "weekly":
            for slot in entry.spec:
                day, hhmm = slot.split()
                hour, minute = hhmm.split(":")
                triggers.append(cron_trigger(f"{int(minute)} {int(hour)} * * {day.lower()}", config.zone))
        else:
            for text in entry.spec:
                when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
                when = when if when.tzinfo else resolve_wall_time(when, config.zone)
                triggers.append(DateTrigger(when))
        for n, trigger in enumerate(triggers):
            job_id = f"timetable:{entry.name}:{n}"
            wanted.add(job_id)
            scheduler.add_job("trustpublish.deliver.scheduler:wake", trigger, args=args, id=job_id,
                              replace_existing=True)

    def remove_stale(_event: Any = None) -> None:
        for job in scheduler.get_jobs(jobstore="default"):
            if job.id not in wanted:
                job.remove()

    def stop(signum: int, _frame: Any) -> None:
        echo(f"Received {signal.Signals(signum).name}: finishing the delivery in flight, then stopping.")
        _STOP.set()
        def shutdown() -> None:
            # wait=False: the job thread sees _STOP after its current delivery and returns;
            # the interpreter joins it before exiting, so nothing is cut off mid-send.
            try:
                scheduler.shutdown(wait=False)
            except Exception:  # already stopped
                pass

        threading.Thread(target=shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    echo(f"Scheduler running for {config.site.title} ({config.site.timezone}); "
         "Ctrl-C or SIGTERM stops it.")
    scheduler.add_listener(remove_stale, EVENT_SCHEDULER_START)  # jobs of removed entries
    scheduler.start()
    echo("Scheduler stopped.")
