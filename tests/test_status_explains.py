"""`status` explains every delivery that waits, and its hints name only commands that
accept that delivery (docs/delivery.md, "Reading status"). Real local HTTP servers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support import make_project
from support import tp as _tp


def tp(*args, **kwargs):  # noqa: ANN  # these tests were written for real processes
    return _tp(*args, process=True, **kwargs)


class Refusing(BaseHTTPRequestHandler):
    """The webhook refuses (400); the Discord endpoint drops the connection mid-request."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/hook"):
            body = b'{"error": "bad payload"}'
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.connection.close()  # no answer: the post may or may not exist


@pytest.mark.slow
@pytest.mark.process
def test_status_explains_failed_unknown_and_due_deliveries_with_hints_they_accept(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    env = {"TRUSTPUBLISH_HOOKS_WEBHOOK_SECRET": "s3cret",
           "TRUSTPUBLISH_DISC_WEBHOOK_URL": f"http://127.0.0.1:{port}/api/webhooks/1/t"}
    make_project(tmp_path, f"""\
site: {{title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago}}
channels:
  hooks: {{type: webhook, url: "http://127.0.0.1:{port}/hook"}}
  disc: {{type: discord}}
timetable:
  - {{channel: hooks, at: ["2026-03-05T08:00"]}}
  - {{channel: disc, at: ["2026-03-05T08:01"]}}
run: {{grace: 1d, retry: {{attempts: 1}}}}
""", posts=1)
    try:
        run = tp(tmp_path, "--now", "2026-03-05T09:00", "run", "--once", env=env)
    finally:
        server.shutdown()
    assert run.returncode == 1, run.stdout
    status = tp(tmp_path, "--now", "2026-03-05T09:31", "--json", "status", env=env)
    waiting = {w["channel"]: w for w in json.loads(status.stdout)["waiting"]}
    failed, unknown = waiting["hooks"], waiting["disc"]
    assert failed["state"] == "failed" and "400" in failed["why"]
    assert f"trustpublish retry {failed['ids'][0]}" in failed["action"]
    assert "resolve" not in failed["action"]
    assert unknown["state"] == "unknown"
    assert f"trustpublish resolve {unknown['ids'][0]} --sent" in unknown["action"]
    assert "retry" not in unknown["action"]
    # the hints are accepted: retry takes the failed one, and refuses the unknown one
    assert tp(tmp_path, "retry", str(unknown["ids"][0]), env=env).returncode != 0
    assert tp(tmp_path, "retry", str(failed["ids"][0]), env=env).returncode == 0
    status = tp(tmp_path, "--now", "2026-03-05T09:31", "--json", "status", env=env)
    due = {w["channel"]: w for w in json.loads(status.stdout)["waiting"]}["hooks"]
    assert due["state"] == "planned" and "run --once" in due["action"]
    text = tp(tmp_path, "--now", "2026-03-05T09:31", "status", env=env).stdout
    assert "what to do:" in text and "resolve" in text
