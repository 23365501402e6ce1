"""A fan-out to 2,000 subscribers over 3 connections, SIGKILLed several times: nobody is lost.

aiosmtpd on 127.0.0.1 records every message; the server kills `trustpublish run --once`
from the outside when it has seen the k-th message of a run (either before answering
or just after). Restarted until the run finishes. docs/guarantees.md#exactly-once: never lost; a duplicate
only for a message accepted but not yet recorded, at most one per open connection
per crash.
"""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from support import cli_env, free_port, make_project, tp

pytestmark = [pytest.mark.slow, pytest.mark.process]

SUBSCRIBERS = 2000
CONNECTIONS = 3


class Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []
        self.sessions: set[int] = set()
        self.proc: subprocess.Popen[str] | None = None
        self.k = 0
        self.seen = 0
        self.kills = 0

    def arm(self, proc: subprocess.Popen[str] | None, k: int) -> None:
        with self.lock:
            self.proc, self.k, self.seen = proc, k, 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        mid = email.message_from_bytes(envelope.content).get("Message-ID", "")
        kill_now = False
        with self.lock:
            self.sessions.add(id(session))
            for rcpt in envelope.rcpt_tos:
                self.received.append((rcpt.lower(), mid))
            self.seen += 1
            if self.proc is not None and self.seen == self.k and self.proc.poll() is None:
                kill_now = True
                proc, self.proc = self.proc, None
        if kill_now:
            os.kill(proc.pid, signal.SIGKILL)
            self.kills += 1
            if self.kills % 2:  # the client dies while the server holds the message
                return "451 4.3.0 the client is gone"
        return "250 2.0.0 Ok"


def test_sigkill_during_a_2000_recipient_fanout_loses_no_one(tmp_path):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    make_project(tmp_path, f"""\
site: {{title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago, IL"}}
channels:
  newsletter: {{type: email, from: "Clinic <news@clinic.example>", excerpts_per_issue: 2,
               connections: {CONNECTIONS}}}
timetable:
  - {{channel: newsletter, at: ["2026-03-05T08:00"]}}
run: {{grace: 1d}}
""", posts=1)
    (tmp_path / "subs.csv").write_text("email,name\n" + "".join(
        f"person{i}@example.org,Person {i}\n" for i in range(SUBSCRIBERS)))
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=env).returncode == 0
    full = cli_env(env)
    cmd = [sys.executable, "-m", "trustpublish", "--now", "2026-03-05T09:00", "run", "--once"]
    plan = [1, 150, 7, 400, 90, 2]  # the k-th message of each run
    started, runs = time.monotonic(), 0
    try:
        while True:
            runs += 1
            assert runs < 20 and time.monotonic() - started < 600, "the runs never finished"
            proc = subprocess.Popen(cmd, cwd=tmp_path, env=full, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            sink.arm(proc, plan.pop(0) if plan else 0)
            out, err = proc.communicate(timeout=90)
            sink.arm(None, 0)
            if proc.returncode == -signal.SIGKILL:
                continue
            assert proc.returncode == 0, out + err
            assert "Traceback" not in err
            if "nothing due" in out:
                break
    finally:
        controller.stop()
    assert sink.kills == 6
    per_person = Counter(rcpt for rcpt, _ in sink.received)
    assert len(per_person) == SUBSCRIBERS  # never lost
    duplicates = sum(n - 1 for n in per_person.values())
    print(f"\n{runs} runs, {sink.kills} kills, {len(sink.received)} messages, {duplicates} duplicates")
    assert duplicates <= sink.kills * CONNECTIONS  # at most one per open connection per crash
    assert len({mid for _, mid in sink.received}) == SUBSCRIBERS  # the same Message-ID on a resend
    history = json.loads(tp(tmp_path, "--json", "history", "--limit", "100000", env=env).stdout)
    assert len(history) == SUBSCRIBERS and {h["state"] for h in history} == {"sent"}
