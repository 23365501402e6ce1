"""Digest fan-out benchmark (docs/guarantees.md#performance-targets): trustpublish vs a bare smtplib loop, 10k and 100k.

Starts a local SMTP sink (Postfix's ``smtp-sink``, written in C, when installed;
otherwise aiosmtpd in a subprocess), then for each size runs a child process that

1. creates a project with SQLite state and N generated subscribers,
2. runs the real engine (``DeliveryEngine.run_once``: records one ledger row per
   recipient, renders and inlines the issue once, fills and sends every message
   over ``connections`` SMTP connections, settling each in the ledger),
3. reports its time, premailer calls and peak memory (``ru_maxrss`` of the child).

A second child per size sends the same number of pre-rendered messages with a bare
smtplib loop over the same number of connections to the same server. Prints the
rates, their ratio (target ≥ 0.8), premailer calls (target 1 per issue) and peak
memory at both sizes with the 100k/10k ratio (target ≤ 1.5).

Usage: ``python benchmarks/fanout_bench.py [--sizes 10000,100000] [--connections 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

SCHEDULE = """\
site: {{title: Harborview Counseling, url: "https://clinic.example/blog",
       timezone: America/Chicago, postal_address: "1 Main St, Chicago, IL 60601"}}
channels:
  newsletter: {{type: email, from: "Harborview <news@clinic.example>", excerpts_per_issue: 2,
               connections: {connections}}}
timetable:
  - {{channel: newsletter, at: ["2026-03-05T08:00"]}}
run: {{grace: 1d}}
"""

BODY = " ".join(f"Sentence {i} explains one calm idea about therapy, sleep and trust." for i in range(14))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sink(choice: str = "auto") -> tuple[subprocess.Popen[bytes], int, str]:
    port = free_port()
    sink = shutil.which("smtp-sink") or ("/usr/sbin/smtp-sink" if Path("/usr/sbin/smtp-sink").exists()
                                         else None)
    if choice == "python":
        sink = None
    elif choice == "c" and not sink:
        raise SystemExit("smtp-sink is not installed (apt-get install postfix)")
    if sink:
        cmd = [sink]
        if os.geteuid() == 0:
            cmd += ["-u", "postfix" if _user_exists("postfix") else "nobody"]
        proc = subprocess.Popen(cmd + [f"127.0.0.1:{port}", "1024"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        kind = "Postfix smtp-sink (C)"
    else:
        code = textwrap.dedent(f"""
            import asyncio
            from aiosmtpd.controller import Controller
            class H:
                async def handle_DATA(self, server, session, envelope):
                    return "250 2.0.0 Ok"
            c = Controller(H(), hostname="127.0.0.1", port={port}); c.start()
            import time
            while True: time.sleep(3600)
        """)
        proc = subprocess.Popen([sys.executable, "-c", code])
        kind = "aiosmtpd (Python)"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port, kind
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the SMTP sink did not start")


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def make_project(root: Path, connections: int) -> None:
    (root / "posts").mkdir(parents=True)
    (root / "schedule.yaml").write_text(SCHEDULE.format(connections=connections))
    for i in range(2):
        (root / "posts" / f"post-{i}.md").write_text(
            f"---\ntitle: Post {i}\ndate: 2025-01-0{i + 1}T08:00:00\nslug: post-{i}\n"
            f"url: https://clinic.example/blog/post-{i}\nstatus: approved\n---\n\n"
            f"## First part\n\n{BODY}\n\n## Second part\n\n{BODY}\n")


def child_engine(n: int, port: int, connections: int) -> dict[str, float]:
    """Send one digest to ``n`` generated subscribers through the engine."""
    import datetime as dt

    os.environ["TRUSTPUBLISH_NEWSLETTER_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["TRUSTPUBLISH_SECRET_KEY"] = "bench-secret-key-" + "x" * 32
    from trustpublish.deliver.engine import DeliveryEngine, open_state
    from trustpublish.deliver.subscribers import Subscribers
    from trustpublish.render.digest.render import inline_calls
    from trustpublish.workspace.project import Project

    root = Path(tempfile.mkdtemp(prefix="tp-fanout-"))
    try:
        make_project(root, connections)
        project = Project.load(root / "schedule.yaml")
        db = open_state(project)
        now = dt.datetime(2026, 3, 5, 15, 0, tzinfo=dt.timezone.utc)
        Subscribers(db).upsert(((f"person{i}@example.org", f"Person {i}", (), "active")
                                for i in range(n)), now)
        project.posts  # read posts before timing (as a scheduler process has them)
        engine = DeliveryEngine(project, db)
        before = _rss_kb()
        start = time.perf_counter()
        report = engine.run_once(now)
        elapsed = time.perf_counter() - start
        sent = report.counts["sent"]
        assert sent == n, report.lines[:5]
        return {"n": n, "sent": sent, "seconds": elapsed, "premailer": inline_calls(),
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "before_kb": before}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _rss_kb() -> int:
    """Current resident memory (VmRSS) of this process in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child_bare(n: int, port: int, connections: int, size: int) -> dict[str, float]:
    """The baseline: pre-rendered bytes over ``connections`` smtplib connections."""
    import smtplib

    message = (b"From: news@clinic.example\r\nTo: someone@example.org\r\nSubject: bench\r\n"
               b"Content-Type: text/html; charset=utf-8\r\n\r\n"
               + (b"<p>" + b"x" * 70 + b"</p>\r\n") * (size // 79 + 1))
    counter = iter(range(n))
    lock = threading.Lock()

    def worker() -> None:
        conn = smtplib.SMTP("127.0.0.1", port)
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                conn.sendmail("news@clinic.example", [f"person{i}@example.org"], message)
        finally:
            conn.quit()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"n": n, "seconds": time.perf_counter() - start}


def run_child(kind: str, n: int, port: int, connections: int, size: int = 0) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(n), str(port),
                          str(connections), str(size)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--connections", type=int, default=3)
    parser.add_argument("--sink", choices=("auto", "c", "python"), default="auto",
                        help="auto: Postfix smtp-sink when installed, else aiosmtpd")
    parser.add_argument("--child", nargs=5, metavar=("KIND", "N", "PORT", "CONN", "SIZE"))
    args = parser.parse_args()
    if args.child:
        kind, n, port, conns, size = args.child
        if kind == "engine":
            print(json.dumps(child_engine(int(n), int(port), int(conns))))
        else:
            print(json.dumps(child_bare(int(n), int(port), int(conns), int(size))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    sink, port, kind = start_sink(args.sink)
    try:
        size = _digest_size()
        print(f"SMTP sink: {kind} on 127.0.0.1:{port}; {args.connections} connections; "
              f"message {size} bytes; {os.cpu_count()} CPUs")
        results = {}
        for n in sizes:
            eng = run_child("engine", n, port, args.connections)
            bare = run_child("bare", n, port, args.connections, size)
            results[n] = (eng, bare)
            rate, bare_rate = n / eng["seconds"], n / bare["seconds"]
            print(f"{n:>7} subscribers: trustpublish {rate:7.0f} msg/s ({eng['seconds']:.1f} s, "
                  f"ledger rows recorded and settled included) | bare smtplib {bare_rate:7.0f} msg/s "
                  f"| ratio {rate / bare_rate:.2f} (target >= 0.8) | premailer calls "
                  f"{eng['premailer']:.0f} (target 1) | peak RSS {eng['maxrss_kb'] / 1024:.1f} MB "
                  f"(+{(eng['maxrss_kb'] - eng['before_kb']) / 1024:.1f} MB during the send)")
        if len(sizes) >= 2:
            small, big = results[sizes[0]][0], results[sizes[-1]][0]
            growth = ((big["maxrss_kb"] - big["before_kb"])
                      / max(1, small["maxrss_kb"] - small["before_kb"]))
            print(f"peak memory {sizes[-1]}/{sizes[0]}: {big['maxrss_kb'] / small['maxrss_kb']:.2f} "
                  f"(target <= 1.5); growth during the send {growth:.2f}")
    finally:
        sink.kill()
        sink.wait()


def _digest_size() -> int:
    """Size of one real digest message of the benchmark project (rendered in a subprocess)."""
    code = textwrap.dedent("""
        import datetime as dt, os, sys, tempfile
        from pathlib import Path
        sys.path.insert(0, %r)
        from fanout_bench import make_project
        from trustpublish.workspace.project import Project
        from trustpublish.deliver.issue_cache import IssueCache
        from trustpublish.plan.planner import excerpt_index
        root = Path(tempfile.mkdtemp()); make_project(root, 1)
        os.environ["TRUSTPUBLISH_SECRET_KEY"] = "k" * 40
        p = Project.load(root / "schedule.yaml")
        idx = excerpt_index(p.posts, p.excerpts)
        ex = [v[1] for v in list(idx.values())[:2]]
        now = dt.datetime(2026, 3, 5, tzinfo=dt.timezone.utc)
        opts = p.config.channels["newsletter"]
        cache = IssueCache(p.config.site, p.templates_dir, root / "state")
        r = cache.rendered("newsletter", opts, "newsletter-issue-1", 1, ex, now)
        d = cache.message(r, "k", "newsletter", opts, "newsletter-issue-1", "person1@example.org", "Person 1", now)
        print(len(d.message))
    """ % str(Path(__file__).parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    return int(out.stdout.strip())


if __name__ == "__main__":
    main()
