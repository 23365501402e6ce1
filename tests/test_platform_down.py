"""A platform that is down is not hammered (docs/delivery.md, "When a platform is down").

Real local servers on 127.0.0.1:

* an aiosmtpd sink that dies after 10 of 60 messages: the run ends in well under 30 s
  (the channel's circuit opens), the rest stay ``planned`` with "waiting: server
  unreachable since …" and a next attempt time, and a later run resumes them by itself
  with nobody sent twice;
* an HTTP webhook that answers 429 with ``Retry-After``: the wait is honoured, and a
  wait longer than ``run.retry.max_wait`` leaves the delivery for a run after that time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from support import free_port, make_project
from support import tp as _tp


def tp(*args, **kwargs):  # noqa: ANN  # these tests were written for real processes
    return _tp(*args, process=True, **kwargs)

pytestmark = [pytest.mark.slow, pytest.mark.process]

N = 60


class DyingSink:
    """Accepts ``die_after`` messages, then stops the server (from another thread)."""

    def __init__(self, die_after: int | None) -> None:
        self.die_after = die_after
        self.received: Counter[str] = Counter()
        self.controller: Controller | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt.lower()] += 1
            dying = self.die_after is not None and sum(self.received.values()) == self.die_after
        if dying:
            threading.Thread(target=self.controller.stop, daemon=True).start()
        return "250 2.0.0 Ok"


def _states(root: Path) -> list[tuple[str, str | None, str | None]]:
    with sqlite3.connect(root / "state" / "trustpublish.db") as db:
        return list(db.execute("select state, error, next_attempt_at from tp_deliveries "
                               "where recipient is not null order by id"))


def test_a_dead_smtp_server_mid_send_leaves_the_rest_waiting_and_a_later_run_resumes(tmp_path):
    port = free_port()
    sink = DyingSink(die_after=10)
    sink.controller = Controller(sink, hostname="127.0.0.1", port=port)
    sink.controller.start()
    env = {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}",
           "TRUSTPUBLISH_SECRET_KEY": "platform-down-test-" + "k" * 32}
    make_project(tmp_path, """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago"}
channels:
  newsletter: {type: email, from: "Clinic <news@clinic.example>", connections: 1}
timetable:
  - {channel: newsletter, at: ["2026-03-05T08:00"]}
run: {grace: 1d}
""", posts=1)
    rows = [f"p{i}@example.org" for i in range(N)]
    (tmp_path / "subs.csv").write_text("email\n" + "\n".join(rows) + "\n")
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=env).returncode == 0
    start = time.monotonic()
    first = tp(tmp_path, "--now", "2026-03-05T09:00", "run", "--once", env=env, timeout=120)
    took = time.monotonic() - start
    print(f"\ndead SMTP server after 10 of {N}: the run ended in {took:.1f} s")
    assert took < 60, first.stdout  # before the circuit breaker: 226 s
    assert "Traceback" not in first.stderr, first.stderr
    assert sum(sink.received.values()) == 10
    states = _states(tmp_path)
    counts = Counter(s for s, _, _ in states)
    assert counts["sent"] == 10 and counts["planned"] == N - 10, counts
    waiting = [(e, n) for s, e, n in states if s == "planned"]
    assert all(e.startswith("waiting: server unreachable since 2026-03-05 15:00:00 UTC")
               for e, _ in waiting), waiting[:3]
    assert all(n and n > "2026-03-05T15:00:00" for _, n in waiting)  # a next attempt time
    assert "waiting: server unreachable since" in first.stdout
    status = tp(tmp_path, "--now", "2026-03-05T09:01", "status", env=env)
    assert "server unreachable" in status.stdout and "run --once" in status.stdout, status.stdout

    # before the next attempt time nothing is tried; after it, the run resumes by itself
    sink2 = DyingSink(die_after=None)
    again = Controller(sink2, hostname="127.0.0.1", port=port)
    again.start()
    try:
        early = tp(tmp_path, "--now", "2026-03-05T09:01", "run", "--once", env=env)
        assert early.returncode == 0 and sum(sink2.received.values()) == 0, early.stdout
        later = tp(tmp_path, "--now", "2026-03-05T09:10", "run", "--once", env=env)
    finally:
        again.stop()
    assert later.returncode == 0, later.stdout + later.stderr
    both = sink.received + sink2.received
    assert set(both) == set(rows) and max(both.values()) == 1
    assert Counter(s for s, _, _ in _states(tmp_path)) == {"sent": N}


class Limited(BaseHTTPRequestHandler):
    """Answers 429 with ``Retry-After`` to the first ``limited`` requests, then 200."""

    retry_after = "2"
    limited = 1
    seen: list[float] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(time.monotonic())
        if len(type(self).seen) <= type(self).limited:
            self.send_response(429)
            self.send_header("Retry-After", type(self).retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"id": "1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _webhook_project(root: Path, port: int) -> dict[str, str]:
    make_project(root, f"""\
site: {{title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago}}
channels:
  hooks: {{type: webhook, url: "http://127.0.0.1:{port}/hook"}}
timetable:
  - {{channel: hooks, at: ["2026-03-05T08:00"]}}
run: {{grace: 1d, retry: {{attempts: 4, backoff: 0, max_backoff: 0, max_wait: 30}}}}
""", posts=1)
    return {"TRUSTPUBLISH_HOOKS_WEBHOOK_SECRET": "s3cret"}


@pytest.mark.parametrize("retry_after, runs", [("2", 1), ("600", 3)])
def test_429_retry_after_is_honoured(tmp_path, retry_after, runs):
    handler = type("H", (Limited,), {"retry_after": retry_after, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = _webhook_project(tmp_path, server.server_address[1])
    try:
        first = tp(tmp_path, "--now", "2026-03-05T09:00", "run", "--once", env=env)
        if runs == 1:  # a short wait is slept within the run
            assert first.returncode == 0 and "sent #1" in first.stdout, first.stdout
            assert len(handler.seen) == 2
            assert handler.seen[1] - handler.seen[0] >= 2.0
            return
        # 600 s is longer than max_wait: left for a run after that time, not hammered
        assert first.returncode == 0 and "deferred #1" in first.stdout, first.stdout
        status = tp(tmp_path, "--now", "2026-03-05T09:01", "--json", "status", env=env)
        waiting = json.loads(status.stdout)["waiting"]
        assert waiting[0]["until"].startswith("2026-03-05T15:10"), waiting
        too_early = tp(tmp_path, "--now", "2026-03-05T09:05", "run", "--once", env=env)
        assert too_early.returncode == 0 and len(handler.seen) == 1
        after = tp(tmp_path, "--now", "2026-03-05T09:11", "run", "--once", env=env)
        assert after.returncode == 0 and "sent #1" in after.stdout, after.stdout
        assert len(handler.seen) == 2
    finally:
        server.shutdown()
    assert os.path.exists(tmp_path / "state" / "trustpublish.db")
