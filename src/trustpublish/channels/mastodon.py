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

Mastodon keeps those keys for about an hour. A delivery tried before
(``extra["attempts"]``) and first planned longer ago than :data:`IDEMPOTENCY_WINDOW`
(``extra["planned_at"]``, from the ledger) may be a re-send whose key has expired: before posting a part, the adapter reads the account's recent
statuses and takes a status with the same text as already posted. When they cannot be
read, it raises :class:`~trustpublish.errors.OutcomeUnknown` (the delivery becomes
``unknown``) rather than risk a duplicate. A thread that breaks after its first part
raises :class:`~trustpublish.errors.ThreadBroken` with the live parts; the engine
keeps them and the next attempt resumes at the first missing part.

:meth:`MastodonChannel.fetch_limits` reads ``GET /api/v2/instance`` and caches
``configuration.statuses.max_characters`` / ``characters_reserved_per_url`` in
``state/channels/``; :func:`mastodon_limits` reads that cache when text is fitted
(:meth:`MastodonChannel.text_rules`). Text is counted in graphemes with every URL
as ``characters_reserved_per_url`` characters.
"""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import (
    ConfigError,
    DeliveryError,
    OutcomeUnknown,
    RetryableFailure,
    ThreadBroken,
)
from ..files import PRIVATE_FILE, write_atomic
from ..render.social import Budget, TextRules, count_urls_as
from .api import ApiChannel, local_image
from .http import HttpClient, timeout_from
from .base import THREAD_LIVE, Delivery, Result

__all__ = ["MastodonChannel", "mastodon_limits", "mastodon_cache_path"]

DEFAULT_LIMIT, DEFAULT_URL_LENGTH = 500, 23
#: how long after a delivery was planned its Idempotency-Key surely still holds
IDEMPOTENCY_WINDOW = dt.timedelta(minutes=50)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)


def _plain(text: str) -> str:
    """Status text or content HTML reduced to words for comparison."""
    import html

    return " ".join(html.unescape(_TAG.sub("", _BREAK.sub(" ", text))).split())


def _maybe_resent(delivery: Delivery, now: dt.datetime) -> bool:
    """Tried before (``extra["attempts"]``, from the ledger; unknown counts as tried) and
    planned longer ago than the instance keeps Idempotency-Keys."""
    planned = delivery.extra.get("planned_at")
    tried = int(delivery.extra.get("attempts", 1)) > 0
    return tried and bool(planned) and \
        now - dt.datetime.fromisoformat(str(planned)) > IDEMPOTENCY_WINDOW

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


def mastodon_cache_path(state_dir: Path, instance: str) -> Path:
    """Where the limits of ``instance`` are cached."""
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(instance).netloc or instance)
    return state_dir / "channels" / f"mastodon-{host}.json"


def mastodon_limits(config: Mapping[str, Any], state_dir: Path | None) -> tuple[int, int]:
    """(max_characters, characters_reserved_per_url): config, else the cached instance,
    else 500/23."""
    limit, per_url = DEFAULT_LIMIT, DEFAULT_URL_LENGTH
    instance = str(config.get("instance", ""))
    if state_dir is not None and instance:
        path = mastodon_cache_path(state_dir, instance)
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            limit = int(cached.get("max_characters", limit))
            per_url = int(cached.get("characters_reserved_per_url", per_url))
        except (OSError, ValueError, TypeError, AttributeError):
            pass
    return int(config.get("max_characters", limit)), per_url


#: how long cached instance limits are trusted before they are read again
LIMITS_MAX_AGE = dt.timedelta(days=1)
_TRIED: set[tuple[str, str]] = set()


def _fetch_limits(http: HttpClient, base: str, state_dir: Path) -> dict[str, int]:
    data = http.request("GET", "/api/v2/instance", idempotent=True).json()
    statuses = ((data or {}).get("configuration") or {}).get("statuses") or {}
    limits = {"max_characters": int(statuses.get("max_characters", DEFAULT_LIMIT)),
              "characters_reserved_per_url": int(statuses.get("characters_reserved_per_url",
                                                              DEFAULT_URL_LENGTH))}
    write_atomic(mastodon_cache_path(state_dir, base), json.dumps(limits).encode() + b"\n",
                 mode=PRIVATE_FILE)
    return limits


class MastodonChannel(ApiChannel):
    type = "mastodon"
    idempotent = True
    budget = Budget(DEFAULT_LIMIT, "graphemes", url_length=DEFAULT_URL_LENGTH,
                    supports_threads=True)
    env_vars = ("TOKEN",)
    base_key = "instance"

    @classmethod
    def count(cls, text: str) -> int:
        return count_urls_as(text, DEFAULT_URL_LENGTH)

    @classmethod
    def configured_limit(cls, name: str, config: Mapping[str, Any],
                         state_dir: Path | None = None) -> int | None:
        return mastodon_limits(config, state_dir)[0]

    @classmethod
    def text_rules(cls, name: str, config: Mapping[str, Any],
                   state_dir: Path | None = None) -> TextRules:
        """The base rules, counting URLs as the instance's ``characters_reserved_per_url``."""
        rules = super().text_rules(name, config, state_dir)
        per_url = mastodon_limits(config, state_dir)[1]
        return replace(rules, count=lambda text: count_urls_as(text, per_url))

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
        return _fetch_limits(self.http, self.base, state_dir)

    @classmethod
    def refresh_limits(cls, name: str, config: Mapping[str, Any], state_dir: Path) -> None:
        """Read ``GET /api/v2/instance`` (public) when the cache is missing or older than
        :data:`LIMITS_MAX_AGE`; at most one try per instance per process."""
        base = cls.base_url(name, config)
        path = mastodon_cache_path(state_dir, base)
        try:
            fresh = time.time() - path.stat().st_mtime < LIMITS_MAX_AGE.total_seconds()
        except OSError:
            fresh = False
        if fresh or (base, str(state_dir)) in _TRIED:
            return
        _TRIED.add((base, str(state_dir)))
        client = HttpClient(name, base, idempotent=True, timeout=timeout_from(config, channel=name))
        try:
            _fetch_limits(client, base, state_dir)
        except (DeliveryError, KeyError, TypeError, ValueError, OSError):
            pass
        finally:
            client.close()

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

    def _posted(self) -> dict[str, dict[str, str]]:
        """The account's recent statuses by their plain text (for a possible re-send)."""
        try:
            me = self.http.request("GET", "/api/v1/accounts/verify_credentials",
                                   idempotent=True).json()
            recent = self.http.request("GET", f"/api/v1/accounts/{me['id']}/statuses",
                                       params={"limit": 40, "exclude_reblogs": "true"},
                                       idempotent=True).json()
        except (DeliveryError, KeyError, TypeError, ValueError) as exc:
            said = exc.message if isinstance(exc, DeliveryError) else "an unexpected answer"
            raise OutcomeUnknown(
                "this may be a re-send after the instance forgot its Idempotency-Key (about "
                f"an hour), and the account's posts could not be read to check: {said}",
                channel=self.name, hint="look at the account, then `trustpublish resolve ID "
                "--sent` or `--not-sent`") from None
        found: dict[str, dict[str, str]] = {}
        for status in recent if isinstance(recent, list) else []:
            text = status.get("text") or status.get("content") or ""
            found.setdefault(_plain(text), {"id": str(status["id"]),
                                            "url": str(status.get("url") or status.get("uri")
                                                       or "")})
        return found

    def publish(self, delivery: Delivery) -> Result:
        parts = delivery.parts or (delivery.text,)
        live: list[dict[str, str]] = list(delivery.extra.get(THREAD_LIVE) or [])[:len(parts)]
        posted = self._posted() if _maybe_resent(delivery, dt.datetime.now(dt.timezone.utc)) \
            else {}
        media_ids: list[str] = []
        for i, part in enumerate(parts):
            if i < len(live):  # already live from an earlier attempt: resume after it
                continue
            if _plain(part) in posted:  # posted by an earlier attempt whose key expired
                live.append(posted[_plain(part)])
                continue
            try:
                if i == 0 and delivery.image:
                    image = local_image(self.root, delivery.image)
                    media_ids = [self._upload(image, delivery.image_alt)] if image else []
                body = _status(delivery, part, self.visibility)
                if i == 0 and media_ids:
                    body["media_ids"] = media_ids
                if live:
                    body["in_reply_to_id"] = live[-1]["id"]
                data = self.http.request("POST", "/api/v1/statuses", json=body,
                                         headers={"Idempotency-Key": _key(delivery, i)}).json()
            except DeliveryError as exc:
                if live:
                    raise ThreadBroken(exc, live=live, total=len(parts), channel=self.name) from None
                raise
            live.append({"id": str(data["id"]), "url": str(data.get("url") or data.get("uri")
                                                            or "")})
        first = live[0]
        return Result(remote_id=first["id"], url=first["url"] or None,
                      detail={"parts": len(delivery.parts) or 1})
