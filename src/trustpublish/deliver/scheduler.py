"""``trustpublish run``: APScheduler 3.x keeps the process awake at the right moments.

APScheduler is only the alarm clock; the ledger decides what is due (each wake-up
runs :meth:`~trustpublish.deliver.engine.DeliveryEngine.run_once`, which is idempotent).
Jobs live in APScheduler's SQLAlchemy job store in the state database: one per
timetable entry (CronTrigger / DateTrigger in the site's timezone) plus a one-minute
sweep that catches retries and the DST-shifted slots. ``coalesce=True``,
``max_instances=1`` and ``misfire_grace_time`` = ``run.grace``. SIGTERM and Ctrl-C stop
the scheduler cleanly: the delivery in flight is settled, the rest waits for the
next run; the process exits 0 even when the signal arrives while APScheduler is
removing a job that just fired.

One process leads (:class:`~trustpublish.deliver.leader.SchedulerLease`). On SQLite a
second ``run`` says that another is running and exits 0. On PostgreSQL a second ``run``
(on this machine or another) follows: every few seconds it delivers what is due,
claiming batches of a digest's recipients beside the leader, and it takes over the
schedule when the leader is gone (``docs/delivery.md``, "Several processes").
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
    from .engine import RunSettings, open_state
    from .leader import SchedulerLease

    config = project.config
    settings = RunSettings.from_raw(config.raw)
    db = open_state(project)
    _ECHO[:] = [echo]
    _CLOCK[:] = [clock]
    _AFTER[:] = [after_round] if after_round else []
    _BEFORE[:] = [before_round] if before_round else []
    _STOP.clear()
    lease = SchedulerLease(db)
    signal.signal(signal.SIGTERM, _stop_following)
    signal.signal(signal.SIGINT, _stop_following)
    if not lease.acquire():
        if not lease.shared:
            echo(f"Another `trustpublish run` ({lease.describe_holder()}) is already running "
                 "for this state database; this one exits. Stop that one first to restart it.")
            return
        echo("Another `trustpublish run` leads the schedule; this process works beside it "
             "(sharing the sends) and takes over if it stops.")
        if not _follow(project, lease, clock, echo):
            echo("Scheduler stopped.")
            return
        echo("The leader is gone: this process now runs the schedule.")
    try:
        _lead(project, db, settings, clock, echo)
    finally:
        lease.release()


def _stop_following(signum: int, _frame: Any) -> None:
    for echo in _ECHO:
        echo(f"Received {signal.Signals(signum).name}: finishing the delivery in flight, "
             "then stopping.")
    _STOP.set()


def _follow(project: "Project", lease: Any, clock: Callable[[], dt.datetime],
            echo: Callable[[str], None]) -> bool:
    """Deliver beside the leader until the lease is ours (True) or we are stopped (False)."""
    from sqlalchemy.exc import OperationalError

    from ..errors import TrustpublishError
    from .engine import DeliveryEngine, open_state
    from .leader import FOLLOW_EVERY

    while not _STOP.is_set():
        after = _AFTER[0](project) if _AFTER else None
        engine = DeliveryEngine(project, open_state(project), stop=_STOP, after_round=after)
        try:
            report = engine.deliver_pending(clock())
        except (TrustpublishError, OperationalError) as exc:  # tried again next round
            echo(f"this round stopped: {getattr(exc, 'message', None) or type(exc).__name__}")
            report = None
        for line in report.lines if report else ():
            echo(line)
        if _STOP.wait(FOLLOW_EVERY):
            return False
        if lease.acquire():
            return True
    return False


def _lead(project: "Project", db: Any, settings: Any, clock: Callable[[], dt.datetime],
          echo: Callable[[str], None]) -> None:
    """Run APScheduler until SIGTERM/SIGINT (this process holds the lease)."""
    from apscheduler.events import EVENT_SCHEDULER_START
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    from ..plan.timetable import cron_trigger, parse_timetable, resolve_wall_time

    config = project.config
    if _STOP.is_set():
        return
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db, tablename="tp_apscheduler_jobs")},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(settings.grace.total_seconds())},
        timezone=config.zone,
    )
    started, finished = threading.Event(), threading.Event()
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
            # a signal that arrives before start() finished is acted on once it has
            while not started.wait(0.05):
                if finished.is_set():
                    return
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
    scheduler.add_listener(lambda _event: started.set(), EVENT_SCHEDULER_START)
    try:
        if not _STOP.is_set():
            scheduler.start()
    except Exception:
        # shut down from the signal handler while APScheduler was still working (e.g.
        # removing an `at:` job that had just fired): a clean stop, not a failure
        if not _STOP.is_set():
            raise
    finally:
        finished.set()
    echo("Scheduler stopped.")
