"""Mastodon adapter against a local server implementing the statuses/media/instance API."""

from __future__ import annotations

import json

import pytest
from werkzeug import Request, Response

from trustpublish.channels.base import Delivery
from trustpublish.channels.mastodon import MastodonChannel
from trustpublish.channels.registry import open_channel
from trustpublish.errors import CredentialsError, PermanentFailure, RateLimited, RetryableFailure
from trustpublish.channels.mastodon import mastodon_limits

TOKEN = "mastodon-token-abc123"


class Instance:
    """Statuses with Idempotency-Key (a repeated key returns the first status)."""

    def __init__(self) -> None:
        self.statuses: dict[str, dict] = {}
        self.by_key: dict[str, dict] = {}
        self.media: list[dict] = []
        self.script: list[Response] = []

    def authorized(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response(json.dumps({"error": "The access token is invalid"}), 401,
                            content_type="application/json")
        return None

    def statuses_endpoint(self, request: Request) -> Response:
        if (denied := self.authorized(request)) is not None:
            return denied
        if self.script:
            return self.script.pop(0)
        key = request.headers.get("Idempotency-Key")
        if key in self.by_key:
            return Response(json.dumps(self.by_key[key]), 200, content_type="application/json")
        body = request.get_json()
        if len(body["status"]) > 500:
            return Response(json.dumps({"error": "Validation failed: Text character limit of "
                                                 "500 exceeded"}), 422,
                            content_type="application/json")
        sid = str(100 + len(self.statuses))
        status = {"id": sid, "url": f"https://social.example/@clinic/{sid}", **body}
        self.statuses[sid] = status
        if key:
            self.by_key[key] = status
        return Response(json.dumps(status), 200, content_type="application/json")

    def media_endpoint(self, request: Request) -> Response:
        if (denied := self.authorized(request)) is not None:
            return denied
        upload = request.files["file"]
        self.media.append({"name": upload.filename, "bytes": upload.read(),
                           "description": request.form.get("description")})
        return Response(json.dumps({"id": "m1", "type": "image"}), 200,
                        content_type="application/json")


@pytest.fixture
def instance(httpserver, monkeypatch):
    inst = Instance()
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_handler(
        inst.statuses_endpoint)
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_handler(
        inst.media_endpoint)
    httpserver.expect_request("/api/v2/instance").respond_with_json(
        {"domain": "social.example",
         "configuration": {"statuses": {"max_characters": 1000, "characters_reserved_per_url": 23}}})
    monkeypatch.setenv("TRUSTPUBLISH_MASTODON_TOKEN", TOKEN)
    return inst


def config(httpserver, **extra):
    return {"type": "mastodon", "instance": httpserver.url_for("/").rstrip("/"),
            "visibility": "unlisted", "timeout": 2, **extra}


def delivery(parts=("Trust grows slowly. https://clinic.example/a",), image=None):
    return Delivery(id="d1e2", channel="mastodon", item_id="post/sec", parts=tuple(parts),
                    link="https://clinic.example/a", language="en", image=image,
                    image_alt="Two chairs facing each other")


def test_posts_status_with_idempotency_key_and_repeat_gives_same_status(instance, httpserver,
                                                                        tmp_path):
    with open_channel("mastodon", config(httpserver), root=tmp_path) as channel:
        assert isinstance(channel, MastodonChannel)
        first = channel.publish(delivery())
        again = channel.publish(delivery())
    assert first.remote_id == again.remote_id == "100"
    assert first.url == "https://social.example/@clinic/100"
    assert len(instance.statuses) == 1
    request, _ = httpserver.log[0]
    assert request.headers["Idempotency-Key"] == "d1e2"
    assert request.get_json() == {"status": "Trust grows slowly. https://clinic.example/a",
                                  "visibility": "unlisted", "language": "en"}


def test_thread_parts_reply_to_the_previous_status_and_image_is_uploaded_with_alt(
        instance, httpserver, tmp_path):
    (tmp_path / "chairs.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    with open_channel("mastodon", config(httpserver), root=tmp_path) as channel:
        channel.publish(delivery(parts=("one (1/2)", "two (2/2)"), image="chairs.png"))
    assert instance.media == [{"name": "chairs.png", "bytes": b"\x89PNG\r\n\x1a\nfake",
                               "description": "Two chairs facing each other"}]
    first, second = instance.statuses["100"], instance.statuses["101"]
    assert first["media_ids"] == ["m1"] and "in_reply_to_id" not in first
    assert second["in_reply_to_id"] == "100"
    keys = [r.headers.get("Idempotency-Key") for r, _ in httpserver.log if r.path.endswith("statuses")]
    assert keys == ["d1e2", "d1e2-2"]


def test_instance_limits_are_read_and_cached_for_fitting(instance, httpserver, tmp_path):
    cfg = config(httpserver)
    assert mastodon_limits(cfg, tmp_path / "state") == (500, 23)
    with open_channel("mastodon", cfg, root=tmp_path) as channel:
        channel.fetch_limits(tmp_path / "state")
    assert mastodon_limits(cfg, tmp_path / "state") == (1000, 23)


def test_429_waits_until_the_iso_reset_time(instance, httpserver, tmp_path):
    import datetime as dt

    reset = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=300)
    instance.script.append(Response(
        json.dumps({"error": "Too many requests"}), 429, content_type="application/json",
        headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                 "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z")}))
    with open_channel("mastodon", config(httpserver), root=tmp_path) as channel:
        with pytest.raises(RateLimited, match="Too many requests") as info:
            channel.publish(delivery())
    assert 290 <= info.value.retry_after <= 301  # the Date header has whole seconds


@pytest.mark.parametrize("response, error, fragment", [
    (Response(json.dumps({"error": "Validation failed: Text can't be blank"}), 422,
              content_type="application/json"), PermanentFailure, "Text can't be blank"),
    (Response("oops", 503), RetryableFailure, "HTTP 503"),
])
def test_error_responses(instance, httpserver, tmp_path, response, error, fragment):
    instance.script.append(response)
    with open_channel("mastodon", config(httpserver), root=tmp_path) as channel:
        with pytest.raises(error, match=fragment):
            channel.publish(delivery())


def test_bad_token_is_a_credentials_error_without_the_token(instance, httpserver, tmp_path,
                                                           monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_MASTODON_TOKEN", "wrong-token-999")
    with open_channel("mastodon", config(httpserver), root=tmp_path) as channel:
        with pytest.raises(CredentialsError, match="access token is invalid") as info:
            channel.publish(delivery())
    assert "wrong-token-999" not in str(info.value)


def test_outbox_request_masks_the_token(tmp_path, monkeypatch):
    monkeypatch.delenv("TRUSTPUBLISH_MASTODON_TOKEN", raising=False)
    channel = open_channel("mastodon", {"type": "mastodon", "instance": "https://social.example"},
                           root=tmp_path)
    channel.publish(delivery())
    written = json.loads((tmp_path / "outbox" / "mastodon" / "d1e2.json").read_text())
    assert written == {"method": "POST", "url": "https://social.example/api/v1/statuses",
                       "headers": {"Authorization": "Bearer ***",
                                   "Content-Type": "application/json", "Idempotency-Key": "d1e2"},
                       "json": {"status": "Trust grows slowly. https://clinic.example/a",
                                "visibility": "public", "language": "en"}}
