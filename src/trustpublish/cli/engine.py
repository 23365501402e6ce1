"""Timetable and delivery commands: plan, run, status, history, retry, resolve, schema."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .app import App, cell

if TYPE_CHECKING:
    from ..deliver.engine import DeliveryEngine

STATE_COLOURS = {"sent": "green", "planned": "cyan", "sending": "yellow", "failed": "red",
                 "unknown": "magenta", "missed": "red", "skipped": "dim", "empty": "dim",
                 "partial": "yellow"}


def _engine(app: App, **kwargs: Any) -> "DeliveryEngine":
    from ..deliver.engine import DeliveryEngine, open_state

    return DeliveryEngine(app.project, open_state(app.project), **kwargs)


def _local(app: App, value: dt.datetime) -> str:
    return value.astimezone(app.project.config.zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _state(state: str) -> Any:
    """A state as a coloured table cell (never read as markup)."""
    text = cell(state)
    text.stylize(STATE_COLOURS.get(state, "white"))
    return text


@click.command()
@click.option("--from", "start", default=None, metavar="DATE",
              help="First day (YYYY-MM-DD, site time) or date-time; default: now.")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 3660),
              help="How many days to show.")
@click.pass_obj
def plan(app: App, start: str | None, days: int) -> None:
    """Show what goes where and when, in the site's local time, with its state."""
    from ..errors import TrustpublishError

    now = app.now()
    zone = app.project.config.zone
    begin = now
    if start:
        try:
            value = dt.datetime.fromisoformat(start)
        except ValueError:
            raise TrustpublishError(f"--from {start!r} is not a date",
                                    hint="write it like 2026-12-01") from None
        begin = (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(dt.timezone.utc)
    app.warn_unreadable_posts()
    rows = _engine(app).plan(begin, begin + dt.timedelta(days=days), now)
    if app.as_json:
        app.print_json([r.as_dict() for r in rows])
        return
    from rich.table import Table

    table = Table(title=cell(f"Plan: {days} days from {_local(app, begin)}"), title_justify="left")
    for column in ("when", "channel", "what", "state"):
        table.add_column(column)
    for r in rows:
        what = r.item or ("(nothing approved to send)" if r.state == "empty" else "")
        if r.issue_number:
            what += f" ({', '.join(r.excerpts)})"
        table.add_row(cell(_local(app, r.when)), cell(r.channel), cell(what), _state(r.state))
    app.table(table)
    if not rows:
        app.info("No slots in this period. Add entries under `timetable:` in schedule.yaml.")


@click.command()
@click.option("--once", is_flag=True, help="Do what is due now and exit (for cron and systemd timers).")
@click.pass_obj
def run(app: App, once: bool) -> None:
    """Run the timetable: deliver what is due, exactly once. Ctrl-C or SIGTERM stops cleanly."""
    from .sync import sync_before_round

    sync_before_round(app)  # sources: in schedule.yaml → new articles first
    app.warn_unreadable_posts()
    if once or app.dry_run:
        with _progress_bar(app) as progress:
            from ..actions.build import refresh_feeds

            engine = _engine(app, echo=app.info, progress=progress,
                             after_round=refresh_feeds(app.project))
            report = engine.run_once(app.now(), dry_run=app.dry_run)
        if app.as_json:
            app.print_json({"counts": dict(report.counts), "lines": report.lines})
        else:
            for line in report.lines:
                app.line(line)
            summary = ", ".join(f"{n} {k}" for k, n in sorted(report.counts.items())) or "nothing due"
            app.info(("Dry run: " if app.dry_run else "Done: ") + summary)
        if not report.ok:
            raise SystemExit(1)
        return
    from ..actions.build import refresh_feeds
    from ..deliver.scheduler import run_forever

    run_forever(app.project, clock=app.now, echo=app.info, after_round=refresh_feeds,
                before_round=_every(SYNC_EVERY, lambda: sync_before_round(app)))


#: How often the long-running ``run`` syncs the sources (its rounds come every minute).
SYNC_EVERY = dt.timedelta(minutes=15)


def _every(period: dt.timedelta, action: Callable[[], None]) -> Callable[[], None]:
    """``action`` at most once per ``period`` (the first call only starts the clock: ``run``
    has just synced)."""
    import time

    last = [time.monotonic()]

    def maybe() -> None:
        if time.monotonic() - last[0] >= period.total_seconds():
            last[0] = time.monotonic()
            action()

    return maybe


@contextmanager
def _progress_bar(app: App) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on stderr for long email fan-outs; None when quiet, --json or no TTY."""
    if app.as_json or app.verbosity < 0 or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    tasks: dict[str, Any] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=app.err, transient=False) as bar:
        def update(label: str, done: int, total: int) -> None:
            if total < 100:  # a short send needs no bar
                return
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done)

        yield update


@click.command()
@click.pass_obj
def status(app: App) -> None:
    """Summarise the ledger: counts by state, why each delivery waits, and the next slots."""
    from rich.markup import escape

    from ..deliver.explain import explain

    engine = _engine(app)
    now = app.now()
    counts = engine.ledger.counts()
    attention = engine.ledger.deliveries(states=["unknown", "failed", "partial", "sending"])
    waiting = explain(engine.ledger, engine.settings, now)
    upcoming = [p for p in engine.plan(now, now + dt.timedelta(days=14), now) if p.when >= now][:5]
    bounced = _bounces(engine)
    if app.as_json:
        app.print_json({"counts": counts,
                        "attention": [_row(r) for r in attention],
                        "waiting": [w.as_dict() for w in waiting],
                        "next": [p.as_dict() for p in upcoming],
                        "bounces": bounced})
        return
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no deliveries yet"
    app.line(f"Deliveries: {summary}")
    _print_bounces(app, bounced)
    for w in waiting:
        what = f"{w.item} → {w.channel}" + (f" ({len(w.ids)} recipients)" if len(w.ids) > 1
                                            else f" #{w.ids[0]}")
        until = f"; next attempt after {_local(app, w.until)}" if w.until else ""
        app.console.print(f"  {_state(w.state)} " + escape(f"{what}: {w.why}{until}"),
                          soft_wrap=True)
        app.console.print(f"    what to do: {w.action}", soft_wrap=True, markup=False)
    for p in upcoming:
        app.line(f"Next: {_local(app, p.when)}  {p.channel}  {p.item or '(nothing)'}")


def _bounces(engine: Any) -> dict[str, dict[str, int]]:
    """Issue → bounce and complaint counts (``trustpublish bounces read|fetch`` records them)."""
    from ..deliver.bounces import Bounces

    return Bounces(engine.ledger.engine, b"").counts_by_item()


def _print_bounces(app: App, bounced: dict[str, dict[str, int]]) -> None:
    for item, n in sorted(bounced.items()):
        app.console.print(f"Bounces: {item}: {n['bounced']} bounced, {n['complaints']} "
                          f"complaint{'s' * (n['complaints'] != 1)}", markup=False)


def _row(r: Any) -> dict[str, Any]:
    return r.as_dict()


@click.command()
@click.option("--channel", default=None, help="Only this channel.")
@click.option("--state", "states", multiple=True, help="Only these states (repeatable).")
@click.option("--limit", default=200, show_default=True, help="At most this many rows (newest first).")
@click.pass_obj
def history(app: App, channel: str | None, states: tuple[str, ...], limit: int) -> None:
    """What went where and when: every delivery with its state, remote id and error."""
    engine = _engine(app)
    rows = engine.ledger.deliveries(states=list(states) or None, channel=channel, limit=limit,
                                    newest_first=True)
    if app.as_json:
        app.print_json([_row(r) for r in rows])
        return
    from rich.table import Table

    table = Table(title="History (newest first)", title_justify="left")
    zone = app.project.config.zone
    with_to = any(r.recipient for r in rows)
    table.add_column("id", no_wrap=True)
    table.add_column("slot", no_wrap=True)
    for column in ("channel", "item") + (("to",) if with_to else ()) + ("state", "tries", "remote / error"):
        table.add_column(column)
    for r in rows:
        slot = r.when.astimezone(zone).strftime("%m-%d %H:%M") if r.when else ""
        cells = [cell(v) for v in [r.id, slot, r.channel, r.item or "-"]
                 + ([r.recipient or ""] if with_to else [])]
        remote = r.remote or ""
        if remote.startswith("file://"):  # the outbox: the file name is what matters
            remote = "outbox/…/" + remote.rsplit("/", 1)[-1]
        table.add_row(*cells, _state(r.state), cell(r.attempts),
                      cell(remote if r.state == "sent" else (r.error or "")))
    app.table(table)
    _print_bounces(app, _bounces(engine))


@click.command()
@click.argument("delivery_id", type=int)
@click.pass_obj
def retry(app: App, delivery_id: int) -> None:
    """Send a failed delivery again on the next run."""
    row = _engine(app).retry(delivery_id, app.now())
    app.info(f"#{row.id} {row.item} → {row.channel} is planned again; "
             "`trustpublish run --once` sends it.")


@click.command()
@click.argument("delivery_id", type=int)
@click.option("--sent", "outcome", flag_value="sent", help="It did arrive: record it as sent.")
@click.option("--not-sent", "outcome", flag_value="not-sent", help="It did not arrive: send it again.")
@click.pass_obj
def resolve(app: App, delivery_id: int, outcome: str | None) -> None:
    """Settle a delivery whose outcome is unknown, after checking the channel by hand."""
    if outcome is None:
        raise click.UsageError("give --sent or --not-sent")
    row = _engine(app).resolve(delivery_id, outcome == "sent", app.now())
    what = "recorded as sent" if row.state == "sent" else "planned again (the next run sends it)"
    app.info(f"#{row.id} {row.item} → {row.channel}: {what}.")


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
def schema(output: Path | None) -> None:
    """Write the JSON Schema of schedule.yaml (for editor autocompletion)."""
    from ..plan.schema import load_schema

    text = json.dumps(load_schema(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}. Point your editor's YAML schema setting at it.", err=True)
