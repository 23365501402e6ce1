"""Several `trustpublish run --once` on one state database at once (docs/delivery.md).

2 to 4 runner processes start at random offsets (0-2 s) against the same state, on
SQLite and on the real PostgreSQL server, at least 20 tries each. Real local servers
on 127.0.0.1 count what arrives: an aiosmtpd sink for a 2,000-subscriber digest, an
idempotent webhook (``Idempotency-Key``) and a non-idempotent Discord-style webhook
(every request posts). Each try must show 0 duplicates, 0 lost and 0 internal errors,
and leave no row ``planned``, ``sending`` or ``unknown``.

Then a runner is SIGKILLed mid-fan-out while another runs: 0 lost, duplicates within
one per open connection of the killed runner.

``TP_CONCURRENCY_TRIES`` overrides the number of tries per backend (default 20, in 4
tests of 5 tries each, so that parallel test workers share them).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from support import free_port, make_project
from support import tp as _tp


def tp(*args, **kwargs):  # noqa: ANN  # these tests were written for real processes
    return _tp(*args, process=True, **kwargs)

pytestmark = [pytest.mark.slow, pytest.mark.process]

SUBSCRIBERS = 2000
CONNECTIONS = int(os.environ.get("TP_CONC_CONNECTIONS", "2"))
POSTS = 3  # two excerpts each: 6 items per social channel
TRIES = int(os.environ.get("TP_CONCURRENCY_TRIES", "20"))
CHUNKS = 4  # the tries of one backend come in 4 tests, shared by parallel test workers
NOW = "2026-03-05T09:00"
ADMIN_URL = os.environ.get(
    "TRUSTPUBLISH_TEST_POSTGRES_URL",
    "postgresql+psycopg://trustpublish:trustpublish@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class Servers:
    """What arrived at the SMTP sink and the two HTTP endpoints (reset per try)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.on_message: object = None  # callable(count) for the SIGKILL test
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.emails: Counter[str] = Counter()
            self.hook: Counter[str] = Counter()  # Idempotency-Key → requests
            self.disc: Counter[str] = Counter()  # content → posts

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.emails[rcpt.lower()] += 1
            seen = sum(self.emails.values())
        if callable(self.on_message):
            self.on_message(seen)
        return "250 2.0.0 Ok"


def _handler(servers: Servers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, body: dict) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with servers.lock:
                if self.path.startswith("/hook"):
                    key = self.headers.get("Idempotency-Key", "")
                    servers.hook[key] += 1
                    n = len(servers.hook)
                else:
                    content = json.loads(body)["content"]
                    servers.disc[content] += 1
                    n = len(servers.disc)
            self._answer({"id": str(n), "channel_id": "1"})

    return Handler


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Servers, int, int]]:
    found = Servers()
    smtp = Controller(found, hostname="127.0.0.1", port=free_port())
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield found, smtp.port, http.server_address[1]
    finally:
        smtp.stop()
        http.shutdown()


def _project(root: Path, http_port: int) -> None:
    hooks = ", ".join(f'"2026-03-05T08:{i:02d}"' for i in range(POSTS * 2))
    disc = ", ".join(f'"2026-03-05T08:{30 + i:02d}"' for i in range(POSTS * 2))
    make_project(root, f"""\
site: {{title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago"}}
channels:
  newsletter: {{type: email, from: "Clinic <news@clinic.example>", connections: {CONNECTIONS},
               excerpts_per_issue: 1}}
  hooks: {{type: webhook, url: "http://127.0.0.1:{http_port}/hook", timeout: 10}}
  disc: {{type: discord, timeout: 10}}
timetable:
  - {{channel: newsletter, at: ["2026-03-05T07:59"]}}
  - {{channel: hooks, at: [{hooks}]}}
  - {{channel: disc, at: [{disc}]}}
run: {{grace: 1d, retry: {{attempts: 3, backoff: 0, max_backoff: 0}}}}
""", posts=POSTS)
    rows = [f"person{i}@example.org" for i in range(SUBSCRIBERS)]
    (root / "subs.csv").write_text("email,name\n" + "\n".join(f"{r},P {i}"
                                                              for i, r in enumerate(rows)) + "\n")


def _env(smtp_port: int, http_port: int, state_url: str) -> dict[str, str]:
    return {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "TRUSTPUBLISH_HOOKS_WEBHOOK_SECRET": "test-secret",
            "TRUSTPUBLISH_DISC_WEBHOOK_URL": f"http://127.0.0.1:{http_port}/api/webhooks/1/t",
            "TRUSTPUBLISH_SECRET_KEY": "concurrency-test-key-" + "x" * 32,
            "TRUSTPUBLISH_STATE_URL": state_url}


def _popen(root: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
    full.update(env)
    return subprocess.Popen([sys.executable, "-m", "trustpublish", "--now", NOW, "run", "--once"],
                            cwd=root, env=full, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


class Backend:
    """A state database per try with the 2,000 subscribers already in it."""

    def __init__(self, kind: str, root: Path, env: dict[str, str]) -> None:
        self.kind, self.root, self.env = kind, root, env
        self.admin = None
        self.db_name = ""
        if kind == "sqlite":
            self.template = root / "template.db"
            url = f"sqlite:///{self.template}"
        else:
            from sqlalchemy import create_engine, text

            try:
                self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
                with self.admin.connect() as conn:
                    conn.execute(text("select 1"))
            except Exception as exc:  # noqa: BLE001 - any failure means "no server"
                message = f"no PostgreSQL server ({type(exc).__name__})"
                if IN_CI:
                    pytest.fail(f"PostgreSQL tests must run in CI: {message}")
                pytest.skip(message)
            self.db_name = f"tp_conc_{uuid.uuid4().hex[:12]}"
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
            url = ADMIN_URL.rsplit("/", 1)[0] + f"/{self.db_name}"
        self.url = url
        done = tp(root, "subscribers", "import", "subs.csv", env=self.env_for(url))
        assert done.returncode == 0, done.stderr

    def env_for(self, url: str) -> dict[str, str]:
        return {**self.env, "TRUSTPUBLISH_STATE_URL": url}

    def fresh(self, n: int) -> str:
        """The state URL for try ``n``: subscribers only, no slots or deliveries yet."""
        if self.kind == "sqlite":
            path = self.root / f"try-{n}.db"
            shutil.copy(self.template, path)
            return f"sqlite:///{path}"
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE tp_deliveries, tp_slots, tp_meta, tp_runs "
                              "RESTART IDENTITY CASCADE"))
        engine.dispose()
        return self.url

    def states(self, url: str) -> Counter[str]:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            found = Counter({s: n for s, n in conn.execute(
                text("SELECT state, count(*) FROM tp_deliveries GROUP BY state"))})
        engine.dispose()
        return found

    def close(self) -> None:
        if self.admin is not None:
            from sqlalchemy import text

            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
            self.admin.dispose()


def _count(servers: Servers) -> tuple[int, int]:
    """(duplicates, lost) at the servers for one complete send."""
    expected = {f"person{i}@example.org" for i in range(SUBSCRIBERS)}
    with servers.lock:
        dup = sum(n - 1 for n in servers.emails.values() if n > 1)
        dup += sum(n - 1 for n in servers.hook.values() if n > 1)
        dup += sum(n - 1 for n in servers.disc.values() if n > 1)
        lost = len(expected - set(servers.emails))
        lost += POSTS * 2 - len(servers.hook) + POSTS * 2 - len(servers.disc)
    return dup, lost


@pytest.mark.parametrize("chunk", range(CHUNKS))
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_overlapping_runs_send_everything_exactly_once(kind, chunk, servers, tmp_path):
    """Tries ``chunk * per_chunk`` to ``(chunk + 1) * per_chunk - 1`` of this backend: the
    tries come in ``CHUNKS`` tests so that parallel test workers share them."""
    found, smtp_port, http_port = servers
    _project(tmp_path, http_port)
    backend = Backend(kind, tmp_path, _env(smtp_port, http_port, ""))
    rng = random.Random(f"{kind}-13-{chunk}")
    per_chunk = -(-TRIES // CHUNKS)
    totals = Counter()
    started = time.monotonic()
    try:
        for n in range(chunk * per_chunk, (chunk + 1) * per_chunk):
            found.reset()
            url = backend.fresh(n)
            runners = rng.randint(2, 4)
            offsets = sorted(rng.uniform(0, 2) for _ in range(runners))
            procs = []
            begin = time.monotonic()
            for offset in offsets:
                time.sleep(max(0.0, begin + offset - time.monotonic()))
                procs.append(_popen(tmp_path, backend.env_for(url)))
            results = [p.communicate(timeout=300) for p in procs]
            codes = [p.returncode for p in procs]
            internal = sum(1 for (out, err), rc in zip(results, codes)
                           if rc not in (0, 1) or "Traceback" in err or "Internal error" in err)
            dup, lost = _count(found)
            states = backend.states(url)
            totals.update({"tries": 1, "runners": runners, "duplicates": dup, "lost": lost,
                           "internal errors": internal})
            detail = f"try {n}: {runners} runners at {[round(o, 2) for o in offsets]}, rc {codes}"
            assert internal == 0, detail + "\n" + "\n".join(err[-3000:] for _, err in results)
            assert codes == [0] * runners, detail + "\n" + "\n".join(
                out[-2000:] + err[-2000:] for out, err in results)
            assert (dup, lost) == (0, 0), detail
            assert set(states) == {"sent"}, (detail, states)
            if kind == "sqlite":
                Path(url.removeprefix("sqlite:///")).unlink()
    finally:
        backend.close()
    print(f"\nconcurrency {kind} part {chunk + 1}/{CHUNKS}: {totals['tries']} tries, "
          f"{totals['runners']} runners, {totals['duplicates']} duplicates, {totals['lost']} lost, "
          f"{totals['internal errors']} internal errors, {time.monotonic() - started:.0f} s")
    assert totals["tries"] == per_chunk and CHUNKS * per_chunk >= TRIES


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_sigkill_of_one_runner_while_another_runs_loses_no_one(kind, servers, tmp_path):
    found, smtp_port, http_port = servers
    _project(tmp_path, http_port)
    backend = Backend(kind, tmp_path, _env(smtp_port, http_port, ""))
    try:
        found.reset()
        url = backend.fresh(0)
        env = backend.env_for(url)
        victim = _popen(tmp_path, env)
        killed = threading.Event()

        def kill_at(seen: int) -> None:
            if seen >= 400 and not killed.is_set():
                killed.set()
                os.kill(victim.pid, signal.SIGKILL)

        found.on_message = kill_at
        time.sleep(0.5)
        survivor = _popen(tmp_path, env)
        out, err = survivor.communicate(timeout=300)
        victim.wait(timeout=60)
        found.on_message = None
        assert killed.is_set(), "the victim finished before it could be killed"
        assert victim.returncode == -signal.SIGKILL
        assert survivor.returncode == 0 and "Traceback" not in err, out[-2000:] + err[-3000:]
        dup_survivor, lost_survivor = _count(found)
        # whatever the survivor could not know about (the victim died after the survivor's
        # last look) is sent by the next run
        again = _popen(tmp_path, env)
        again.communicate(timeout=300)
        assert again.returncode == 0
        dup, lost = _count(found)
        states = backend.states(url)
        print(f"\nsigkill {kind}: after the survivor {lost_survivor} lost, {dup_survivor} "
              f"duplicates; after one more run {lost} lost, {dup} duplicates "
              f"(bound: {CONNECTIONS} connections of the killed runner)")
        assert lost == 0
        assert dup <= CONNECTIONS
        assert set(states) == {"sent"}, states
    finally:
        found.on_message = None
        backend.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_simultaneous_first_runs_on_an_empty_database_both_succeed(kind, servers, tmp_path):
    """No tables yet: both create them and record the same slots at once; one set of rows."""
    found, smtp_port, http_port = servers
    _project(tmp_path, http_port)
    env = _env(smtp_port, http_port, "")
    admin = None
    for n in range(3):
        found.reset()
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'empty-{n}.db'}"
        else:
            from sqlalchemy import create_engine, text

            try:
                admin = admin or create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    name = f"tp_first_{uuid.uuid4().hex[:10]}"
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            except Exception as exc:  # noqa: BLE001 - any failure means "no server"
                if IN_CI:
                    pytest.fail(f"PostgreSQL tests must run in CI: {exc}")
                pytest.skip(f"no PostgreSQL server ({type(exc).__name__})")
            url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        procs = [_popen(tmp_path, {**env, "TRUSTPUBLISH_STATE_URL": url}) for _ in range(2)]
        results = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [err[-3000:] for _, err in results]
        with found.lock:
            hook, disc = dict(found.hook), dict(found.disc)
        assert len(hook) == POSTS * 2 and max(hook.values()) == 1
        assert len(disc) == POSTS * 2 and max(disc.values()) == 1
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if admin is not None:
        admin.dispose()
