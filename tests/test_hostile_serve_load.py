"""``trustpublish serve`` under hostile load, over raw sockets, as a real process.

Lengths that lie (negative, huge, not a number) are refused without the body being
read, so the server's memory stays flat even when the client streams megabytes
after them. With 200 idle connections open and a slowloris client trickling its
headers, one-click unsubscribes are still answered quickly, and nothing gets a 500.
The figures (memory, latencies) are printed for the record.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support import free_port, make_project, tp

from trustpublish.deliver.unsubscribe import TokenSigner

pytestmark = [pytest.mark.slow, pytest.mark.process]  # a real server under hostile clients

KEY = "load-test-key-0123456789-abcdefghijklmnop"
N_SUBSCRIBERS = 30


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    make_project(tmp_path, """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: UTC,
       postal_address: "1 Main St"}
channels:
  newsletter: {type: email, from: "Clinic <news@clinic.example>"}
timetable:
  - {channel: newsletter, cron: "0 9 * * TUE"}
""", posts=1)
    env = {"TRUSTPUBLISH_SECRET_KEY": KEY}
    (tmp_path / "subs.csv").write_text("email\n" + "".join(
        f"p{i}@example.org\n" for i in range(N_SUBSCRIBERS)), encoding="utf-8")
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=env).returncode == 0
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")} | env
    proc = subprocess.Popen([sys.executable, "-m", "trustpublish", "serve", "--port", str(port)],
                            cwd=tmp_path, env=full, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    for _ in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/unsubscribe", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    try:
        yield proc, port, tmp_path
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
        assert "Traceback" not in err, err


def raw_request(port: int, head: bytes, body_stream: int = 0, timeout: float = 10) -> bytes:
    """Send ``head``, then up to ``body_stream`` bytes while the server reads; the status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(head)
        sent = 0
        chunk = b"x" * 65536
        try:
            while sent < body_stream:
                conn.sendall(chunk)
                sent += len(chunk)
        except OSError:  # the server closed the connection: it stopped reading
            pass
        data = b""
        try:
            while b"\r\n" not in data:
                piece = conn.recv(4096)
                if not piece:
                    break
                data += piece
        except OSError:
            pass
    return data.split(b"\r\n", 1)[0]


def unsubscribe_latency(port: int, signer: TokenSigner, i: int) -> float:
    token = signer.token(f"p{i}@example.org", "newsletter")
    start = time.perf_counter()
    response = requests.post(f"http://127.0.0.1:{port}/unsubscribe?t={token}",
                             data="List-Unsubscribe=One-Click", timeout=10,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text
    assert "unsubscribed" in response.text
    return elapsed


def test_lying_lengths_idle_and_slow_clients(server: tuple[subprocess.Popen[str], int, Path]):
    proc, port, root = server
    signer = TokenSigner(KEY.encode())
    base_rss = rss_kib(proc.pid)

    # Lengths that lie: answered 4xx without the body being read, memory flat.
    for length, streamed, expected in ((b"-1", 20 << 20, b"400"), (b"abc", 8 << 20, b"400"),
                                       (b"99999999999999", 20 << 20, b"413"),
                                       (b"1e9", 1 << 20, b"400"), (b" -5", 1 << 20, b"400")):
        head = (b"POST /unsubscribe HTTP/1.1\r\nHost: x\r\nContent-Type: "
                b"application/x-www-form-urlencoded\r\nContent-Length: " + length + b"\r\n\r\n")
        status = raw_request(port, head, streamed)
        assert expected in status, (length, status)
    after_lengths = rss_kib(proc.pid)
    assert after_lengths - base_rss < 30 * 1024, (base_rss, after_lengths)

    # 200 idle connections and one slowloris client that trickles its headers.
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(200)]
    stop = threading.Event()

    def slowloris() -> None:
        conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
        for c in conns:
            c.sendall(b"GET /unsubscribe HTTP/1.1\r\nHost: x\r\n")
        while not stop.is_set():
            for c in conns:
                try:
                    c.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass
            stop.wait(0.3)
        for c in conns:
            c.close()

    loris = threading.Thread(target=slowloris, daemon=True)
    loris.start()
    time.sleep(0.5)
    latencies = [unsubscribe_latency(port, signer, i) for i in range(N_SUBSCRIBERS)]
    under_load_rss = rss_kib(proc.pid)
    stop.set()
    loris.join(timeout=10)
    for c in idle:
        c.close()

    print(f"\nserve figures: rss base {base_rss} KiB, after lying lengths {after_lengths} KiB, "
          f"under 200 idle + 20 slowloris {under_load_rss} KiB; unsubscribe latency "
          f"median {statistics.median(latencies) * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} requests")
    assert max(latencies) < 3.0, latencies
    assert under_load_rss - base_rss < 60 * 1024, (base_rss, under_load_rss)
    assert proc.poll() is None  # still serving

    rows = tp(root, "--json", "subscribers", "list", env={"TRUSTPUBLISH_SECRET_KEY": KEY})
    statuses = {r["status"] for r in __import__("json").loads(rows.stdout)}
    assert statuses == {"unsubscribed"}, rows.stdout
