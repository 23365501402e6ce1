"""Facebook page (channel ``type: facebook``): ``POST /<version>/<page_id>/feed`` (Graph API).

Config: ``page_id`` (required), ``graph_version`` (default below), ``api_base``
(default https://graph.facebook.com). Environment:
``TRUSTPUBLISH_<NAME>_PAGE_TOKEN`` (a Page access token with
``pages_manage_posts``). The token travels in the form body, never in the URL.

Graph errors arrive as ``{"error": {"message", "type", "code", ...}}``: code 190
(expired or invalid token) and 10/200-299 (permissions) are credentials problems;
codes 4, 17, 32, 613 and 80001 are rate limits, even on HTTP 400, waited out for
``estimated_time_to_regain_access`` minutes from the usage headers when given.
No idempotency key: timeouts and 5xx are *outcome unknown*.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # requests loads when a request is sent, not when a build asks a kind
    import requests

from ..errors import CredentialsError, DeliveryError, RateLimited
from ..render.social import Budget
from .api import ApiChannel
from .base import Delivery, Result

__all__ = ["FacebookChannel", "DEFAULT_GRAPH_VERSION"]

DEFAULT_GRAPH_VERSION = "v21.0"
RATE_CODES = {4, 17, 32, 613, 80001}


def _form(delivery: Delivery) -> dict[str, str]:
    form = {"message": delivery.text}
    if delivery.link:
        form["link"] = delivery.link
    return form


def _regain_seconds(response: requests.Response) -> float:
    for header in ("X-Business-Use-Case-Usage", "X-Page-Usage", "X-App-Usage"):
        raw = response.headers.get(header)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        values = data.values() if isinstance(data, dict) else [data]
        for value in values:
            for entry in value if isinstance(value, list) else [value]:
                if isinstance(entry, dict) and entry.get("estimated_time_to_regain_access"):
                    return float(entry["estimated_time_to_regain_access"]) * 60
    return 600.0


class FacebookChannel(ApiChannel):
    type = "facebook"
    idempotent = False
    budget = Budget(63206, "characters")
    env_vars = ("PAGE_TOKEN",)
    token_var = "PAGE_TOKEN"
    default_base = "https://graph.facebook.com"

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        self.page_id = self.require(name, config, "page_id", "'123456789012345'")
        self.version = str(config.get("graph_version", DEFAULT_GRAPH_VERSION))

    @classmethod
    def outbox_request(cls, name: str, config: Mapping[str, Any],
                       delivery: Delivery) -> dict[str, Any]:
        page = config.get("page_id", "<page_id>")
        version = config.get("graph_version", DEFAULT_GRAPH_VERSION)
        return {"method": "POST", "url": f"{cls.base_url(name, config)}/{version}/{page}/feed",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
                "form": {**_form(delivery), "access_token": "***"}}

    def _classify(self, response: requests.Response) -> DeliveryError | None:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            return None
        if not isinstance(error, dict):  # not Graph's shape (a proxy's or a test server's)
            return None
        code = error.get("code")
        said = self.http.scrub(str(error.get("message", "")))
        if code in RATE_CODES:
            return RateLimited(f"Facebook is rate limiting this page (code {code}): {said}",
                               retry_after=_regain_seconds(response), channel=self.name)
        if code == 190 or code == 10 or (isinstance(code, int) and 200 <= code < 300):
            return CredentialsError(f"Facebook refused the page token (code {code}): {said}",
                                    channel=self.name,
                                    hint="create a new Page access token with pages_manage_posts")
        return None

    def publish(self, delivery: Delivery) -> Result:
        response = self.http.request(
            "POST", f"/{self.version}/{self.page_id}/feed",
            data={**_form(delivery), "access_token": self.token.reveal()},
            classify=self._classify)
        post_id = str(response.json().get("id", ""))
        return Result(remote_id=post_id or None,
                      url=f"https://www.facebook.com/{post_id}" if post_id else None)
