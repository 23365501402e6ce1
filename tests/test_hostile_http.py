"""Hostile HTTP requests to ``serve``'s app on its real server (waitress), over raw sockets.

Every malformed request gets a 4xx, never a 500 and never a traceback; answers made
by the app carry the CSP (with frame-ancestors), nosniff and no-referrer headers;
unsubscribe links from before the encrypted format (itsdangerous, readable) still work.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_encode

from trustpublish.deliver.unsubscribe import TokenSigner, Unsubscribe
from trustpublish.web.serve import make_app, serve

KEY = b"http-test-key-0123456789abcdefghij"
SIGNER = TokenSigner(KEY)
TOKEN = SIGNER.token("ana@example.org", "newsletter")


def legacy_token(email: str, channel: str) -> str:
    """A link as sent by earlier versions (signed, readable JSON)."""
    signer = URLSafeSerializer(KEY, salt="trustpublish.deliver.unsubscribe.v1").make_signer()
    payload = json.dumps([email, channel], separators=(",", ":")).encode()
    return signer.sign(base64_encode(payload)).decode("ascii")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[Unsubscribe]]]:
    dist = tmp_path_factory.mktemp("dist")
    (dist / "preview").mkdir()
    (dist / "preview" / "index.html").write_text("<h1>preview</h1>", encoding="utf-8")
    (dist / "secret.txt").write_text("in dist", encoding="utf-8")
    recorded: list[Unsubscribe] = []

    def record(request: Unsubscribe) -> bool:
        recorded.append(request)
        return True

    app = make_app(SIGNER, record, site_title="Clinic", dist_dir=dist)
    srv = serve(app, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_port, recorded
    finally:
        srv.shutdown()


def send(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw)
        data = b""
        while True:
            try:
                piece = conn.recv(65536)
            except OSError:
                break
            if not piece:
                break
            data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return status, headers, body


def req(line: str, *headers: str, body: bytes = b"") -> bytes:
    return (line + "\r\nHost: x\r\nConnection: close\r\n" + "".join(h + "\r\n" for h in headers)
            + "\r\n").encode("latin-1") + body


FORM = "Content-Type: application/x-www-form-urlencoded"
ONE_CLICK = b"List-Unsubscribe=One-Click"
# (case id, raw request, allowed statuses, answered by the app: check its headers)
CASES: list[tuple[str, bytes, set[int], bool]] = [
    ("length-negative", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: -1",
                            body=b"t=x" * 1000), {400}, False),
    ("length-word", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: abc"), {400}, False),
    ("length-huge", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: 99999999999999"),
     {413}, False),
    ("length-float", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: 1e3"), {400}, False),
    ("length-plus", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: +5",
                        body=b"t=abc"), {400}, False),
    ("length-twice", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: 3",
                         "Content-Length: 5", body=b"t=abc"), {400}, False),
    ("length-over-limit", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: 70000",
                              body=b"x" * 70000), {413}, False),
    ("chunked-garbage", req("POST /unsubscribe HTTP/1.1", "Transfer-Encoding: chunked",
                            body=b"zz\r\nabc\r\n"), {400}, False),
    ("path-nul", req("GET /preview/%00 HTTP/1.1"), {400}, True),
    ("path-crlf", req("GET /preview/%0d%0aSet-Cookie:%20x=1 HTTP/1.1"), {400}, True),
    ("path-escape", req("GET /preview/%1b[31m HTTP/1.1"), {400}, True),
    ("dist-traversal", req("GET /dist/../../etc/passwd HTTP/1.1"), {400, 404}, False),
    ("dist-encoded-traversal", req("GET /dist/%2e%2e/%2e%2e/etc/passwd HTTP/1.1"), {404}, True),
    ("preview-encoded-slash", req("GET /preview/..%2f..%2fschedule.yaml HTTP/1.1"), {404}, True),
    ("preview-bad-utf8", req("GET /preview/%ff%fe HTTP/1.1"), {400, 404}, True),
    ("token-tampered", req(f"GET /unsubscribe?t={TOKEN[:-3]}AAA HTTP/1.1"), {400}, True),
    ("token-empty", req("GET /unsubscribe?t= HTTP/1.1"), {400}, True),
    ("token-bad-bytes", req("GET /unsubscribe?t=%ff%fe%00 HTTP/1.1"), {400}, True),
    ("token-other-key", req(
        f"GET /unsubscribe?t={TokenSigner(b'another-key-0123456789').token('a@b.c', 'n')} "
        "HTTP/1.1"), {400}, True),
    ("token-huge", req("GET /unsubscribe?t=" + "A" * 5000 + " HTTP/1.1"), {400}, True),
    ("token-legacy-forged", req("GET /unsubscribe?t=WyJhQGIuYyIsIm4iXQ.forged HTTP/1.1"), {400},
     True),
    ("form-bad-bytes", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: 4",
                           body=b"t=\xff\xfe"), {400}, True),
    ("form-binary", req("POST /unsubscribe HTTP/1.1", FORM, "Content-Length: 4",
                        body=b"\x00\x01\x02\x03"), {400}, True),
    ("query-many-fields", req("GET /unsubscribe?" + "&".join(f"a{i}=1" for i in range(200))
                              + " HTTP/1.1"), {400}, True),
    ("query-too-long", req("GET /unsubscribe?t=" + "A" * 20000 + " HTTP/1.1"),
     {400, 414, 431}, False),
    ("header-too-large", req("GET / HTTP/1.1", "X-Big: " + "a" * 20000), {400, 431}, False),
    ("method-delete", req("DELETE /unsubscribe HTTP/1.1"), {405}, True),
    ("post-to-preview", req("POST /preview/ HTTP/1.1", "Content-Length: 0"), {405}, True),
    ("garbage-line", b"GARBAGE\r\n\r\n", {400}, False),
    ("bad-version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", {302, 400, 505}, False),
    ("unknown-path", req("GET /wp-admin/ HTTP/1.1"), {404}, True),
    ("home-redirect", req("GET / HTTP/1.1"), {302}, True),
    ("preview-ok", req("GET /preview/ HTTP/1.1"), {200}, True),
    ("confirm-page", req(f"GET /unsubscribe?t={TOKEN} HTTP/1.1"), {200}, True),
    ("head-confirm-page", req(f"HEAD /unsubscribe?t={TOKEN} HTTP/1.1"), {200}, True),
    ("legacy-link-confirm", req(
        f"GET /unsubscribe?t={legacy_token('old@example.org', 'newsletter')} HTTP/1.1"),
     {200}, True),
]


@pytest.mark.parametrize("raw,allowed,from_app", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_request(server: tuple[int, list[Unsubscribe]], raw: bytes, allowed: set[int],
                         from_app: bool) -> None:
    port, recorded = server
    before = len(recorded)
    status, headers, body = send(port, raw)
    assert status in allowed, (status, body[:300])
    assert status != 500 and b"Traceback" not in body
    assert len(recorded) == before  # nothing here unsubscribes anyone
    if from_app:
        csp = headers.get("content-security-policy", "")
        assert "frame-ancestors" in csp and "default-src" in csp, headers
        assert headers.get("x-content-type-options") == "nosniff"
        assert headers.get("referrer-policy") == "no-referrer"


@pytest.mark.parametrize("token", [TOKEN, legacy_token("old@example.org", "newsletter")],
                         ids=["encrypted", "legacy"])
def test_one_click_post_unsubscribes(server: tuple[int, list[Unsubscribe]], token: str) -> None:
    port, recorded = server
    status, headers, body = send(port, req(f"POST /unsubscribe?t={token} HTTP/1.1", FORM,
                                           f"Content-Length: {len(ONE_CLICK)}", body=ONE_CLICK))
    assert status == 200, body
    assert recorded[-1] == SIGNER.verify(token)
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_new_tokens_reveal_nothing() -> None:
    tokens = [SIGNER.token(f"person{i}@mental-health.example", "newsletter") for i in range(3)]
    assert len({len(t) for t in tokens}) == 1 and len(set(tokens)) == 3
    again = SIGNER.token("person0@mental-health.example", "newsletter")
    assert again != tokens[0]  # a fresh nonce: equal addresses do not give equal links
    import base64

    for token in tokens:
        raw = base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4))
        assert b"person" not in raw and b"mental" not in raw and b"newsletter" not in raw
        assert "person" not in token and "newsletter" not in token
    assert SIGNER.verify(tokens[1]) == Unsubscribe("person1@mental-health.example", "newsletter")
