"""``trustpublish build`` output for email channels: ``dist/email/<issue-id>.html|.txt|.eml``.

For the next issue of every ``type: email`` channel this writes the web copy (HTML),
its plain-text twin and a sample message as a ``.eml`` file any mail program opens.
The web copy and text are filled for an anonymous reader; the ``.eml`` for a
sample subscriber. Unsubscribe links carry the placeholder token ``preview``.

:func:`next_issue_excerpts` decides what the next issue holds. Until the delivery
engine's ledger exists it is the first ``excerpts_per_issue`` excerpts (post order)
of approved posts that may go to the channel, as issue number 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..model import Excerpt
from .compose import compose_issue
from .render import RenderedIssue, preview_recipient, render_issue

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["build", "email_channels", "next_issue_excerpts", "build_previews"]

DEFAULT_EXCERPTS_PER_ISSUE = 2


def email_channels(project: "Project") -> dict[str, dict[str, Any]]:
    """The channels of ``type: email``, in schedule.yaml order."""
    return {name: cfg for name, cfg in project.config.channels.items()
            if cfg.get("type") == "email"}


def excerpts_per_issue(name: str, config: dict[str, Any]) -> int:
    value = config.get("excerpts_per_issue", DEFAULT_EXCERPTS_PER_ISSUE)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError("must be a whole number of at least 1",
                          key_path=f"channels.{name}.excerpts_per_issue")
    return value


def next_issue_excerpts(project: "Project", name: str, config: dict[str, Any]) -> list[Excerpt]:
    """The excerpts of the channel's next issue (placeholder until the engine's queue lands)."""
    wanted = excerpts_per_issue(name, config)
    chosen: list[Excerpt] = []
    for post in project.posts:
        if not post.approved or (post.channels is not None and name not in post.channels):
            continue
        for excerpt in project.excerpts(post):
            chosen.append(excerpt)
            if len(chosen) == wanted:
                return chosen
    return chosen


def build_previews(project: "Project", now: dt.datetime) -> list[tuple[RenderedIssue, list[Path]]]:
    """Render and write the next issue of each email channel; (rendered, files) per channel."""
    out_dir = project.dist_dir / "email"
    results: list[tuple[RenderedIssue, list[Path]]] = []
    for name, config in email_channels(project).items():
        excerpts = next_issue_excerpts(project, name, config)
        if not excerpts:
            continue
        issue = compose_issue(project, name, config, excerpts, number=1, now=now)
        rendered = render_issue(issue, project.templates_dir)
        html, text = rendered.fill(preview_recipient(issue))
        sample = preview_recipient(issue, email="sample.reader@example.com", name="Sample Reader")
        out_dir.mkdir(parents=True, exist_ok=True)
        files = [out_dir / f"{issue.id}{ext}" for ext in (".html", ".txt", ".eml")]
        files[0].write_text(html, encoding="utf-8")
        files[1].write_text(text, encoding="utf-8")
        files[2].write_bytes(rendered.message_for(sample, now=now))
        results.append((rendered, files))
    return results


def build(project: "Project", now: dt.datetime) -> list[Path]:
    """The ``email`` builder registered in :data:`trustpublish.build.BUILDERS`."""
    return [path for _, files in build_previews(project, now) for path in files]
