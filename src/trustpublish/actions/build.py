"""``trustpublish build``: every output into ``dist/``.

Each output type registers a builder ``(project, now, *, dry_run) -> list[Path]`` in
``BUILDERS``; the build runs them in order and returns what was written.

When nothing a build depends on changed since the last one (the time it is built for,
schedule.yaml, the templates, every post file, the state database and feed record,
the code) and its files are as it left them, the whole build is skipped: see
:func:`_whole_key`. Each builder also skips the outputs whose own inputs are
unchanged (:mod:`.outputs`, :mod:`.feed_files`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["BUILDERS", "build_all", "refresh_feeds"]

Builder = Callable[["Project", dt.datetime], list[Path]]

#: name → "module:function"; imported only when the build runs.
BUILDERS: dict[str, str] = {
    "feeds": "trustpublish.actions.feed_files:build_feeds",
    "email": "trustpublish.actions.email_previews:build",
    "preview": "trustpublish.actions.preview_site:build_preview_site",
}


def _whole_key(project: "Project", now: dt.datetime, names: list[str]) -> str | None:
    """The input key of a whole build, or None when it cannot be known without opening
    the state database (a server database: ``state.url`` or ``TRUSTPUBLISH_STATE_URL``).

    The local SQLite ledger counts by its file's size and modification time and its
    write-ahead log's size (a read leaves both as they are; a write changes one).
    """
    from .outputs import file_stamp, input_key, ledger_stamp

    ledger = ledger_stamp(project)
    if ledger is None:
        return None
    entries = sorted((k, e.get("sha", "")) for k, e in project.index.entries.items())
    return input_key(project, "build", now, [], names, entries, ledger,
                     file_stamp(project.state_dir / "feeds-cache.json"))


def build_all(project: "Project", now: dt.datetime, only: list[str] | None = None) -> dict[str, list[Path]]:
    """Run every builder (or those named in ``only``); name → files written (or, when
    the whole build is unchanged, the files it wrote last time)."""
    import importlib

    from .outputs import record, unchanged

    names = [name for name in BUILDERS if not only or name in only]
    group = "build:" + ",".join(names)
    key = _whole_key(project, now, names)
    if key is not None and (kept := unchanged(project, group, key)) is not None:
        stored = project.index.outputs[group]
        return {name: [p for p, owner in zip(kept, stored["owners"]) if owner == name]
                for name in names}
    from ..files import synced_together

    written: dict[str, list[Path]] = {}
    with synced_together():  # on the disk before the content cache records them
        for name in names:
            module, attr = BUILDERS[name].split(":")
            builder: Builder = getattr(importlib.import_module(module), attr)
            written[name] = builder(project, now)
    from .planning import record_plans

    record_plans(project)
    after = _whole_key(project, now, names)
    if after is not None:
        files = [p for name in names for p in written[name]]
        record(project, group, after, files)
        project.index.outputs[group]["owners"] = [n for n in names for _ in written[n]]
    return written


def refresh_feeds(project: "Project") -> "Callable[[dt.datetime, Any], None]":
    """An ``after_round`` hook for the engine: rebuild the feeds when a feed channel
    (a channel of kind ``feed``) got an entry in that round."""

    def after_round(now: dt.datetime, report: Any) -> None:
        feeds = set(project.channels_of_kind("feed"))
        if not feeds & report.sent_channels:
            return
        written = build_all(project, now, only=["feeds"]).get("feeds", [])
        report.lines.append(f"rebuilt the feeds ({len(written)} files)")

    return after_round
