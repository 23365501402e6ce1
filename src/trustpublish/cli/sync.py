"""``trustpublish sync``: fetch new and changed articles from the sources in schedule.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .app import App

__all__ = ["sync", "sync_before_round"]

_STYLE = {"new": "green", "updated": "green", "kept": "yellow", "gone": "cyan",
          "warning": "yellow", "unchanged": "dim", "info": "dim"}


def _print(app: App, report) -> None:  # type: ignore[no-untyped-def]
    for line in report.lines:
        style = _STYLE.get(line.level, "default")  # the message comes from the web: escaped
        app.line(f"[{style}]{{}}[/{style}] {{}}: {{}}", line.level, line.source, line.message)


@click.command()
@click.option("--source", "only", metavar="NAME", help="Only this source.")
@click.pass_obj
def sync(app: App, only: str | None) -> None:
    """Fetch new and changed articles from the clinic's blog (sources: in schedule.yaml).

    New articles become posts with status: review. A post you edited here is never
    overwritten. A source that is down is a warning: the exit code stays 0.
    """
    from ..actions.sync import sync_sources
    config = _config(app)
    if not config.raw.get("sources"):
        app.info("No sources: add `sources:` to schedule.yaml (see the README, Sync).")
        return
    report = sync_sources(config, only=only, dry_run=app.dry_run)
    if app.as_json:
        app.print_json({"counts": dict(report.counts),
                        "lines": [line.as_dict() for line in report.lines]})
        return
    _print(app, report)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(report.counts.items())) or "nothing new"
    app.info(("Dry run: " if app.dry_run else "Sync: ") + summary)


def _config(app: App) -> Any:
    """schedule.yaml alone (the posts are read after the sync), with the installed channel
    types so a plugin's ``type:`` is valid here too."""
    from ..channels.registry import known_types
    from ..plan.config import load_config
    from ..workspace.project import find_config

    return load_config(Path(app.config_path) if app.config_path else find_config(),
                       channel_types=known_types())


def sync_before_round(app: App) -> None:
    """The hook ``run`` calls before each round: sync when schedule.yaml lists sources.

    Never stops the round: a source problem is printed as a warning.
    """
    from ..actions.sync import sync_sources
    config = _config(app)
    if not config.raw.get("sources"):
        return
    report = sync_sources(config, dry_run=app.dry_run)
    for line in report.lines:
        if line.level != "unchanged":
            app.info(f"sync {line.level} {line.source}: {line.message}")
