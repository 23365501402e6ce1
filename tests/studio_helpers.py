"""Helpers for the studio tests: a small project, and the real ``trustpublish studio``
process on a free loopback port (its one-time login link read from its output)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support import ROOT, free_port

NOW = "2026-12-01T09:05"  # a Tuesday, clinic time (UTC here)
HOOK_SECRET = "studio-test-webhook-secret"
ARTIFACTS = ROOT / "test-artifacts" / "studio"
AXE = ROOT / ".cache" / "axe-core" / "axe-4.10.3.min.js"

SCHEDULE = """\
site:
  title: Harborview Counseling
  url: https://clinic.example/blog
  timezone: UTC
  language: en
  postal_address: "1200 Lakeshore Ave, Chicago, IL 60601"
channels:
  mastodon: {{type: mastodon, instance: https://mastodon.example}}
  newsletter: {{type: email, from: "Clinic <news@clinic.example>", excerpts_per_issue: 2}}
{hook}
timetable:
  - {{channel: mastodon, weekly: ["TUE 10:00", "WED 10:00", "THU 10:00", "FRI 10:00", "SAT 10:00"]}}
  - {{channel: newsletter, weekly: ["FRI 09:00"]}}
{hook_slot}
run:
  retry: {{attempts: 1}}
"""

BODY = " ".join(f"Sentence number {i} explains one calm idea about therapy and trust."
                for i in range(14))

POST = """---
title: {title}
date: 2025-01-0{n}
slug: post-{n}
url: https://clinic.example/blog/post-{n}
status: {status}   # set by the studio
---

## First part

{body}

## Second part

{body} {extra}
"""


def make_studio_project(root: Path, *, hook_url: str | None = None,
                        statuses: tuple[str, ...] = ("approved", "draft", "draft"),
                        phone_in: int | None = None) -> Path:
    """schedule.yaml + posts post-1..N (two excerpts each); post ``phone_in`` has a phone."""
    root.mkdir(parents=True, exist_ok=True)
    hook = f"  hook: {{type: webhook, url: \"{hook_url}\", timeout: 2}}" if hook_url else ""
    hook_slot = '  - {channel: hook, at: ["2026-12-01T09:00"]}' if hook_url else ""
    (root / "schedule.yaml").write_text(SCHEDULE.format(hook=hook, hook_slot=hook_slot),
                                        encoding="utf-8")
    (root / "posts").mkdir(exist_ok=True)
    for i, status in enumerate(statuses, 1):
        extra = "Call the front desk at (312) 555-0199 to book." if i == phone_in else ""
        (root / "posts" / f"post-{i}.md").write_text(
            POST.format(title=f"Post number {i}", n=i, status=status, body=BODY, extra=extra),
            encoding="utf-8")
    return root


def env() -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
    full["TRUSTPUBLISH_HOOK_WEBHOOK_SECRET"] = HOOK_SECRET
    return full


@dataclass
class Running:
    base: str
    link: str
    root: Path
    process: subprocess.Popen[str]


@contextmanager
def studio(root: Path, *args: str) -> Iterator[Running]:
    """Run ``trustpublish --now NOW studio --port P [args]`` in ``root`` until the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "trustpublish", "--now", NOW, "studio", "--port", str(port),
         *args], cwd=root, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        link = ""
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"studio exited: {process.stderr.read()}")  # type: ignore
            found = re.search(r"(http://127\.0\.0\.1:\d+/login\?token=\S+)", line)
            if found:
                link = found.group(1)
                break
        assert link, "no login link printed"
        yield Running(f"http://127.0.0.1:{port}", link, root, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
