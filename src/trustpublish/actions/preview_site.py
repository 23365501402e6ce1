"""``dist/preview/``: the preview site of the coming weeks, written from the plan.

The plan comes from the delivery engine (recorded slots keep what they recorded);
:mod:`trustpublish.render.preview` turns it into the page and the digest pages it
frames; this module writes them. A static page that opens from disk.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from ..deliver.engine import DeliveryEngine, open_state
from ..files import write_atomic
from ..plan.planner import excerpt_index
from ..render.preview import PREVIEW_DAYS, preview_cards, preview_page

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["build_preview_site"]


def build_preview_site(project: "Project", now: dt.datetime) -> list[Path]:
    """Write ``dist/preview/index.html`` (+ the digest pages it frames); the files written."""
    config = project.config
    out = project.dist_dir / "preview"
    planned = DeliveryEngine(project, open_state(project)).plan(
        now, now + dt.timedelta(days=PREVIEW_DAYS), now)
    index = excerpt_index(project.posts, project.excerpts)
    kinds = project.channel_kinds()
    rules = {name: project.text_rules(name) for name, kind in kinds.items() if kind != "digest"}
    cards, pages = preview_cards(planned, index, config.channels, config.site, config.zone,
                                 templates=project.templates_dir, kinds=kinds, rules=rules)
    emails = []
    for name, html in pages.items():
        page = out / name
        write_atomic(page, html.encode("utf-8"))
        emails.append(page)
    html = preview_page(config.site, cards, now, config.zone, templates=project.templates_dir)
    index_page = out / "index.html"
    write_atomic(index_page, html.encode("utf-8"))
    return [index_page, *sorted(emails)]
