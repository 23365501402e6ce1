"""Retries with backoff against a real local webhook server; the long-running scheduler stops cleanly."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support import cli_env, make_project, tp


class Script:
    """Replies the webhook server gives, in order; then 200."""

    def __init__(self, replies: list[tuple[int, dict[str, str]]]) -> None:
        self.replies = replies
        self.requests: list[str] = []
        self.times: list[float] = []


def serve(script: Script) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            script.requests.append(self.headers.get("Idempotency-Key", ""))
            script.times.append(time.monotonic())
            status, headers = script.replies.pop(0) if script.replies else (200, {})
            body = json.dumps({"id": len(script.requests)} if status == 200
                              else {"error": f"status {status}"}).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def schedule(port: int, retry: str = "{attempts: 3, backoff: 1s, max_backoff: 1s, max_wait: 5s}") -> str:
    return f"""\
site: {{title: Clinic, url: "https://clinic.example/blog", timezone: Europe/Berlin}}
channels:
  hooks: {{type: webhook, url: "http://127.0.0.1:{port}/hook", timeout: 5}}
timetable:
  - {{channel: hooks, cron: "0 9 * * *"}}
run: {{grace: 2h, retry: {retry}}}
"""


ENV = {"TRUSTPUBLISH_HOOKS_WEBHOOK_SECRET": "s3cret"}


def history(root) -> list[dict]:
    return json.loads(tp(root, "--json", "history", env=ENV).stdout)


@pytest.mark.slow
def test_temporary_failures_are_retried_with_backoff_then_sent(tmp_path):
    script = Script([(503, {}), (503, {})])
    server = serve(script)
    try:
        make_project(tmp_path, schedule(server.server_address[1]), posts=1)
        result = tp(tmp_path, "--now", "2026-06-01T09:01", "run", "--once", env=ENV)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        server.shutdown()
    assert len(script.requests) == 3 and len(set(script.requests)) == 1  # same idempotency key
    gaps = [b - a for a, b in zip(script.times, script.times[1:])]
    assert 0.45 <= gaps[0] <= 1.5 and 0.45 <= gaps[1] <= 1.5  # 1s base, jitter 0.5..1, capped at 1s
    row = history(tmp_path)[0]
    assert (row["state"], row["attempts"]) == ("sent", 3)


@pytest.mark.slow
def test_attempts_exhausted_fail_and_retry_command_sends_later(tmp_path):
    script = Script([(503, {})] * 3)
    server = serve(script)
    try:
        make_project(tmp_path, schedule(server.server_address[1]), posts=1)
        failed = tp(tmp_path, "--now", "2026-06-01T09:01", "run", "--once", env=ENV)
        assert failed.returncode == 1
        row = history(tmp_path)[0]
        assert row["state"] == "failed" and "503" in row["error"]
        assert tp(tmp_path, "retry", str(row["id"]), env=ENV).returncode == 0
        ok = tp(tmp_path, "--now", "2026-06-01T09:02", "run", "--once", env=ENV)
        assert ok.returncode == 0, ok.stderr
    finally:
        server.shutdown()
    assert history(tmp_path)[0]["state"] == "sent"
    assert len(script.requests) == 4


@pytest.mark.slow
def test_long_retry_after_is_left_for_a_later_run(tmp_path):
    script = Script([(429, {"Retry-After": "600"})])
    server = serve(script)
    try:
        make_project(tmp_path, schedule(server.server_address[1]), posts=1)
        started = time.monotonic()
        result = tp(tmp_path, "--now", "2026-06-01T09:01", "run", "--once", env=ENV)
        assert time.monotonic() - started < 120  # did not sleep 600 s
        assert "deferred" in result.stdout
        row = history(tmp_path)[0]
        assert row["state"] == "planned" and len(script.requests) == 1
        early = tp(tmp_path, "--now", "2026-06-01T09:05", "run", "--once", env=ENV)
        assert len(script.requests) == 1 and early.returncode == 0
        tp(tmp_path, "--now", "2026-06-01T09:12", "run", "--once", env=ENV)
    finally:
        server.shutdown()
    assert history(tmp_path)[0]["state"] == "sent" and len(script.requests) == 2


def test_permanent_refusal_is_not_retried(tmp_path):
    script = Script([(422, {})])
    server = serve(script)
    try:
        make_project(tmp_path, schedule(server.server_address[1]), posts=1)
        result = tp(tmp_path, "--now", "2026-06-01T09:01", "run", "--once", env=ENV)
    finally:
        server.shutdown()
    assert result.returncode == 1 and len(script.requests) == 1
    assert history(tmp_path)[0]["state"] == "failed"


@pytest.mark.process
def test_scheduler_keeps_jobs_in_state_db_and_stops_on_sigterm(tmp_path):
    make_project(tmp_path, """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: Australia/Sydney}
channels:
  social: {type: outbox}
timetable:
  - {channel: social, cron: "0 9 * * *"}
  - {channel: social, weekly: ["MON 12:30", "THU 17:00"]}
""", posts=1)
    proc = subprocess.Popen([sys.executable, "-m", "trustpublish", "run"], cwd=tmp_path,
                            env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = tmp_path / "state" / "trustpublish.db"
    deadline = time.monotonic() + 45
    jobs: list[str] = []
    while time.monotonic() < deadline and len(jobs) < 4:
        time.sleep(0.3)
        if db.exists():
            try:
                jobs = [r[0] for r in sqlite3.connect(db).execute("select id from tp_apscheduler_jobs")]
            except sqlite3.OperationalError:
                pass
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Scheduler running" in out and "Received SIGTERM" in out and "Scheduler stopped" in out
    assert sorted(jobs) == ["sweep", "timetable:social-1:0", "timetable:social-2:0",
                            "timetable:social-2:1"]
