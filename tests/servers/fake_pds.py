"""A tiny Bluesky PDS for tests, run as its own process: ``python fake_pds.py PORT STORE``.

It answers ``createSession`` and ``putRecord`` like a real PDS (put = create or replace
at ``rkey``) and keeps its repository in the JSON file STORE, so a restarted server
still has the records of the one before. Every write is appended to ``STORE.log``
(one JSON line, flushed before the answer). With ``FAKE_PDS_DIE_AT=N`` the process
SIGKILLs itself when the N-th putRecord arrives, before storing or answering it: a
server that dies mid-thread.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DID = "did:plc:fakeclinic"
PORT, STORE = int(sys.argv[1]), Path(sys.argv[2])
LOG = STORE.with_suffix(".log")
DIE_AT = int(os.environ.get("FAKE_PDS_DIE_AT", "0"))
puts = 0


def load() -> dict[str, dict]:
    return json.loads(STORE.read_text()) if STORE.exists() else {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        global puts
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path.endswith("com.atproto.server.createSession"):
            if body.get("password") != "app-pass-1234":
                return self.answer(401, {"error": "AuthenticationRequired",
                                         "message": "Invalid identifier or password"})
            return self.answer(200, {"did": DID, "handle": body["identifier"],
                                     "accessJwt": "access-jwt", "refreshJwt": "refresh-jwt"})
        if self.path.endswith("com.atproto.repo.putRecord"):
            puts += 1
            if puts == DIE_AT:
                os.kill(os.getpid(), signal.SIGKILL)
            rkey = body["rkey"]
            uri = f"at://{DID}/app.bsky.feed.post/{rkey}"
            records = load()
            records[rkey] = body["record"]
            STORE.write_text(json.dumps(records))
            with LOG.open("a") as log:
                log.write(json.dumps({"rkey": rkey, "record": body["record"]}) + "\n")
                log.flush()
            return self.answer(200, {"uri": uri, "cid": f"cid-{rkey}"})
        return self.answer(404, {"error": "MethodNotImplemented"})


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
