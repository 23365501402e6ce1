"""``trustpublish build`` output for email channels: ``dist/email/<issue-id>.html|.txt|.eml``.

For the next issue of every ``type: email`` channel this writes the web copy (HTML),
its plain-text twin and a sample message as a ``.eml`` file any mail program opens.
The web copy and text are filled for an anonymous reader; the ``.eml`` for a
sample subscriber. Unsubscribe links carry the placeholder token ``preview``.

:func:`next_issue` decides what the next issue holds: the next digest issue the
timetable plans for the channel (as ``trustpublish plan`` shows it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content.model import Excerpt
from ..files import write_if_changed
from ..plan.issues import excerpts_per_issue

if TYPE_CHECKING:
    from ..render.digest.render import RenderedIssue
    from ..workspace.project import Project

__all__ = ["build", "email_channels", "next_issue", "build_previews"]

def email_channels(project: "Project") -> dict[str, dict[str, Any]]:
    """The digest channels (kind ``digest``, e.g. ``type: email``), in schedule.yaml order."""
    return project.channels_of_kind("digest")


def next_issue(project: "Project", name: str, config: dict[str, Any],
               now: dt.datetime) -> tuple[int, list[Excerpt]]:
    """(number, excerpts) of the channel's next digest issue.

    The timetable's next planned issue of the channel in the coming year (the same
    one `trustpublish plan` shows; the build's shared plan, see :mod:`.planning`);
    when the timetable has no slot for it, issue 1 made of the first
    ``excerpts_per_issue`` excerpts in post order.
    """
    from ..render.preview import PREVIEW_DAYS
    from .planning import HORIZON_DAYS, build_plan

    index = project.excerpt_lookup()
    for days in (PREVIEW_DAYS, HORIZON_DAYS):
        for planned in build_plan(project, now, days):
            if planned.channel == name and planned.state == "planned" and planned.excerpts:
                return planned.issue_number or 1, [index[e][1] for e in planned.excerpts]
    from itertools import islice

    wanted = excerpts_per_issue(name, config)
    ids = islice((i for p in project.posts
                  if p.approved and (p.channels is None or name in p.channels)
                  for i in project.excerpt_ids(p)), wanted)  # splits only the posts it takes
    return 1, [index[i][1] for i in ids]


def build_previews(project: "Project", now: dt.datetime, *, skip_unchanged: bool = False
                   ) -> list[tuple[RenderedIssue | None, list[Path]]]:
    """Render and write the next issue of each email channel; (rendered, files) per channel.

    With ``skip_unchanged``, a channel whose issue inputs are the same as when its
    files were written (see :mod:`.outputs`) is not rendered: (None, its files).
    """
    from .outputs import input_key, record, unchanged

    out_dir = project.dist_dir / "email"
    results: list[tuple[RenderedIssue | None, list[Path]]] = []
    for name, config in email_channels(project).items():
        number, excerpts = next_issue(project, name, config, now)
        if not excerpts:
            continue
        index = project.excerpt_lookup()
        posts = [index[e.id][0] for e in excerpts]
        key = input_key(project, f"email:{name}", now, posts, number, [e.id for e in excerpts])
        kept = unchanged(project, f"email:{name}", key) if skip_unchanged else None
        if kept is not None:
            results.append((None, kept))
            continue
        # (the digest renderer, Jinja2 and premailer load only when an issue is rendered)
        from ..render.digest.compose import compose_issue
        from ..render.digest.render import preview_recipient, render_issue

        issue = compose_issue(project, name, config, excerpts, number=number, now=now)
        rendered = render_issue(issue, project.templates_dir)
        html, text = rendered.fill(preview_recipient(issue))
        sample = preview_recipient(issue, email="sample.reader@example.com", name="Sample Reader")
        files = [out_dir / f"{issue.id}{ext}" for ext in (".html", ".txt", ".eml")]
        write_if_changed(files[0], html.encode("utf-8"))
        write_if_changed(files[1], text.encode("utf-8"))
        write_if_changed(files[2], rendered.message_for(sample, now=now))
        record(project, f"email:{name}", key, files)
        results.append((rendered, files))
    return results


def build(project: "Project", now: dt.datetime) -> list[Path]:
    """The ``email`` builder registered in :data:`trustpublish.actions.build.BUILDERS`:
    the files of every channel's preview (rendered now, or unchanged since last time)."""
    return [path for _, files in build_previews(project, now, skip_unchanged=True)
            for path in files]
