"""Helpers for the engine tests: a small project folder on disk and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

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

BODY = " ".join(f"Sentence number {i} explains one calm idea about therapy and trust." for i in range(14))


def make_project(root: Path, schedule: str, posts: int = 3, status: str = "approved",
                 extra: dict[int, str] | None = None) -> Path:
    """Write schedule.yaml and ``posts`` approved posts (two excerpts each) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "schedule.yaml").write_text(textwrap.dedent(schedule), encoding="utf-8")
    (root / "posts").mkdir(exist_ok=True)
    for i in range(posts):
        (root / "posts" / f"post-{i:03d}.md").write_text(POST.format(
            title=f"Post {i}", date=f"2025-01-{i % 28 + 1:02d}T08:{i % 60:02d}:00", slug=f"post-{i:03d}",
            status=status, body=BODY, extra=(extra or {}).get(i, "")), encoding="utf-8")
    return root / "schedule.yaml"


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (aiosmtpd's Controller needs a real port number)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tp(root: Path, *args: str, env: dict[str, str] | None = None,
       timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real ``trustpublish`` CLI in ``root``."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "trustpublish", *args], cwd=root, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
