"""Slack (channel ``type: slack``): an incoming webhook.

Environment: ``TRUSTPUBLISH_<NAME>_WEBHOOK_URL`` (api.slack.com/apps → your app →
Incoming Webhooks → Add New Webhook; the URL is the secret). The body has ``text``
(the notification fallback) and one ``section`` block with ``mrkdwn`` text (at most
3000 characters; ``& < >`` escaped by the fitter). Slack answers ``200 ok`` or a
plain-text error code (``invalid_payload``, ``no_service``, ``channel_is_archived``,
``action_prohibited``...), which is passed on as the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..env import env_name
from ..render.social import Budget, slack_escape
from .api import WebhookUrlChannel
from .base import Delivery, Result

__all__ = ["SlackChannel"]


def _body(delivery: Delivery) -> dict[str, Any]:
    return {"text": delivery.text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": part}}
                       for part in (delivery.parts or (delivery.text,))]}


class SlackChannel(WebhookUrlChannel):
    type = "slack"
    idempotent = False
    budget = Budget(3000, "characters")  # characters after escaping, one section block

    @classmethod
    def platform_text(cls, text: str) -> str:
        return slack_escape(text)

    @classmethod
    def base_url(cls, name: str, config: Mapping[str, Any]) -> str:
        return "https://hooks.slack.com"

    @classmethod
    def outbox_request(cls, name: str, config: Mapping[str, Any],
                       delivery: Delivery) -> dict[str, Any]:
        return {"method": "POST", "url": f"${env_name(name, 'webhook_url')}",
                "headers": {"Content-Type": "application/json"}, "json": _body(delivery)}

    def publish(self, delivery: Delivery) -> Result:
        response = self.http.request("POST", self.target, json=_body(delivery))
        return Result(remote_id=delivery.id, detail={"answer": response.text.strip()[:40]})
