"""Three workers on PostgreSQL share one digest fan-out: their rate against one worker.

What it does:

1. creates a fresh PostgreSQL database with ``--subscribers`` subscribers (default 2,000)
   and a project with one digest slot (one SMTP connection per worker);
2. starts an SMTP sink on 127.0.0.1 (aiosmtpd) that answers each message after
   ``--latency`` ms (default 20 ms: a real relay is not on the same machine; with no
   latency, workers on one machine only share its cores), and
   counts every recipient it receives;
3. runs one ``trustpublish run --once`` (one worker), then, on a fresh state, three at
   the same moment (three workers claiming batches of the same fan-out with
   ``FOR UPDATE SKIP LOCKED``), each timed from start to the last one's exit;
4. prints both rates, their ratio, and the duplicates and losses counted at the sink.

On three machines each worker is a ``trustpublish run`` (or a cron ``run --once``)
with the same ``TRUSTPUBLISH_STATE_URL``: see ``docs/delivery.md``.

Usage: ``python benchmarks/fanout_workers_bench.py [--subscribers 2000] [--latency 20]``
Needs the PostgreSQL server of ``scripts/ensure-postgres.sh`` (or
``TRUSTPUBLISH_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fanout_bench import free_port, make_project  # noqa: E402

ADMIN_URL = os.environ.get(
    "TRUSTPUBLISH_TEST_POSTGRES_URL",
    "postgresql+psycopg://trustpublish:trustpublish@127.0.0.1:5432/postgres")


class Sink:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(self.latency)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt.lower()] += 1
        return "250 2.0.0 Ok"


def _reset(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE tp_deliveries, tp_slots, tp_meta, tp_runs "
                          "RESTART IDENTITY CASCADE"))
    engine.dispose()


def _workers(root: Path, env: dict[str, str], n: int) -> tuple[float, list[int], list[str]]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
    full.update(env)
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "trustpublish", "--now", "2026-03-05T09:00",
                               "run", "--once"], cwd=root, env=full,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(n)]
    codes, shares = [], []
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            sys.stderr.write(err.decode()[-2000:])
        codes.append(p.returncode)
        if os.environ.get("TP_BENCH_DEBUG"):
            sys.stderr.write(out.decode()[-1500:] + err.decode()[-1500:] + "\n----\n")
        shares += [line.split(":", 1)[1].split(",")[0].strip() for line in out.decode().splitlines()
                   if line.startswith("newsletter ")] or ["0 sent"]
    return time.perf_counter() - start, codes, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=20.0, help="ms per message at the sink")
    args = parser.parse_args()
    from aiosmtpd.controller import Controller
    from sqlalchemy import create_engine, text

    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"tp_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    sink = Sink(args.latency / 1000)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    root = Path(tempfile.mkdtemp(prefix="tp-workers-"))
    try:
        make_project(root, connections=1)
        env = {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{controller.port}",
               "TRUSTPUBLISH_SECRET_KEY": "bench-secret-key-" + "x" * 32,
               "TRUSTPUBLISH_STATE_URL": url}
        from trustpublish.deliver.db import open_engine
        from trustpublish.deliver.subscribers import Subscribers

        db = open_engine(url)
        now = dt.datetime(2026, 3, 5, 15, tzinfo=dt.timezone.utc)
        Subscribers(db).upsert(((f"person{i}@example.org", f"Person {i}", (), "active")
                                for i in range(args.subscribers)), now)
        db.dispose()
        n = args.subscribers
        print(f"PostgreSQL state; {n} subscribers; SMTP sink with {args.latency:.0f} ms per "
              f"message; one SMTP connection per worker; {os.cpu_count()} CPUs")
        rates = {}
        for workers in (1, 3):
            _reset(url)
            sink.received.clear()
            seconds, codes, shares = _workers(root, env, workers)
            dup = sum(c - 1 for c in sink.received.values() if c > 1)
            lost = n - len(sink.received)
            rates[workers] = n / seconds
            print(f"  {workers} worker{'s' if workers > 1 else ' '}: {n / seconds:7.0f} msg/s "
                  f"({seconds:.1f} s) | exit codes {codes} | each sent {', '.join(shares)} | "
                  f"{dup} duplicates, {lost} lost")
            if dup or lost or any(codes):
                raise SystemExit("FAILED: duplicates, losses or a failed worker")
        print(f"  ratio 3 workers / 1 worker: {rates[3] / rates[1]:.2f} (target > 1.5)")
    finally:
        controller.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
