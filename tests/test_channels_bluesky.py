"""Bluesky adapter against a local PDS implementing sessions, putRecord and uploadBlob."""

from __future__ import annotations

import json
import time

import pytest
from werkzeug import Request, Response

from trustpublish.channels.base import Delivery
from trustpublish.channels.bluesky import BlueskyChannel
from trustpublish.channels.ids import TID_ALPHABET, tid_from
from trustpublish.channels.registry import open_channel
from trustpublish.errors import CredentialsError, PermanentFailure, RateLimited

HANDLE, PASSWORD, DID = "clinic.bsky.social", "abcd-efgh-ijkl-mnop", "did:plc:clinic123"
LINK = "https://harborview.example/blog/trust?utm_source=bluesky&utm_medium=social#why"


def xrpc_error(status: int, error: str, message: str, **headers: str) -> Response:
    return Response(json.dumps({"error": error, "message": message}), status,
                    content_type="application/json", headers=headers)


class Pds:
    """createSession / refreshSession / putRecord / uploadBlob, as documented."""

    def __init__(self) -> None:
        self.sessions = 0
        self.refreshes = 0
        self.valid_access: set[str] = set()
        self.valid_refresh: set[str] = set()
        self.records: dict[str, dict] = {}
        self.blobs: list[tuple[str, bytes]] = []
        self.script: list[Response] = []

    def _tokens(self) -> dict:
        n = self.sessions + self.refreshes
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.valid_access = {access}
        self.valid_refresh = {refresh}
        return {"accessJwt": access, "refreshJwt": refresh, "handle": HANDLE, "did": DID}

    def create_session(self, request: Request) -> Response:
        body = request.get_json()
        if body != {"identifier": HANDLE, "password": PASSWORD}:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.sessions += 1
        return Response(json.dumps(self._tokens()), 200, content_type="application/json")

    def refresh_session(self, request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_refresh:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        self.refreshes += 1
        return Response(json.dumps(self._tokens()), 200, content_type="application/json")

    def _auth(self, request: Request) -> Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_access:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        return None

    def put_record(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if self.script:
            return self.script.pop(0)
        body = request.get_json()
        if body["repo"] != DID or body["collection"] != "app.bsky.feed.post":
            return xrpc_error(400, "InvalidRequest", "bad repo or collection")
        rkey = body["rkey"]
        if len(rkey) != 13 or any(c not in TID_ALPHABET for c in rkey):
            return xrpc_error(400, "InvalidRequest", "Invalid TID")
        self.records[rkey] = body["record"]  # put: create or replace, never a second record
        uri = f"at://{DID}/app.bsky.feed.post/{rkey}"
        return Response(json.dumps({"uri": uri, "cid": f"cid-{rkey}"}), 200,
                        content_type="application/json")

    def upload_blob(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        data = request.get_data()
        self.blobs.append((request.headers["Content-Type"], data))
        return Response(json.dumps({"blob": {"$type": "blob", "ref": {"$link": "bafkblob"},
                                             "mimeType": request.headers["Content-Type"],
                                             "size": len(data)}}), 200,
                        content_type="application/json")


@pytest.fixture
def pds(httpserver, monkeypatch):
    server = Pds()
    for path, handler in [("createSession", server.create_session),
                          ("refreshSession", server.refresh_session)]:
        httpserver.expect_request(f"/xrpc/com.atproto.server.{path}",
                                  method="POST").respond_with_handler(handler)
    httpserver.expect_request("/xrpc/com.atproto.repo.putRecord",
                              method="POST").respond_with_handler(server.put_record)
    httpserver.expect_request("/xrpc/com.atproto.repo.uploadBlob",
                              method="POST").respond_with_handler(server.upload_blob)
    monkeypatch.setenv("TRUSTPUBLISH_BSKY_APP_PASSWORD", PASSWORD)
    return server


def config(httpserver):
    return {"type": "bluesky", "handle": HANDLE, "service": httpserver.url_for("/").rstrip("/"),
            "timeout": 2}


TEXT = "Café trust 👩🏽‍⚕️ matters.\n\nharborview.example/blog/trust\n#MentalHealth"


def delivery(parts=(TEXT,), image=None) -> Delivery:
    return Delivery(id="feedc0de", channel="bsky", item_id="trust/why", parts=tuple(parts),
                    link=LINK, title="Why trust", summary="Trust takes time.", language="en",
                    image=image, extra={"created_at": "2026-12-01T18:30:00.000Z"})


def test_post_record_has_byte_offset_facets_card_thumb_and_deterministic_rkey(pds, httpserver,
                                                                             tmp_path):
    (tmp_path / "chairs.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg")
    with open_channel("bsky", config(httpserver), root=tmp_path) as channel:
        assert isinstance(channel, BlueskyChannel)
        result = channel.publish(delivery(image="chairs.jpg"))
        again = channel.publish(delivery(image="chairs.jpg"))
    rkey = tid_from("feedc0de")
    assert result.remote_id == again.remote_id == f"at://{DID}/app.bsky.feed.post/{rkey}"
    assert result.url == f"https://bsky.app/profile/{HANDLE}/post/{rkey}"
    assert list(pds.records) == [rkey] and pds.sessions == 1
    record = pds.records[rkey]
    data = TEXT.encode()
    link_start = data.index(b"harborview.example")
    tag_start = data.index(b"#MentalHealth")
    assert record["facets"] == [
        {"index": {"byteStart": link_start, "byteEnd": link_start + len(b"harborview.example/blog/trust")},
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": LINK}]},
        {"index": {"byteStart": tag_start, "byteEnd": len(data)},
         "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "MentalHealth"}]}]
    # bytes, not characters: é is 2 bytes and the emoji ZWJ sequence 17
    assert link_start == len("Café trust 👩🏽‍⚕️ matters.\n\n") + 1 + (17 - 5)
    assert record["embed"] == {"$type": "app.bsky.embed.external", "external": {
        "uri": LINK, "title": "Why trust", "description": "Trust takes time.",
        "thumb": {"$type": "blob", "ref": {"$link": "bafkblob"}, "mimeType": "image/jpeg",
                  "size": 8}}}
    assert pds.blobs[0] == ("image/jpeg", b"\xff\xd8\xff\xe0jpeg")
    assert record["createdAt"] == "2026-12-01T18:30:00.000Z" and record["langs"] == ["en"]


def test_thread_parts_are_replies_with_root_and_parent(pds, httpserver, tmp_path):
    with open_channel("bsky", config(httpserver), root=tmp_path) as channel:
        channel.publish(delivery(parts=("one (1/3)", "two (2/3)", "three (3/3)")))
    keys = [tid_from("feedc0de"), tid_from("feedc0de#2"), tid_from("feedc0de#3")]
    assert list(pds.records) == keys
    root = {"uri": f"at://{DID}/app.bsky.feed.post/{keys[0]}", "cid": f"cid-{keys[0]}"}
    assert "reply" not in pds.records[keys[0]]
    assert pds.records[keys[1]]["reply"] == {"root": root, "parent": root}
    assert pds.records[keys[2]]["reply"]["parent"]["uri"].endswith(keys[1])
    assert "embed" not in pds.records[keys[1]]


def test_expired_access_token_is_refreshed_once_and_the_call_repeated(pds, httpserver, tmp_path):
    with open_channel("bsky", config(httpserver), root=tmp_path) as channel:
        channel.publish(delivery())
        pds.valid_access = set()  # the access JWT expires; the refresh JWT still works
        channel.publish(delivery(parts=("second post",)))
    assert pds.sessions == 1 and pds.refreshes == 1


def test_wrong_app_password_is_a_credentials_error(pds, httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_BSKY_APP_PASSWORD", "zzzz-zzzz-zzzz-zzzz")
    with open_channel("bsky", config(httpserver), root=tmp_path) as channel:
        with pytest.raises(CredentialsError, match="Invalid identifier or password") as info:
            channel.publish(delivery())
    assert "zzzz-zzzz" not in str(info.value)


def test_rate_limit_uses_ratelimit_reset_epoch(pds, httpserver, tmp_path):
    pds.script.append(xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded",
                                 **{"ratelimit-limit": "1666", "ratelimit-remaining": "0",
                                    "ratelimit-reset": str(int(time.time()) + 120)}))
    with open_channel("bsky", config(httpserver), root=tmp_path) as channel:
        with pytest.raises(RateLimited, match="Rate Limit Exceeded") as info:
            channel.publish(delivery())
    assert 110 <= info.value.retry_after <= 121


def test_invalid_record_is_permanent_with_the_pds_message(pds, httpserver, tmp_path):
    pds.script.append(xrpc_error(400, "InvalidRequest", "Record/text must not be longer than "
                                                        "300 graphemes"))
    with open_channel("bsky", config(httpserver), root=tmp_path) as channel:
        with pytest.raises(PermanentFailure, match="300 graphemes"):
            channel.publish(delivery())


def test_tid_keys_are_valid_and_stable():
    keys = {tid_from(f"k{i}") for i in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert len(key) == 13 and set(key) <= set(TID_ALPHABET)
        assert key[0] in "234567abcdefghij"  # top bit clear
    assert tid_from("same") == tid_from("same")
