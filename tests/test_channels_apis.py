"""LinkedIn, Facebook, Telegram, Discord and Slack against local servers with their contracts."""

from __future__ import annotations

import json

import pytest
from werkzeug import Request, Response

from trustpublish.channels.base import Delivery
from trustpublish.channels.registry import open_channel
from trustpublish.errors import (
    ConfigError,
    CredentialsError,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
)

LINK = "https://clinic.example/blog/trust?utm_source=x#why"


def delivery(text="Trust \\(really\\) matters") -> Delivery:
    return Delivery(id="abc123", channel="c", item_id="trust/why", parts=(text,), link=LINK,
                    title="Why trust", summary="Trust takes time.", language="en")


def jresp(data, status=200, **headers) -> Response:
    return Response(json.dumps(data), status, content_type="application/json", headers=headers)


# -- LinkedIn ---------------------------------------------------------------------------------
def test_linkedin_posts_with_version_and_restli_headers(httpserver, monkeypatch, tmp_path):
    seen: list[Request] = []

    def posts(request: Request) -> Response:
        seen.append(request)
        if request.headers.get("Authorization") != "Bearer li-token":
            return jresp({"message": "Invalid access token", "status": 401}, 401)
        return Response("", 201, headers={"x-restli-id": "urn:li:share:7001"})

    httpserver.expect_request("/rest/posts", method="POST").respond_with_handler(posts)
    monkeypatch.setenv("TRUSTPUBLISH_LI_TOKEN", "li-token")
    cfg = {"type": "linkedin", "author": "urn:li:organization:42", "version": "202506",
           "api_base": httpserver.url_for("/").rstrip("/")}
    with open_channel("li", cfg, root=tmp_path) as channel:
        result = channel.publish(delivery())
    assert result.remote_id == "urn:li:share:7001"
    assert result.url == "https://www.linkedin.com/feed/update/urn:li:share:7001/"
    request = seen[0]
    assert request.headers["LinkedIn-Version"] == "202506"
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert request.get_json() == {
        "author": "urn:li:organization:42", "commentary": "Trust \\(really\\) matters",
        "visibility": "PUBLIC", "distribution": {"feedDistribution": "MAIN_FEED",
                                                 "targetEntities": [],
                                                 "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False,
        "content": {"article": {"source": LINK, "title": "Why trust",
                                "description": "Trust takes time."}}}
    monkeypatch.setenv("TRUSTPUBLISH_LI_TOKEN", "expired")
    with open_channel("li", cfg, root=tmp_path) as channel:
        with pytest.raises(CredentialsError, match="Invalid access token"):
            channel.publish(delivery())


def test_linkedin_server_error_is_outcome_unknown_since_it_has_no_idempotency(
        httpserver, monkeypatch, tmp_path):
    httpserver.expect_request("/rest/posts").respond_with_json({"message": "boom"}, status=500)
    monkeypatch.setenv("TRUSTPUBLISH_LI_TOKEN", "li-token")
    cfg = {"type": "linkedin", "author": "urn:li:person:abc",
           "api_base": httpserver.url_for("/").rstrip("/")}
    with open_channel("li", cfg, root=tmp_path) as channel:
        with pytest.raises(OutcomeUnknown, match="may or may not"):
            channel.publish(delivery())


# -- Facebook ---------------------------------------------------------------------------------
def facebook(httpserver, monkeypatch, handler):
    httpserver.expect_request("/v21.0/5550001/feed", method="POST").respond_with_handler(handler)
    monkeypatch.setenv("TRUSTPUBLISH_FB_PAGE_TOKEN", "EAAB-page-token")
    return {"type": "facebook", "page_id": "5550001",
            "api_base": httpserver.url_for("/").rstrip("/")}


def test_facebook_posts_message_and_link_with_token_in_body(httpserver, monkeypatch, tmp_path):
    seen: list[Request] = []

    def feed(request: Request) -> Response:
        seen.append(request)
        return jresp({"id": "5550001_9876"})

    cfg = facebook(httpserver, monkeypatch, feed)
    with open_channel("fb", cfg, root=tmp_path) as channel:
        result = channel.publish(delivery("Trust matters"))
    assert result.remote_id == "5550001_9876"
    assert seen[0].form.to_dict() == {"message": "Trust matters", "link": LINK,
                                      "access_token": "EAAB-page-token"}
    assert "EAAB" not in seen[0].full_path


@pytest.mark.parametrize("error, status, kind, fragment", [
    ({"message": "Error validating access token: Session has expired", "type": "OAuthException",
      "code": 190, "error_subcode": 463}, 400, CredentialsError, "Session has expired"),
    ({"message": "(#32) Page request limit reached", "type": "OAuthException", "code": 32},
     400, RateLimited, "retry after 300s"),
    ({"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}, 400,
     PermanentFailure, "Invalid parameter"),
])
def test_facebook_graph_errors(httpserver, monkeypatch, tmp_path, error, status, kind, fragment):
    usage = json.dumps({"5550001": [{"type": "pages", "call_count": 100,
                                     "estimated_time_to_regain_access": 5}]})
    cfg = facebook(httpserver, monkeypatch,
                   lambda r: jresp({"error": error}, status,
                                   **{"X-Business-Use-Case-Usage": usage}))
    with open_channel("fb", cfg, root=tmp_path) as channel:
        with pytest.raises(kind, match=fragment) as info:
            channel.publish(delivery())
    assert "EAAB-page-token" not in str(info.value)


# -- Telegram ---------------------------------------------------------------------------------
def test_telegram_send_message_html_and_retry_after(httpserver, monkeypatch, tmp_path):
    token = "123456:AA-telegram-secret"
    seen: list[Request] = []
    replies = [jresp({"ok": True, "result": {"message_id": 77, "chat": {
        "id": -100, "type": "channel", "username": "harborview"}}}),
        jresp({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 9",
               "parameters": {"retry_after": 9}}, 429),
        jresp({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400)]

    def send(request: Request) -> Response:
        seen.append(request)
        return replies.pop(0)

    httpserver.expect_request(f"/bot{token}/sendMessage", method="POST").respond_with_handler(send)
    monkeypatch.setenv("TRUSTPUBLISH_TG_BOT_TOKEN", token)
    cfg = {"type": "telegram", "chat": "@harborview",
           "api_base": httpserver.url_for("/").rstrip("/")}
    with open_channel("tg", cfg, root=tmp_path) as channel:
        result = channel.publish(delivery("Trust &amp; care &lt;3"))
        with pytest.raises(RateLimited) as limited:
            channel.publish(delivery())
        with pytest.raises(PermanentFailure, match="chat not found") as refused:
            channel.publish(delivery())
    assert result.url == "https://t.me/harborview/77"
    assert seen[0].get_json() == {"chat_id": "@harborview", "text": "Trust &amp; care &lt;3",
                                  "parse_mode": "HTML", "link_preview_options": {"url": LINK}}
    assert limited.value.retry_after == 9
    assert token not in str(refused.value) and token not in str(limited.value)


# -- Discord ----------------------------------------------------------------------------------
def test_discord_webhook_wait_true_and_rate_limit(httpserver, monkeypatch, tmp_path):
    seen: list[Request] = []
    replies = [jresp({"id": "1200", "channel_id": "99", "guild_id": "7", "content": "x"}),
               jresp({"message": "You are being rate limited.", "retry_after": 1.5,
                      "global": False}, 429, **{"X-RateLimit-Reset-After": "1.5"}),
               jresp({"message": "Unknown Webhook", "code": 10015}, 404)]

    def execute(request: Request) -> Response:
        seen.append(request)
        return replies.pop(0)

    httpserver.expect_request("/api/webhooks/1/tok-en", method="POST").respond_with_handler(execute)
    monkeypatch.setenv("TRUSTPUBLISH_DC_WEBHOOK_URL", httpserver.url_for("/api/webhooks/1/tok-en"))
    with open_channel("dc", {"type": "discord", "username": "Harborview"},
                      root=tmp_path) as channel:
        result = channel.publish(delivery("Hi @everyone"))
        with pytest.raises(RateLimited) as limited:
            channel.publish(delivery())
        with pytest.raises(PermanentFailure, match="Unknown Webhook") as gone:
            channel.publish(delivery())
    assert seen[0].args.get("wait") == "true"
    assert seen[0].get_json() == {"content": "Hi @everyone", "allowed_mentions": {"parse": []},
                                  "username": "Harborview"}
    assert result.remote_id == "1200" and result.url == "https://discord.com/channels/7/99/1200"
    assert limited.value.retry_after == 1.5
    assert "tok-en" not in str(gone.value)


# -- Slack ------------------------------------------------------------------------------------
def test_slack_incoming_webhook_blocks_and_plain_text_errors(httpserver, monkeypatch, tmp_path):
    seen: list[Request] = []
    replies = [Response("ok", 200), Response("invalid_payload", 400),
               Response("channel_is_archived", 410),
               Response("rate_limited", 429, headers={"Retry-After": "30"})]

    def hook(request: Request) -> Response:
        seen.append(request)
        return replies.pop(0)

    httpserver.expect_request("/services/T1/B2/secretXYZ").respond_with_handler(hook)
    monkeypatch.setenv("TRUSTPUBLISH_SL_WEBHOOK_URL",
                       httpserver.url_for("/services/T1/B2/secretXYZ"))
    with open_channel("sl", {"type": "slack"}, root=tmp_path) as channel:
        channel.publish(delivery("Trust &amp; care"))
        with pytest.raises(PermanentFailure, match="invalid_payload"):
            channel.publish(delivery())
        with pytest.raises(PermanentFailure, match="channel_is_archived") as archived:
            channel.publish(delivery())
        with pytest.raises(RateLimited) as limited:
            channel.publish(delivery())
    assert seen[0].get_json() == {"text": "Trust &amp; care", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Trust &amp; care"}}]}
    assert limited.value.retry_after == 30
    assert "secretXYZ" not in str(archived.value)


def test_webhook_url_over_plain_http_elsewhere_is_refused_without_echoing_it(tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_SL_WEBHOOK_URL", "http://hooks.slack.example/services/SECRET")
    with pytest.raises(ConfigError) as info:
        open_channel("sl", {"type": "slack"}, root=tmp_path)
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize("cfg, secret_word", [
    ({"type": "telegram", "chat": "@c"}, "bot***"),
    ({"type": "linkedin", "author": "urn:li:organization:1"}, "Bearer ***"),
    ({"type": "facebook", "page_id": "1"}, "***"),
])
def test_outbox_requests_hide_credentials(tmp_path, cfg, secret_word):
    channel = open_channel("ob", cfg, root=tmp_path)
    channel.publish(delivery())
    text = (tmp_path / "outbox" / "ob" / "abc123.json").read_text()
    assert secret_word in text
