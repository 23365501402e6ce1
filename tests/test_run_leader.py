"""One scheduler leader per state database (docs/delivery.md, "Several processes").

SQLite: a second `trustpublish run` says another is running and exits 0.
PostgreSQL: a second `run` works beside the leader and takes the schedule over within
seconds when the leader is SIGKILLed. Real processes, the real PostgreSQL server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import DAILY_OUTBOX, make_project
from test_concurrent_runs import Backend

pytestmark = [pytest.mark.slow, pytest.mark.process]

SCHEDULE = DAILY_OUTBOX


class Runner:
    """A `trustpublish run` process whose output lines are collected as they come."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        full = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
        full.update(env)
        self.proc = subprocess.Popen([sys.executable, "-m", "trustpublish", "run"], cwd=root,
                                     env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: list[str] = []
        self.err = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds until ``text`` appeared in the output; fails after ``timeout``."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if any(text in line for line in self.lines):
                return time.monotonic() - start
            if self.proc.poll() is not None and not any(text in line for line in self.lines):
                time.sleep(0.2)
                if any(text in line for line in self.lines):
                    return time.monotonic() - start
                raise AssertionError(f"exited {self.proc.returncode} without {text!r}: "
                                     f"{''.join(self.lines)}{self.proc.stderr.read()}")
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} within {timeout} s: {''.join(self.lines)}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        assert self.proc.stderr is not None
        self.err = self.proc.stderr.read()
        return self.proc.returncode


def test_a_second_run_on_sqlite_says_so_and_exits_0(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    first = Runner(tmp_path, {})
    try:
        first.wait_for("Scheduler running", 60)
        second = Runner(tmp_path, {})
        assert second.proc.wait(timeout=60) == 0
        time.sleep(0.3)
        out = "".join(second.lines)
        assert "is already running" in out and f"process {first.proc.pid}" in out, out
        assert "Scheduler running" not in out
    finally:
        rc = first.stop()
    assert rc == 0 and "Traceback" not in first.err


def test_on_postgresql_a_second_run_follows_and_takes_over_when_the_leader_dies(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    (tmp_path / "subs.csv").write_text("email\nsomeone@example.org\n")
    backend = Backend("postgresql", tmp_path, {})
    env = backend.env_for(backend.url)
    leader = follower = None
    try:
        leader = Runner(tmp_path, env)
        leader.wait_for("Scheduler running", 60)
        follower = Runner(tmp_path, env)
        follower.wait_for("works beside it", 60)
        assert not any("Scheduler running" in line for line in follower.lines)
        os.kill(leader.proc.pid, signal.SIGKILL)
        leader.proc.wait(timeout=30)
        took = follower.wait_for("now runs the schedule", 30)
        follower.wait_for("Scheduler running", 30)
        print(f"\ntakeover after the leader was SIGKILLed: {took:.1f} s")
        assert took < 20
        assert follower.stop() == 0 and "Traceback" not in follower.err
    finally:
        for runner in (leader, follower):
            if runner is not None and runner.proc.poll() is None:
                runner.proc.kill()
        backend.close()
