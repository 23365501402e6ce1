"""Bluesky (channel ``type: bluesky``): AT Protocol XRPC on the account's PDS.

Config: ``handle`` (required, e.g. clinic.bsky.social), ``service`` (default
https://bsky.social), ``thread``. Environment: ``TRUSTPUBLISH_<NAME>_APP_PASSWORD``
(an app password from Settings → Privacy and security → App passwords).

* The session is created once (``com.atproto.server.createSession``) and, when a
  call answers ``ExpiredToken``, refreshed with ``com.atproto.server.refreshSession``
  (the refresh JWT as bearer) and the call repeated once.
* Each part is written with ``com.atproto.repo.putRecord`` to collection
  ``app.bsky.feed.post`` under a record key that is a TID of the delivery's creation
  time in the ledger (:func:`~trustpublish.channels.ids.tid_for`): sortable and near
  the post's time, yet the same on every re-send, so a repeated write lands on the
  same record and a retry can never make a second post. Later parts are replies
  (``reply.root`` / ``reply.parent`` with uri + cid).
* Text carries link and tag facets in UTF-8 byte offsets; the first part embeds an
  ``app.bsky.embed.external`` card (link, title, summary) whose ``thumb`` is the post
  image uploaded with ``com.atproto.repo.uploadBlob``.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # requests loads when a request is sent, not when a build asks a kind
    import requests

from ..errors import CredentialsError, DeliveryError, ThreadBroken
from ..render.social import Budget, bluesky_facets, graphemes, short_link
from .api import ApiChannel, local_image
from .base import THREAD_LIVE, Delivery, Result
from .ids import tid_for, tid_from

__all__ = ["BlueskyChannel", "post_record"]

COLLECTION = "app.bsky.feed.post"


def _rkey(delivery: Delivery, index: int) -> str:
    """The record key of part ``index``: a TID of the delivery's stored creation time
    (``extra["planned_at"]``, from the ledger), the same on every re-send."""
    planned = delivery.extra.get("planned_at")
    if planned:
        return tid_for(delivery.id, dt.datetime.fromisoformat(str(planned)), index)
    return tid_from(delivery.id if index == 0 else f"{delivery.id}#{index + 1}")


def post_record(delivery: Delivery, index: int, text: str, created_at: str, *,
                thumb: dict[str, Any] | None = None,
                reply: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``app.bsky.feed.post`` record for part ``index``."""
    record: dict[str, Any] = {"$type": COLLECTION, "text": text, "createdAt": created_at}
    if delivery.language:
        record["langs"] = [delivery.language]
    links = {short_link(delivery.link): delivery.link} if delivery.link else {}
    facets = bluesky_facets(text, links)
    if facets:
        record["facets"] = list(facets)
    if index == 0 and delivery.link:
        external: dict[str, Any] = {"uri": delivery.link, "title": delivery.title,
                                    "description": delivery.summary}
        if thumb:
            external["thumb"] = thumb
        record["embed"] = {"$type": "app.bsky.embed.external", "external": external}
    if reply:
        record["reply"] = reply
    return record


class BlueskyChannel(ApiChannel):
    type = "bluesky"
    idempotent = True
    budget = Budget(300, "graphemes", supports_threads=True)
    env_vars = ("APP_PASSWORD",)
    token_var = "APP_PASSWORD"
    base_key = "service"
    default_base = "https://bsky.social"

    @classmethod
    def count(cls, text: str) -> int:
        return graphemes(text)

    @classmethod
    def shown_link(cls, link: str) -> str:
        """Host + path without the scheme, cut with an ellipsis; the facet keeps the URI."""
        return short_link(link)

    @classmethod
    def facets(cls, text: str, links: Mapping[str, str]) -> tuple[dict[str, Any], ...]:
        """Link and tag facets in UTF-8 byte offsets."""
        return bluesky_facets(text, links)

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        self.handle = self.require(name, config, "handle", "clinic.bsky.social").lstrip("@")
        self.session: dict[str, str] | None = None

    @classmethod
    def outbox_request(cls, name: str, config: Mapping[str, Any],
                       delivery: Delivery) -> dict[str, Any]:
        base = cls.base_url(name, config)
        handle = str(config.get("handle", "<handle>")).lstrip("@")
        created = str(delivery.extra.get("created_at", "<time of sending>"))
        out = []
        for i, part in enumerate(delivery.parts):
            reply = ({"root": "<first part uri+cid>", "parent": "<previous part uri+cid>"}
                     if i else None)
            out.append({"method": "POST", "url": f"{base}/xrpc/com.atproto.repo.putRecord",
                        "headers": {"Authorization": "Bearer ***",
                                    "Content-Type": "application/json"},
                        "json": {"repo": f"<did of {handle}>", "collection": COLLECTION,
                                 "rkey": _rkey(delivery, i),
                                 "record": post_record(delivery, i, part, created,
                                                       reply=reply)}})
        return out[0] if len(out) == 1 else {"requests": out}

    # -- session ---------------------------------------------------------------------
    def _login(self) -> dict[str, str]:
        response = self.http.request(
            "POST", "/xrpc/com.atproto.server.createSession", idempotent=True,
            json={"identifier": self.handle, "password": self.token.reveal()})
        data = response.json()
        for key in ("accessJwt", "refreshJwt"):
            self.http.add_secret(data.get(key))
        return data

    def _refresh(self) -> None:
        assert self.session is not None
        try:
            response = self.http.request(
                "POST", "/xrpc/com.atproto.server.refreshSession", idempotent=True,
                headers={"Authorization": f"Bearer {self.session['refreshJwt']}"})
            data = response.json()
            for key in ("accessJwt", "refreshJwt"):
                self.http.add_secret(data.get(key))
            self.session = {**self.session, **data}
        except CredentialsError:
            self.session = self._login()

    @staticmethod
    def _expired(response: requests.Response) -> bool:
        try:
            return response.json().get("error") in ("ExpiredToken", "InvalidToken")
        except (ValueError, AttributeError):
            return False

    def _call(self, path: str, **kwargs: Any) -> requests.Response:
        if self.session is None:
            self.session = self._login()
        for attempt in (0, 1):
            headers = {**kwargs.pop("headers", {}),
                       "Authorization": f"Bearer {self.session['accessJwt']}"}
            response = self.http.request("POST", path, headers=headers,
                                         ok=(400, 401) if attempt == 0 else (), **kwargs)
            if response.status_code < 300:
                return response
            if self._expired(response):
                self._refresh()
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                if "data" in kwargs and hasattr(kwargs["data"], "seek"):
                    kwargs["data"].seek(0)
                continue
            raise self.http.error_for(response)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- publishing ------------------------------------------------------------------
    def _thumb(self, delivery: Delivery) -> dict[str, Any] | None:
        image = local_image(self.root, delivery.image)
        if image is None:
            return None
        mime = mimetypes.guess_type(image.name)[0] or "image/jpeg"
        response = self._call("/xrpc/com.atproto.repo.uploadBlob", data=image.read_bytes(),
                              headers={"Content-Type": mime})
        return response.json()["blob"]

    def publish(self, delivery: Delivery) -> Result:
        created = str(delivery.extra.get("created_at") or dt.datetime.now(dt.timezone.utc)
                      .isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        parts = delivery.parts or (delivery.text,)
        live: list[dict[str, str]] = list(delivery.extra.get(THREAD_LIVE) or [])[:len(parts)]
        thumb = self._thumb(delivery) if delivery.link and not live else None
        first_rkey = _rkey(delivery, 0)
        for i, part in enumerate(parts):
            if i < len(live):  # already live from an earlier attempt: resume after it
                continue
            reply = {"root": live[0], "parent": live[-1]} if live else None
            record = post_record(delivery, i, part, created, thumb=thumb, reply=reply)
            try:
                data = self._call("/xrpc/com.atproto.repo.putRecord", json={
                    "repo": (self.session or {}).get("did") or self._did(),
                    "collection": COLLECTION, "rkey": _rkey(delivery, i), "record": record}).json()
            except DeliveryError as exc:
                if live:
                    raise ThreadBroken(exc, live=live, total=len(parts), channel=self.name) from None
                raise
            live.append({"uri": data["uri"], "cid": data["cid"]})
        root = live[0]
        return Result(remote_id=root["uri"],
                      url=f"https://bsky.app/profile/{self.handle}/post/{first_rkey}",
                      detail={"cid": root["cid"], "parts": len(delivery.parts) or 1})

    def _did(self) -> str:
        if self.session is None:
            self.session = self._login()
        return self.session["did"]
