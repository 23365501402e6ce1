"""Shared helpers for the email digest tests: the sample project, a pinned clock, issues."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from trustpublish.render.digest import compose_issue, render_issue
from trustpublish.render.digest.render import RenderedIssue
from trustpublish.workspace.project import Project

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "src" / "trustpublish" / "sample"
ARTIFACTS = ROOT / "test-artifacts" / "email"
#: The pinned clock of every digest test: Tuesday 2 December 2025, 09:00 in Chicago.
NOW = dt.datetime(2025, 12, 2, 15, 0, tzinfo=dt.timezone.utc)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def copy_sample(tmp_path: Path) -> Project:
    """A copy of the sample project under ``tmp_path`` (so dist/ and templates/ are private)."""
    target = tmp_path / "project"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("dist", "outbox", "state"))
    return Project.load(target / "schedule.yaml")


def seed_issue(project: Project, count: int = 3) -> RenderedIssue:
    """The seed post's first ``count`` excerpts as issue 1 of ``newsletter``."""
    post = project.posts[0]
    excerpts = project.excerpts(post)[:count]
    issue = compose_issue(project, "newsletter", project.config.channels["newsletter"], excerpts,
                          number=1, now=NOW)
    return render_issue(issue, project.templates_dir)
