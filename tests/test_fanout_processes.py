"""The fan-out's worker processes (one per connection) on SQLite and PostgreSQL.

A 300-recipient digest over 3 connections goes through forked workers: every
recipient gets exactly one message, the ledger says ``sent`` for each, and the
summary counted in the parent matches. PostgreSQL comes from
``TRUSTPUBLISH_TEST_POSTGRES_URL`` (``bash scripts/ensure-postgres.sh``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
from aiosmtpd.controller import Controller
from support import free_port, make_project, tp
from test_state_backends import _postgres

N = 300
pytestmark = pytest.mark.process

SCHEDULE = """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago, IL"}
channels:
  newsletter: {type: email, from: "Clinic <news@clinic.example>", connections: 3}
timetable:
  - {channel: newsletter, at: ["2026-03-05T08:00"]}
run: {grace: 1d}
"""


class Sink:
    def __init__(self) -> None:
        self.received: list[str] = []
        self.sessions: set[int] = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.sessions.add(id(session))
        self.received.extend(r.lower() for r in envelope.rcpt_tos)
        return "250 2.0.0 Ok"


@pytest.fixture(params=["sqlite", "postgresql"])
def state_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {}
        return
    for url in _postgres():
        yield {"TRUSTPUBLISH_STATE_URL": url}


def test_worker_processes_send_each_recipient_once_and_settle_every_row(tmp_path, state_env):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = state_env | {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    make_project(tmp_path, SCHEDULE, posts=1)
    rows = [f"p{i}@example.org" for i in range(N)]
    (tmp_path / "subs.csv").write_text("email\n" + "\n".join(rows) + "\n")
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=env).returncode == 0
    try:
        result = tp(tmp_path, "--now", "2026-03-05T09:00", "run", "--once", env=env,
                    process=True)
    finally:
        controller.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"newsletter newsletter-0001: {N} sent, 0 failed, 0 skipped" in result.stdout
    assert Counter(sink.received) == Counter(rows)  # each exactly once
    assert 1 < len(sink.sessions) <= 3
    history = json.loads(tp(tmp_path, "--json", "history", "--limit", "5000", env=env).stdout)
    assert len(history) == N and {h["state"] for h in history} == {"sent"}
