"""`plan` for 1,000 posts x 8 channels (docs/guarantees.md#performance-targets: under 1 s).

Prints two figures:
* the planner alone (timetable expansion + per-channel queues) on 1,000 posts with
  8 excerpts each, 8 channels, for 14 and 365 days;
* the whole `trustpublish plan --days 14` command on a generated project of 1,000
  posts, as a user runs it: first run (reads and splits every post) and the next
  run (post files unchanged, queue from the content cache, state/cache/content.json.gz).
Run: .venv/bin/python benchmarks/plan_bench.py
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from trustpublish.plan.planner import Candidate, plan
from trustpublish.plan.timetable import expand, parse_timetable

CHANNELS = {f"c{i}": ({"type": "email", "excerpts_per_issue": 3} if i == 0 else {"type": "outbox"})
            for i in range(8)}
TIMETABLE = [{"channel": name, "cron": f"{i * 7} {8 + i} * * *"} for i, name in enumerate(CHANNELS)] + \
    [{"channel": "c1", "weekly": ["MON 12:30", "THU 17:00"]}]


def planner_only(days: int) -> float:
    zone = ZoneInfo("America/Chicago")
    queue = [Candidate(f"post-{p:04d}/part-{e}", f"post-{p:04d}", None,
                       None if p % 5 else ("c1", "c2")) for p in range(1000) for e in range(8)]
    start = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    t0 = time.perf_counter()
    entries = parse_timetable(TIMETABLE, list(CHANNELS))
    slots = expand(entries, zone, start, start + dt.timedelta(days=days))
    result = plan(slots, queue, CHANNELS, ())
    elapsed = time.perf_counter() - t0
    assert len(result) == len(slots)
    return elapsed


def whole_command() -> tuple[float, float]:
    from engine_helpers import make_project

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lines = "\n".join(f"  c{i}: {{type: outbox}}" for i in range(8))
        table = "\n".join(f'  - {{channel: c{i}, cron: "{i * 7} {8 + i} * * *"}}' for i in range(8))
        make_project(root, "site: {title: B, url: https://b.example, timezone: America/Chicago}\n"
                     f"channels:\n{lines}\ntimetable:\n{table}\n", posts=1000)
        cmd = [sys.executable, "-m", "trustpublish", "--now", "2026-03-01T00:00", "plan", "--days", "14"]
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=root, capture_output=True, check=True)  # reads and splits every post
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=root, capture_output=True, check=True)  # the content cache
        return cold, time.perf_counter() - t0


if __name__ == "__main__":
    for days in (14, 365):
        t = planner_only(days)
        print(f"planner, 1000 posts x 8 channels, {days:3d} days: {t:.3f} s  "
              f"(target 1 s: ratio {t / 1.0:.2f})")
    cold, warm = whole_command()
    print(f"`trustpublish plan --days 14`, 1000 posts x 8 channels, first run (reads + splits all): "
          f"{cold:.2f} s")
    print(f"`trustpublish plan --days 14`, 1000 posts x 8 channels, cached queue: {warm:.2f} s  "
          f"(target 1 s: ratio {warm:.2f})")
