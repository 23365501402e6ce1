"""``trustpublish build``: every output into ``dist/``.

Each output type registers a builder ``(project, now, *, dry_run) -> list[Path]`` in
``BUILDERS``; the build runs them in order and returns what was written.
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


def build_all(project: "Project", now: dt.datetime, only: list[str] | None = None) -> dict[str, list[Path]]:
    """Run every builder (or those named in ``only``); name → files written."""
    import importlib

    written: dict[str, list[Path]] = {}
    for name, target in BUILDERS.items():
        if only and name not in only:
            continue
        module, attr = target.split(":")
        builder: Builder = getattr(importlib.import_module(module), attr)
        written[name] = builder(project, now)
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
