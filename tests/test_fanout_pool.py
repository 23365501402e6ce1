"""The fan-out's connection pool, summary by reason, and dry run, against aiosmtpd."""

from __future__ import annotations

import json

import pytest
from aiosmtpd.controller import Controller
from support import free_port, make_project, tp

N = 600
pytestmark = pytest.mark.process  # 600 recipients over 3 connections: forked workers


class Sink:
    def __init__(self) -> None:
        self.received: list[str] = []
        self.sessions: set[int] = set()

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("gone"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.sessions.add(id(session))
        self.received.extend(r.lower() for r in envelope.rcpt_tos)
        return "250 2.0.0 Ok"


SCHEDULE = """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago, IL"}
channels:
  newsletter: {type: email, from: "Clinic <news@clinic.example>", connections: 3}
timetable:
  - {channel: newsletter, at: ["2026-03-05T08:00"]}
run: {grace: 1d, retry: {attempts: 2, backoff: 0, max_backoff: 0}}
"""


def test_fanout_uses_a_small_pool_and_summarises_failures_by_reason(tmp_path):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    make_project(tmp_path, SCHEDULE, posts=1)
    rows = [f"p{i}@example.org" for i in range(N - 3)] + [f"gone{i}@example.org" for i in range(3)]
    (tmp_path / "subs.csv").write_text("email\n" + "\n".join(rows) + "\n")
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=env).returncode == 0
    try:
        dry = tp(tmp_path, "--dry-run", "--now", "2026-03-05T09:00", "run", "--once", env=env)
        assert f"({N} recipients)" in dry.stdout and sink.received == []
        result = tp(tmp_path, "--now", "2026-03-05T09:00", "run", "--once", env=env,
                    process=True)
    finally:
        controller.stop()
    assert result.returncode == 1  # some deliveries failed
    assert sorted(sink.received) == sorted(rows[:-3])
    assert 1 < len(sink.sessions) <= 3  # a pool of reused connections, not one per message
    out = result.stdout
    assert f"newsletter newsletter-0001: {N - 3} sent, 3 failed, 0 skipped" in out
    # the README's label starts the reason; the channel is not repeated (issue 13)
    assert ("failed (3): Delivery failed: the mail server answered 550 5.1.1 mailbox unavailable "
            "while naming the recipient") in out
    assert "Done: 3 failed, 597 sent\n" in out
    assert "━" not in result.stderr  # no progress bar when stderr is not a terminal
    history = json.loads(tp(tmp_path, "--json", "history", "--limit", "5000", env=env).stdout)
    failed = [h for h in history if h["state"] == "failed"]
    assert sorted(h["recipient"] for h in failed) == rows[-3:]
