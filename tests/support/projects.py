"""Project folders on disk: the shipped sample, and small generated projects.

``make_project(root, schedule, posts=3)`` writes ``schedule.yaml`` and ``posts/``.
``schedule`` is the whole file (dedented), or ``None`` for the Harborview site block
(:data:`SITE`, ``site_extra`` lines added to ``site:``) followed by ``rest``. ``posts``
is a count of generated posts (``post-000.md``...: two excerpts each) or a mapping of
file name to full post text.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ROOT", "SAMPLE", "SAMPLE_POST", "SEED_TXT", "POST", "BODY", "SITE", "make_project",
           "copy_sample"]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "src" / "trustpublish" / "sample"
SAMPLE_POST = SAMPLE / "posts" / "the-importance-of-building-trust-in-therapy-relationships.md"
SEED_TXT = ROOT / "tests" / "data" / "seed.txt"

#: A generated post: two sections (two excerpts) of :data:`BODY` each.
POST = """---
title: {title}
date: {date}
slug: {slug}
url: https://clinic.example/blog/{slug}
status: {status}
{extra}---

## First part

{body}

## Second part

{body}
"""

BODY = " ".join(f"Sentence number {i} explains one calm idea about therapy and trust."
                for i in range(14))

#: The site block used when ``make_project`` gets no schedule text.
SITE = """\
site:
  title: Harborview Counseling
  url: https://harborview-counseling.example/blog
  timezone: America/Chicago
  language: en
  author: Harborview Counseling Team
  description: Practical notes on therapy from the Harborview team.
{site_extra}
{rest}
"""

#: the smallest project schedule: one outbox channel, every day at 09:00 in Chicago
DAILY_OUTBOX = """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago}
channels:
  social: {type: outbox}
timetable:
  - {channel: social, cron: "0 9 * * *"}
"""


def make_project(root: Path, schedule: str | Mapping[str, str] | None = None,
                 posts: int | Mapping[str, str] = 3, *,
                 status: str = "approved", extra: Mapping[int, str] | None = None,
                 site_extra: str = "", rest: str = "") -> Path:
    """Write ``schedule.yaml`` and ``posts/`` under ``root``; returns the schedule path.

    Generated posts (``posts`` a count) get ``status`` and the front-matter lines
    ``extra[i]`` for post ``i``; dated 2025-01-01, 2025-01-02... so they sort by number.
    ``make_project(root, {name: text}, rest=...)`` (the posts mapping in second place, as
    the feeds tests wrote it) means ``posts={name: text}`` with the Harborview site.
    """
    if isinstance(schedule, Mapping):
        schedule, posts = None, schedule
    root.mkdir(parents=True, exist_ok=True)
    text = (SITE.format(site_extra=site_extra, rest=rest) if schedule is None
            else textwrap.dedent(schedule))
    path = root / "schedule.yaml"
    path.write_text(text, encoding="utf-8")
    folder = root / "posts"
    folder.mkdir(exist_ok=True)
    if isinstance(posts, Mapping):
        for name, post in posts.items():
            (folder / name).write_text(post, encoding="utf-8")
        return path
    for i in range(posts):
        (folder / f"post-{i:03d}.md").write_text(POST.format(
            title=f"Post {i}", date=f"2025-01-{i % 28 + 1:02d}T08:{i % 60:02d}:00",
            slug=f"post-{i:03d}", status=status, body=BODY, extra=(extra or {}).get(i, "")),
            encoding="utf-8")
    return path


def copy_sample(target: Path) -> Path:
    """Copy the shipped sample project to ``target`` (without dist/, outbox/, state/)."""
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("dist", "outbox", "state"))
    return target
