"""Email digest fan-out through the engine: one ledger row and one message per subscriber.

The commands run in-process; ``run --once`` runs as a process because 300 recipients
over the default three connections fork one worker process per connection.
"""

from __future__ import annotations

import email
import json

import pytest
from aiosmtpd.controller import Controller
from support import free_port, make_project, tp

N = 300


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, email.message.Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        for rcpt in envelope.rcpt_tos:
            self.messages.append((rcpt.lower(), email.message_from_bytes(envelope.content)))
        return "250 2.0.0 Ok"


@pytest.mark.process
def test_digest_issue_fans_out_once_per_active_subscriber(tmp_path):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    try:
        make_project(tmp_path, """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago, IL"}
channels:
  newsletter: {type: email, from: "Clinic <news@clinic.example>", excerpts_per_issue: 2}
timetable:
  - {channel: newsletter, cron: "0 9 * * TUE"}
""", posts=2)
        rows = "".join(f"p{i}@example.org,Person {i},{'unsubscribed' if i == 7 else 'active'}\n"
                       for i in range(N))
        (tmp_path / "subs.csv").write_text("email,name,status\n" + rows)
        assert tp(tmp_path, "subscribers", "import", "subs.csv", env=env).returncode == 0
        result = tp(tmp_path, "--now", "2026-12-01T09:02", "run", "--once", env=env,
                    process=True)
        assert result.returncode == 0, result.stdout + result.stderr
        again = tp(tmp_path, "--now", "2026-12-01T09:30", "run", "--once", env=env)
        assert "nothing due" in again.stdout
    finally:
        controller.stop()
    got = [rcpt for rcpt, _ in sink.messages]
    assert len(got) == len(set(got)) == N - 1 and "p7@example.org" not in got
    first = sink.messages[0][1]
    assert first["List-Unsubscribe"] and first["Message-ID"]
    assert len({m["Message-ID"] for _, m in sink.messages}) == N - 1
    history = json.loads(tp(tmp_path, "--json", "history", "--limit", "1000", env=env).stdout)
    assert len(history) == N - 1 and {h["state"] for h in history} == {"sent"}
    assert {h["item"] for h in history} == {"newsletter-0001"}
    plan = json.loads(tp(tmp_path, "--now", "2026-12-01T08:00", "--json", "plan", "--days", "8").stdout)
    assert [(p["item"], p["state"]) for p in plan] == [("newsletter-0001", "sent"),
                                                       ("newsletter-0002", "planned")]
    assert plan[0]["excerpts"] == ["post-000/first-part", "post-000/second-part"]
