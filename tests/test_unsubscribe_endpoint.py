"""One-click unsubscribe: signed tokens and the HTTP endpoint on a real local server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from trustpublish.deliver.unsubscribe import InvalidToken, TokenSigner, Unsubscribe, load_secret_key
from trustpublish.web.serve import make_app, serve


@pytest.fixture
def endpoint() -> Iterator[tuple[str, TokenSigner, list[Unsubscribe]]]:
    signer = TokenSigner(b"k" * 32)
    recorded: list[Unsubscribe] = []

    def record(request: Unsubscribe) -> bool:
        recorded.append(request)
        return True

    server = serve(make_app(signer, record, site_title="Harborview"), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", signer, recorded
    finally:
        server.shutdown()
        server.server_close()


def test_tokens_round_trip_and_reject_tampering():
    signer = TokenSigner(b"secret-one" * 4)
    token = signer.token("Ann@Example.org", "newsletter")
    assert signer.verify(token) == Unsubscribe("ann@example.org", "newsletter")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidToken):
        signer.verify(tampered)
    with pytest.raises(InvalidToken):
        TokenSigner(b"another-key" * 4).verify(token)
    with pytest.raises(InvalidToken):
        signer.verify("")
    assert signer.token("a@example.org", "newsletter") != signer.token("b@example.org", "newsletter")
    assert "secret" not in repr(signer)


def test_secret_key_is_created_once_privately(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TRUSTPUBLISH_SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path / "state")
    assert load_secret_key(tmp_path / "state") == first and len(first) >= 48
    assert (tmp_path / "state" / "secret.key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("TRUSTPUBLISH_SECRET_KEY", "from-env")
    assert load_secret_key(tmp_path / "state") == b"from-env"


def test_get_shows_a_confirmation_and_never_unsubscribes(endpoint):
    base, signer, recorded = endpoint
    url = signer.url(f"{base}/unsubscribe", "ann@example.org", "newsletter")
    for _ in range(3):  # link scanners may fetch several times
        response = requests.get(url, timeout=5)
        assert response.status_code == 200
        assert "ann@example.org" in response.text and 'method="post"' in response.text
    assert recorded == []


def test_one_click_post_unsubscribes(endpoint):
    base, signer, recorded = endpoint
    url = signer.url(f"{base}/unsubscribe", "ann@example.org", "newsletter")
    response = requests.post(url, data="List-Unsubscribe=One-Click", timeout=5,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and "unsubscribed" in response.text
    assert recorded == [Unsubscribe("ann@example.org", "newsletter")]


def test_tampered_token_is_rejected_and_changes_nothing(endpoint):
    base, signer, recorded = endpoint
    token = signer.token("ann@example.org", "newsletter")
    forged = TokenSigner(b"guess" * 8).token("bob@example.org", "newsletter")
    for bad in (token[:-3], forged, "x"):
        response = requests.post(f"{base}/unsubscribe?t={bad}", data="List-Unsubscribe=One-Click",
                                 timeout=5)
        assert response.status_code == 400
        assert requests.get(f"{base}/unsubscribe?t={bad}", timeout=5).status_code == 400
    assert recorded == []
