"""Secrets never leak: every channel's credential, through every failure a server can cause.

One project has every channel type, each pointed at servers on 127.0.0.1 that fail
the way real ones do: the connection is refused; the server answers 401 or 500 and
echoes the request back (raw text, and JSON with the secret escaped); the server
never answers (timeout). Every credential contains ``"`` and ``\\`` so the
JSON-escaped echo differs from the raw one. After a real ``run --once`` the test
searches stdout, stderr, ``status``, ``status --json``, ``history --json``, the
SQLite database file and every file in outbox/ for each secret, in its raw,
JSON-escaped and URL-encoded forms, and finds none.
"""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from support import free_port, make_project, tp

SECRET_TAIL = 'Zq"9\\x'  # a quote and a backslash: JSON escapes both


def secret(name: str) -> str:
    return f"S3cr{name}-{SECRET_TAIL}"


HOOK_PATH = "hooksecretpathAAAA1111"
TOKENS = {
    "TRUSTPUBLISH_MASTO_TOKEN": secret("masto"),
    "TRUSTPUBLISH_SKY_APP_PASSWORD": secret("sky"),
    "TRUSTPUBLISH_LI_TOKEN": secret("li"),
    "TRUSTPUBLISH_FB_PAGE_TOKEN": secret("fb"),
    "TRUSTPUBLISH_TG_BOT_TOKEN": "123456:tgSECRETtoken-AAAABBBB",  # goes in the URL path
    "TRUSTPUBLISH_HOOK_WEBHOOK_SECRET": secret("hook"),
    "TRUSTPUBLISH_NEWS_SMTP_PASSWORD": secret("smtp"),
    "TRUSTPUBLISH_SECRET_KEY": secret("key") + "-long-enough-key-material",
}


def forms(value: str) -> set[str]:
    return {value, json.dumps(value)[1:-1], quote(value, safe=""), quote(value), quote_plus(value),
            json.dumps(value, ensure_ascii=True)[1:-1]}


# -- servers that fail -------------------------------------------------------------------
class EchoHandler(BaseHTTPRequestHandler):
    """Answers ``server.mode``: 401/500 echoing the request (raw or JSON), or hangs."""

    def _echo(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        return f"{self.command} {self.path} auth={self.headers.get('Authorization')} body={body}"

    def _answer(self) -> None:
        mode = self.server.mode  # type: ignore[attr-defined]
        echo = self._echo()
        if mode == "timeout":
            time.sleep(4)
            return
        status = 401 if mode == "401" else 500
        if mode.endswith("json"):
            data = json.dumps({"error": "denied", "message": f"you sent {echo}"}).encode()
            kind = "application/json"
        else:
            data = f"you sent {echo}".encode()
            kind = "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


class FakeSmtp(socketserver.ThreadingTCPServer):
    """A mail server that echoes the password back (in a 535, or JSON in a 554), or hangs."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        self.mode = mode
        super().__init__(("127.0.0.1", 0), SmtpHandler)


class SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "timeout":
            time.sleep(4)
            return
        password = ""
        self.wfile.write(b"220 fake ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-fake\r\n250 AUTH PLAIN LOGIN\r\n")
            elif verb == "AUTH":
                raw = base64.b64decode(command.split()[-1]).decode("utf-8", "replace")
                password = raw.split("\0")[-1]
                if mode == "401":
                    self.wfile.write(f"535 5.7.8 wrong password {password}\r\n".encode())
                else:
                    self.wfile.write(b"235 ok\r\n")
            elif verb == "MAIL":
                if mode == "500json":
                    text = json.dumps({"error": f"cannot use {password}"})
                else:
                    text = f"cannot use {password}"
                self.wfile.write(f"554 5.7.1 {text}\r\n".encode())
            elif verb in ("RSET", "NOOP"):
                self.wfile.write(b"250 ok\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 no\r\n")


@pytest.fixture(params=["refused", "401", "500raw", "500json", "timeout"])
def failing(request: pytest.FixtureRequest) -> Iterator[tuple[str, int, int]]:
    mode = request.param
    if mode == "refused":
        yield mode, free_port(), free_port()
        return
    http = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    http.mode = mode  # type: ignore[attr-defined]
    http.daemon_threads = True
    smtp = FakeSmtp(mode)
    for server in (http, smtp):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield mode, http.server_address[1], smtp.server_address[1]
    finally:
        for server in (http, smtp):
            server.shutdown()
            server.server_close()


SCHEDULE = """\
site: {{title: Clinic, url: "https://clinic.example/blog", timezone: UTC,
       postal_address: "1 Main St, Chicago, IL"}}
channels:
  masto: {{type: mastodon, instance: "http://127.0.0.1:{http}", timeout: 1}}
  sky: {{type: bluesky, handle: clinic.example, service: "http://127.0.0.1:{http}", timeout: 1}}
  li: {{type: linkedin, author: "urn:li:organization:1", api_base: "http://127.0.0.1:{http}",
       timeout: 1}}
  fb: {{type: facebook, page_id: "1", api_base: "http://127.0.0.1:{http}", timeout: 1}}
  tg: {{type: telegram, chat: "@clinic", api_base: "http://127.0.0.1:{http}", timeout: 1}}
  dc: {{type: discord, timeout: 1}}
  sl: {{type: slack, timeout: 1}}
  hook: {{type: webhook, timeout: 1}}
  news: {{type: email, from: "Clinic <news@clinic.example>", excerpts_per_issue: 1,
         unsubscribe_url: "https://clinic.example/unsubscribe", timeout: 1}}
timetable:
{entries}
run:
  retry: {{attempts: 1, backoff: 1s, max_backoff: 1s}}
"""
CHANNELS = ("masto", "sky", "li", "fb", "tg", "dc", "sl", "hook", "news")


@pytest.mark.slow
def test_no_secret_in_any_output(tmp_path: Path, failing: tuple[str, int, int]) -> None:
    mode, http_port, smtp_port = failing
    entries = "\n".join(f'  - {{channel: {c}, at: ["2026-12-01T09:00"]}}' for c in CHANNELS)
    make_project(tmp_path, SCHEDULE.format(http=http_port, entries=entries), posts=1)
    env = dict(TOKENS)
    base = f"http://127.0.0.1:{http_port}"
    env["TRUSTPUBLISH_DC_WEBHOOK_URL"] = f"{base}/api/webhooks/1/{HOOK_PATH}dc"
    env["TRUSTPUBLISH_SL_WEBHOOK_URL"] = f"http://127.0.0.1:{http_port}/services/T1/{HOOK_PATH}sl"
    env["TRUSTPUBLISH_HOOK_WEBHOOK_URL"] = f"http://127.0.0.1:{http_port}/in/{HOOK_PATH}hook"
    env["TRUSTPUBLISH_NEWS_SMTP_URL"] = f"smtp://clinic@127.0.0.1:{smtp_port}"
    (tmp_path / "subs.csv").write_text("email,name\nana@example.org,Ana\n", encoding="utf-8")
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=env).returncode == 0

    outputs = []
    run = tp(tmp_path, "--now", "2026-12-01T09:01", "-v", "run", "--once", env=env, timeout=120)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, (run.stdout, run.stderr)  # every delivery failed
    outputs += [run.stdout, run.stderr]
    for args in (("status",), ("--json", "status"), ("--json", "history"), ("history",),
                 ("check",)):
        result = tp(tmp_path, "--now", "2026-12-01T09:05", *args, env=env)
        assert "Traceback" not in result.stderr, result.stderr
        outputs += [result.stdout, result.stderr]
    history = json.loads(tp(tmp_path, "--json", "history", env=env).stdout)
    failed = {row["channel"] for row in history if row["state"] in ("failed", "unknown", "planned")}
    assert failed >= set(CHANNELS) - {"news"} or mode == "refused", history
    assert all(row["error"] for row in history if row["state"] == "failed"), history

    stored = [path.read_bytes().decode("utf-8", "replace")
              for folder in ("state", "outbox") if (tmp_path / folder).is_dir()
              for path in (tmp_path / folder).rglob("*") if path.is_file()]
    assert any(p.name.startswith("trustpublish.db") for p in (tmp_path / "state").iterdir())
    haystacks = outputs + stored
    secrets = [*TOKENS.values(), f"{HOOK_PATH}dc", f"{HOOK_PATH}sl", f"{HOOK_PATH}hook"]
    for value in secrets:
        for form in forms(value):
            for text in haystacks:
                assert form not in text, (mode, value, form, text[:3000])
    if mode != "refused":  # the errors still say what happened
        assert any("***" in text or "HTTP" in text for text in outputs)
