"""LinkedIn (channel ``type: linkedin``): ``POST /rest/posts`` (Posts API).

Config: ``author`` (required: ``urn:li:organization:<id>`` for a company page or
``urn:li:person:<id>`` for a member), ``version`` (the ``LinkedIn-Version`` header,
``YYYYMM``; default below), ``api_base`` (default https://api.linkedin.com).
Environment: ``TRUSTPUBLISH_<NAME>_TOKEN`` (an OAuth access token with
``w_organization_social`` or ``w_member_social``).

Headers: ``Authorization: Bearer``, ``LinkedIn-Version``,
``X-Restli-Protocol-Version: 2.0.0``. The body has ``commentary`` (already escaped
by the fitter), ``visibility: PUBLIC``, ``distribution.feedDistribution: MAIN_FEED``,
``lifecycleState: PUBLISHED`` and an ``article`` content for the link. The new
post's URN comes back in the ``x-restli-id`` header. LinkedIn has no idempotency
key: a timeout or 5xx is *outcome unknown*; the ledger prevents repeats.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..render.social import Budget, linkedin_escape
from .api import ApiChannel
from .base import Delivery, Result

__all__ = ["LinkedInChannel", "DEFAULT_VERSION"]

DEFAULT_VERSION = "202506"


def _headers(version: str, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "LinkedIn-Version": version,
            "X-Restli-Protocol-Version": "2.0.0", "Content-Type": "application/json"}


def _body(author: str, delivery: Delivery) -> dict[str, Any]:
    body: dict[str, Any] = {
        "author": author, "commentary": delivery.text, "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                         "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
    if delivery.link:
        body["content"] = {"article": {"source": delivery.link, "title": delivery.title,
                                       "description": delivery.summary}}
    return body


class LinkedInChannel(ApiChannel):
    type = "linkedin"
    idempotent = False
    budget = Budget(3000, "characters")  # characters after escaping
    env_vars = ("TOKEN",)
    default_base = "https://api.linkedin.com"

    @classmethod
    def platform_text(cls, text: str) -> str:
        """Reserved characters escaped, ``#Tag`` as a hashtag (the ``commentary`` format)."""
        return linkedin_escape(text)

    @classmethod
    def _author(cls, name: str, config: Mapping[str, Any]) -> str:
        author = cls.require(name, config, "author", "urn:li:organization:12345")
        if not author.startswith(("urn:li:organization:", "urn:li:person:")):
            raise ConfigError("author must be urn:li:organization:<id> or urn:li:person:<id>",
                              key_path=f"channels.{name}.author")
        return author

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        self.author = self._author(name, config)
        self.version = str(config.get("version", DEFAULT_VERSION))

    @classmethod
    def outbox_request(cls, name: str, config: Mapping[str, Any],
                       delivery: Delivery) -> dict[str, Any]:
        return {"method": "POST", "url": f"{cls.base_url(name, config)}/rest/posts",
                "headers": _headers(str(config.get("version", DEFAULT_VERSION)), "***"),
                "json": _body(cls._author(name, config), delivery)}

    def publish(self, delivery: Delivery) -> Result:
        response = self.http.request("POST", "/rest/posts", json=_body(self.author, delivery),
                                     headers=_headers(self.version, self.token.reveal()))
        urn = response.headers.get("x-restli-id", "")
        return Result(remote_id=urn or None,
                      url=f"https://www.linkedin.com/feed/update/{urn}/" if urn else None)
