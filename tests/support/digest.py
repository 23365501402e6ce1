"""The email digest tests' helpers: a pinned clock, a sample project, a rendered issue."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from trustpublish.render.digest import compose_issue, render_issue
from trustpublish.render.digest.render import RenderedIssue
from trustpublish.workspace.project import Project

from .projects import ROOT
from .projects import copy_sample as _copy_sample

__all__ = ["ARTIFACTS", "NOW", "IN_CI", "sample_project", "seed_issue"]

ARTIFACTS = ROOT / "test-artifacts" / "email"
#: The pinned clock of every digest test: Tuesday 2 December 2025, 09:00 in Chicago.
NOW = dt.datetime(2025, 12, 2, 15, 0, tzinfo=dt.timezone.utc)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def sample_project(tmp_path: Path) -> Project:
    """A copy of the sample project under ``tmp_path/project``, loaded."""
    return Project.load(_copy_sample(tmp_path / "project") / "schedule.yaml")


def seed_issue(project: Project, count: int = 3) -> RenderedIssue:
    """The seed post's first ``count`` excerpts as issue 1 of ``newsletter``."""
    post = project.posts[0]
    excerpts = project.excerpts(post)[:count]
    issue = compose_issue(project, "newsletter", project.config.channels["newsletter"], excerpts,
                          number=1, now=NOW)
    return render_issue(issue, project.templates_dir)
