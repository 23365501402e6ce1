"""Telegram (channel ``type: telegram``): Bot API ``sendMessage`` with ``parse_mode: HTML``.

Config: ``chat`` (required: ``@channelusername`` or a numeric chat id),
``api_base`` (default https://api.telegram.org). Environment:
``TRUSTPUBLISH_<NAME>_BOT_TOKEN`` (from @BotFather; the bot must be an admin of
the channel). The token is part of the URL (``/bot<token>/sendMessage``), so it is
scrubbed from every error and shown as ``bot***`` in the outbox.

Body: ``chat_id``, ``text`` (HTML-escaped by the fitter), ``parse_mode: HTML``,
``link_preview_options.url`` = the link. Answers are ``{"ok": true, "result":
{"message_id", "chat": {...}}}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``; 429 waits ``retry_after`` seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..render.social import Budget, entity_utf16_len, telegram_escape
from .api import ApiChannel
from .base import Delivery, Result

__all__ = ["TelegramChannel"]


def _body(chat: str, delivery: Delivery) -> dict[str, Any]:
    body: dict[str, Any] = {"chat_id": chat, "text": delivery.text, "parse_mode": "HTML"}
    if delivery.link:
        body["link_preview_options"] = {"url": delivery.link}
    return body


class TelegramChannel(ApiChannel):
    type = "telegram"
    idempotent = False
    budget = Budget(4096, "utf16")  # UTF-16 code units after entity parsing
    env_vars = ("BOT_TOKEN",)
    token_var = "BOT_TOKEN"
    default_base = "https://api.telegram.org"

    @classmethod
    def count(cls, text: str) -> int:
        return entity_utf16_len(text)

    @classmethod
    def platform_text(cls, text: str) -> str:
        return telegram_escape(text)

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        self.chat = self.require(name, config, "chat", "'@harborview_counseling'")

    @classmethod
    def outbox_request(cls, name: str, config: Mapping[str, Any],
                       delivery: Delivery) -> dict[str, Any]:
        return {"method": "POST", "url": f"{cls.base_url(name, config)}/bot***/sendMessage",
                "headers": {"Content-Type": "application/json"},
                "json": _body(str(config.get("chat", "<chat>")), delivery)}

    def publish(self, delivery: Delivery) -> Result:
        response = self.http.request("POST", f"/bot{self.token.reveal()}/sendMessage",
                                     json=_body(self.chat, delivery))
        result = response.json().get("result") or {}
        message_id = result.get("message_id")
        username = (result.get("chat") or {}).get("username")
        url = f"https://t.me/{username}/{message_id}" if username and message_id else None
        return Result(remote_id=str(message_id) if message_id is not None else None, url=url)
