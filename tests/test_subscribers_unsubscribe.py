"""One-click unsubscribe end to end: a real digest, `trustpublish serve`, the next issue.

aiosmtpd on 127.0.0.1 receives the digests; `trustpublish serve` runs as a real
process; the link comes from the List-Unsubscribe header of the message bob got.
"""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller
from support import cli_env, free_port, make_project, tp

from trustpublish.deliver.unsubscribe import TokenSigner, load_secret_key

N = 40
pytestmark = pytest.mark.process  # `serve` and SIGKILL; 40 recipients fork fan-out workers


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, email.message.Message]] = []
        self.kill: tuple[int, subprocess.Popen[str]] | None = None  # (after n messages, process)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt.lower(), email.message_from_bytes(envelope.content)))
            if self.kill and len(self.messages) >= self.kill[0] and self.kill[1].poll() is None:
                os.kill(self.kill[1].pid, signal.SIGKILL)
        return "250 2.0.0 Ok"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for r, m in self.messages if r == address]


def _serve(root: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "trustpublish", "serve", "--port", str(port)],
                            cwd=root, env=cli_env(env), text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/unsubscribe", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.communicate()[1])


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, Sink, dict[str, str], str]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    port = free_port()
    env = {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    make_project(tmp_path, f"""\
site: {{title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago, IL"}}
channels:
  newsletter: {{type: email, from: "Clinic <news@clinic.example>", excerpts_per_issue: 1,
               unsubscribe_url: "http://127.0.0.1:{port}/unsubscribe"}}
timetable:
  - {{channel: newsletter, cron: "0 9 * * TUE"}}
""", posts=2)
    (tmp_path / "subs.csv").write_text("email,name\n" + "".join(
        f"p{i:02d}@example.org,Person {i}\n" for i in range(N)))
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=env).returncode == 0
    server = _serve(tmp_path, port, env)
    try:
        yield tmp_path, sink, env, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        controller.stop()


def _status(root: Path, address: str) -> str:
    import json

    rows = json.loads(tp(root, "--json", "subscribers", "list").stdout)
    return next(r["status"] for r in rows if r["email"] == address)


def test_get_never_unsubscribes_post_does_and_the_next_digest_skips_them(setup):
    root, sink, env, base = setup
    assert tp(root, "--now", "2026-12-01T09:01", "run", "--once", env=env,
              process=True).returncode == 0
    assert len(sink.messages) == N
    message = sink.to("p03@example.org")[0]
    header = message["List-Unsubscribe"]
    link = header.split("<", 1)[1].split(">", 1)[0]
    assert link.startswith(f"{base}/unsubscribe?t=") and "p03" not in link  # signed, opaque
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for _ in range(3):  # link scanners and previewers only GET
        page = requests.get(link, timeout=5)
        assert page.status_code == 200 and 'method="post"' in page.text
    assert _status(root, "p03@example.org") == "active"
    # someone else's token with one character changed does nothing (not the last one:
    # its low bits are base64 padding, so changing it may leave the signature as it was)
    other = sink.to("p04@example.org")[0]["List-Unsubscribe"].split("<", 1)[1].split(">", 1)[0]
    forged = other[:-5] + ("A" if other[-5] != "A" else "B") + other[-4:]
    assert requests.post(forged, data="List-Unsubscribe=One-Click", timeout=5).status_code == 400
    assert _status(root, "p04@example.org") == "active"
    done = requests.post(link, data="List-Unsubscribe=One-Click", timeout=5,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "unsubscribed" in done.text
    assert _status(root, "p03@example.org") == "unsubscribed"
    # a later import does not bring them back
    assert tp(root, "subscribers", "import", "subs.csv", env=env).returncode == 0
    assert _status(root, "p03@example.org") == "unsubscribed"
    sink.messages.clear()
    assert tp(root, "--now", "2026-12-08T09:01", "run", "--once", env=env,
              process=True).returncode == 0
    assert len(sink.messages) == N - 1 and sink.to("p03@example.org") == []


def test_an_unsubscribe_during_an_interrupted_send_is_honoured_on_restart(setup):
    """Ledger rows exist for everyone; the status is checked again when each is sent."""
    root, sink, env, base = setup
    proc = subprocess.Popen([sys.executable, "-m", "trustpublish", "--now", "2026-12-01T09:01",
                             "run", "--once"], cwd=root, env=cli_env(env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sink.kill = (5, proc)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    last = f"p{N - 1:02d}@example.org"
    assert sink.to(last) == []
    signer = TokenSigner(load_secret_key(root / "state"))  # the key the engine signed with
    response = requests.post(signer.url(f"{base}/unsubscribe", last, "newsletter"),
                             data="List-Unsubscribe=One-Click", timeout=5)
    assert response.status_code == 200
    result = tp(root, "--now", "2026-12-01T09:05", "run", "--once", env=env, process=True)
    assert result.returncode == 0, result.stderr
    assert sink.to(last) == []
    got = {r for r, _ in sink.messages}
    assert got == {f"p{i:02d}@example.org" for i in range(N - 1)}
    assert "skipped (1): unsubscribed" in result.stdout
