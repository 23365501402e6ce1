"""The generic webhook adapter against a local receiver that checks signatures and dedups."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from werkzeug import Request, Response

from trustpublish.channels.base import Delivery
from trustpublish.channels.ids import delivery_id
from trustpublish.channels.outbox import OutboxChannel
from trustpublish.channels.registry import open_channel
from trustpublish.channels.webhook import WebhookChannel
from trustpublish.errors import (
    ConfigError,
    CredentialsError,
    PermanentFailure,
    RateLimited,
    RetryableFailure,
)

SECRET = "whsec-very-secret-value"


class Receiver:
    """A webhook receiver: verifies X-Trustpublish-Signature, drops repeated keys."""

    def __init__(self) -> None:
        self.seen: dict[str, dict] = {}
        self.requests: list[Request] = []
        self.script: list[Response] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if self.script:
            return self.script.pop(0)
        body = request.get_data()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Trustpublish-Signature", ""), expected):
            return Response(json.dumps({"error": "bad signature"}), 401,
                            content_type="application/json")
        key = request.headers["Idempotency-Key"]
        if key not in self.seen:
            self.seen[key] = {"id": f"evt-{len(self.seen) + 1}", "url": f"https://hook.example/{key}"}
        return Response(json.dumps(self.seen[key]), 200, content_type="application/json")


@pytest.fixture
def receiver(httpserver, monkeypatch):
    rec = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(rec)
    monkeypatch.setenv("TRUSTPUBLISH_HOOK_WEBHOOK_SECRET", SECRET)
    return rec


def delivery(item: str = "trust/why-trust") -> Delivery:
    return Delivery(id=delivery_id("hook", item), channel="hook", item_id=item,
                    parts=("Trust takes time. 🤝",), link="https://clinic.example/a#b",
                    title="Why trust", summary="Trust takes time.", language="en")


def config(httpserver, **extra):
    return {"type": "webhook", "url": httpserver.url_for("/hook"), "timeout": 2, **extra}


def test_posts_signed_json_with_idempotency_key_and_repeat_is_deduplicated(receiver, httpserver,
                                                                           tmp_path):
    with open_channel("hook", config(httpserver), root=tmp_path) as channel:
        assert isinstance(channel, WebhookChannel) and channel.idempotent
        first = channel.publish(delivery())
        again = channel.publish(delivery())
    assert first.remote_id == again.remote_id == "evt-1"
    assert len(receiver.seen) == 1
    request = receiver.requests[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == delivery().id
    body = json.loads(request.get_data())
    assert body == {"id": delivery().id, "channel": "hook", "item": "trust/why-trust",
                    "kind": "post", "text": "Trust takes time. 🤝",
                    "parts": ["Trust takes time. 🤝"], "link": "https://clinic.example/a#b",
                    "title": "Why trust", "summary": "Trust takes time.", "image": None,
                    "image_alt": "", "language": "en"}


def test_wrong_secret_is_credentials_error_and_never_shows_the_secret(receiver, httpserver,
                                                                      tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_HOOK_WEBHOOK_SECRET", "another-secret-xyz")
    with open_channel("hook", config(httpserver), root=tmp_path) as channel:
        with pytest.raises(CredentialsError, match="bad signature") as info:
            channel.publish(delivery())
    assert "another-secret-xyz" not in str(info.value) + str(info.value.hint)


@pytest.mark.parametrize("response, error, fragment", [
    (Response("slow down", 429, headers={"Retry-After": "7"}), RateLimited, "retry after 7s"),
    (Response(json.dumps({"message": "unknown channel"}), 422, content_type="application/json"),
     PermanentFailure, "unknown channel"),
    (Response("upstream broke", 502), RetryableFailure, "HTTP 502"),
])
def test_error_responses_map_to_error_kinds(receiver, httpserver, tmp_path, response, error,
                                            fragment):
    receiver.script.append(response)
    with open_channel("hook", config(httpserver), root=tmp_path) as channel:
        with pytest.raises(error, match=fragment) as info:
            channel.publish(delivery())
    if error is RateLimited:
        assert info.value.retry_after == 7


def test_timeout_is_retryable_because_the_key_makes_repeats_safe(httpserver, tmp_path,
                                                                monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_HOOK_WEBHOOK_SECRET", SECRET)

    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("{}", 200)

    httpserver.expect_request("/hook").respond_with_handler(slow)
    with open_channel("hook", config(httpserver, timeout=0.5), root=tmp_path) as channel:
        with pytest.raises(RetryableFailure, match="no answer in time"):
            channel.publish(delivery())


def test_plain_http_to_another_host_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_HOOK_WEBHOOK_SECRET", SECRET)
    with pytest.raises(ConfigError, match="only allowed for this machine"):
        open_channel("hook", {"type": "webhook", "url": "http://hooks.example.com/x"},
                     root=tmp_path)


def test_outbox_writes_the_request_without_the_signature(tmp_path, monkeypatch):
    monkeypatch.delenv("TRUSTPUBLISH_HOOK_WEBHOOK_SECRET", raising=False)
    channel = open_channel("hook", {"type": "webhook", "url": "https://hooks.example.com/x"},
                           root=tmp_path)
    assert isinstance(channel, OutboxChannel)
    result = channel.publish(delivery())
    written = json.loads((tmp_path / "outbox" / "hook" / f"{delivery().id}.json").read_text())
    assert written["method"] == "POST" and written["url"] == "https://hooks.example.com/x"
    assert written["headers"] == {"Content-Type": "application/json",
                                  "Idempotency-Key": delivery().id,
                                  "X-Trustpublish-Signature": "***"}
    assert written["json"]["text"] == "Trust takes time. 🤝"
    assert result.detail["outbox"].endswith(".json")
