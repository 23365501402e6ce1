"""``dist/preview/``: the preview site of the coming weeks, written from the plan.

The plan is the build's shared plan (:mod:`.planning`; recorded slots keep what they
recorded);
:mod:`trustpublish.render.preview` turns it into the page and the digest pages it
frames; this module writes them. A static page that opens from disk.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import write_if_changed
from ..render.preview import PREVIEW_DAYS, preview_cards, preview_page
from .planning import build_plan

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["build_preview_site"]


def build_preview_site(project: "Project", now: dt.datetime) -> list[Path]:
    """Write ``dist/preview/index.html`` (+ the digest pages it frames); the files written."""
    config = project.config
    out = project.dist_dir / "preview"
    from .outputs import input_key, record, unchanged

    planned = build_plan(project, now, PREVIEW_DAYS)
    index = project.excerpt_lookup()
    posts = [index[e][0] for p in planned for e in p.excerpts if e in index]
    key = input_key(project, "preview", now, posts,
                    [[p.as_dict(), p.issue_number] for p in planned])
    kept = unchanged(project, "preview", key)
    if kept is not None:
        return kept
    kinds = project.channel_kinds()
    rules = {name: project.text_rules(name) for name, kind in kinds.items() if kind != "digest"}
    cards, pages = preview_cards(planned, index, config.channels, config.site, config.zone,
                                 templates=project.templates_dir, kinds=kinds, rules=rules)
    emails = []
    for name, html in pages.items():
        page = out / name
        write_if_changed(page, html.encode("utf-8"))
        emails.append(page)
    html = preview_page(config.site, cards, now, config.zone, templates=project.templates_dir)
    index_page = out / "index.html"
    write_if_changed(index_page, html.encode("utf-8"))
    files = [index_page, *sorted(emails)]
    record(project, "preview", key, files)
    return files
