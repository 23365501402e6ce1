"""Mastodon (channel ``type: mastodon``): ``POST /api/v1/statuses`` with ``Idempotency-Key``.

Config: ``instance`` (required, e.g. https://mastodon.social), ``visibility``
(``public`` | ``unlisted`` | ``private``; default ``public``), ``thread``,
``max_characters``. Environment: ``TRUSTPUBLISH_<NAME>_TOKEN`` (an access token
with the ``write:statuses`` and ``write:media`` scopes).

Each part is one status; parts after the first reply to the previous one
(``in_reply_to_id``). The post image (a local file) is uploaded first with
``POST /api/v2/media`` (``file`` + ``description`` = alt text); a 202 answer is
polled at ``GET /api/v1/media/:id`` until processed. ``Idempotency-Key`` is the
delivery id (``-2``, ``-3``... for later parts), so a repeated request within the
instance's idempotency window returns the first status instead of a duplicate.

:meth:`MastodonChannel.fetch_limits` reads ``GET /api/v2/instance`` and caches
``configuration.statuses.max_characters`` / ``characters_reserved_per_url`` in
``state/channels/`` for :func:`trustpublish.render.social.mastodon_limits`.
"""

from __future__ import annotations

import json
import mimetypes
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RetryableFailure
from ..files import PRIVATE_FILE, write_atomic
from ..render.social import BUDGETS, mastodon_cache_path
from .api import ApiChannel, local_image
from .base import Delivery, Result

__all__ = ["MastodonChannel"]

VISIBILITIES = ("public", "unlisted", "private", "direct")


def _visibility(name: str, config: Mapping[str, Any]) -> str:
    value = str(config.get("visibility", "public"))
    if value not in VISIBILITIES:
        raise ConfigError(f"visibility must be one of {', '.join(VISIBILITIES)}",
                          key_path=f"channels.{name}.visibility")
    return value


def _key(delivery: Delivery, index: int) -> str:
    return delivery.id if index == 0 else f"{delivery.id}-{index + 1}"


def _status(delivery: Delivery, text: str, visibility: str) -> dict[str, Any]:
    body: dict[str, Any] = {"status": text, "visibility": visibility}
    if delivery.language:
        body["language"] = delivery.language
    return body


class MastodonChannel(ApiChannel):
    type = "mastodon"
    idempotent = True
    budget = BUDGETS["mastodon"]
    env_vars = ("TOKEN",)
    base_key = "instance"

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        self.visibility = _visibility(name, config)
        self.http.session.headers["Authorization"] = f"Bearer {self.token.reveal()}"

    @classmethod
    def outbox_request(cls, name: str, config: Mapping[str, Any],
                       delivery: Delivery) -> dict[str, Any]:
        base = cls.base_url(name, config)
        requests = []
        for i, part in enumerate(delivery.parts):
            body = _status(delivery, part, _visibility(name, config))
            if i:
                body["in_reply_to_id"] = f"<id of part {i}>"
            requests.append({"method": "POST", "url": f"{base}/api/v1/statuses",
                             "headers": {"Authorization": "Bearer ***",
                                         "Content-Type": "application/json",
                                         "Idempotency-Key": _key(delivery, i)},
                             "json": body})
        if delivery.image:
            requests[0]["json"]["media_ids"] = ["<id of the uploaded image>"]
            requests.insert(0, {"method": "POST", "url": f"{base}/api/v2/media",
                                "headers": {"Authorization": "Bearer ***"},
                                "multipart": {"file": delivery.image,
                                              "description": delivery.image_alt}})
        return requests[0] if len(requests) == 1 else {"requests": requests}

    def fetch_limits(self, state_dir: Path) -> dict[str, int]:
        """Read the instance's status limits and cache them in ``state_dir``."""
        data = self.http.request("GET", "/api/v2/instance", idempotent=True).json()
        statuses = ((data or {}).get("configuration") or {}).get("statuses") or {}
        limits = {"max_characters": int(statuses.get("max_characters", 500)),
                  "characters_reserved_per_url": int(statuses.get("characters_reserved_per_url",
                                                                  23))}
        write_atomic(mastodon_cache_path(state_dir, self.base),
                     json.dumps(limits).encode() + b"\n", mode=PRIVATE_FILE)
        return limits

    def _upload(self, path: Path, alt: str) -> str:
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as handle:
            response = self.http.request("POST", "/api/v2/media", idempotent=True,
                                         files={"file": (path.name, handle, mime)},
                                         data={"description": alt})
        media_id = str(response.json()["id"])
        for attempt in range(10):
            if response.status_code != 202:
                return media_id
            time.sleep(min(0.2 * (attempt + 1), 2.0))
            response = self.http.request("GET", f"/api/v1/media/{media_id}", ok=(206,),
                                         idempotent=True)
            if response.status_code == 206:
                response.status_code = 202
        raise RetryableFailure("the instance is still processing the image", channel=self.name)

    def publish(self, delivery: Delivery) -> Result:
        image = local_image(self.root, delivery.image)
        media_ids = [self._upload(image, delivery.image_alt)] if image else []
        first: dict[str, Any] | None = None
        previous: str | None = None
        for i, part in enumerate(delivery.parts or (delivery.text,)):
            body = _status(delivery, part, self.visibility)
            if i == 0 and media_ids:
                body["media_ids"] = media_ids
            if previous:
                body["in_reply_to_id"] = previous
            data = self.http.request("POST", "/api/v1/statuses", json=body,
                                     headers={"Idempotency-Key": _key(delivery, i)}).json()
            previous = str(data["id"])
            first = first or data
        assert first is not None
        return Result(remote_id=str(first["id"]), url=first.get("url") or first.get("uri"),
                      detail={"parts": len(delivery.parts) or 1})
