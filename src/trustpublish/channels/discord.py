"""Discord (channel ``type: discord``): execute a webhook with ``?wait=true``.

Environment: ``TRUSTPUBLISH_<NAME>_WEBHOOK_URL`` (Server settings → Integrations →
Webhooks → Copy Webhook URL; the URL itself is the secret). Config: ``username``
(optional display name). ``?wait=true`` makes Discord answer with the created
message (``id``, ``channel_id``) instead of 204, so success is confirmed.
Mentions are disabled (``allowed_mentions.parse = []``). A 429 carries
``retry_after`` (seconds) in the JSON body and ``X-RateLimit-Reset-After``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..env import env_name
from ..render.social import Budget, utf16_len
from .api import WebhookUrlChannel
from .base import Delivery, Result

__all__ = ["DiscordChannel"]


def _body(config: Mapping[str, Any], delivery: Delivery) -> dict[str, Any]:
    body: dict[str, Any] = {"content": delivery.text, "allowed_mentions": {"parse": []}}
    if config.get("username"):
        body["username"] = str(config["username"])
    return body


class DiscordChannel(WebhookUrlChannel):
    type = "discord"
    idempotent = False
    budget = Budget(2000, "utf16")

    @classmethod
    def count(cls, text: str) -> int:
        return utf16_len(text)

    @classmethod
    def base_url(cls, name: str, config: Mapping[str, Any]) -> str:
        return "https://discord.com"

    @classmethod
    def outbox_request(cls, name: str, config: Mapping[str, Any],
                       delivery: Delivery) -> dict[str, Any]:
        return {"method": "POST", "url": f"${env_name(name, 'webhook_url')}?wait=true",
                "headers": {"Content-Type": "application/json"}, "json": _body(config, delivery)}

    def publish(self, delivery: Delivery) -> Result:
        data = self.http.request("POST", self.target, params={"wait": "true"},
                                 json=_body(self.config, delivery)).json()
        message_id = str(data.get("id", "")) or None
        guild = data.get("guild_id")
        url = (f"https://discord.com/channels/{guild}/{data.get('channel_id')}/{message_id}"
               if guild and message_id else None)
        return Result(remote_id=message_id, url=url)
