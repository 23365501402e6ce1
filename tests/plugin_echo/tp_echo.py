"""``type: echo``: a test plugin that POSTs each delivery as JSON to ``url``.

It counts text in UTF-8 bytes (a rule no built-in channel uses), takes at most
``ECHO_LIMIT`` of them, shouts hashtags in upper case as its platform text form, and
sends ``Idempotency-Key: <delivery id>`` so the server can drop a repeat. The token
comes from ``TRUSTPUBLISH_<NAME>_TOKEN``; without it the registry writes to the outbox.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from trustpublish.channels.base import Budget, Channel, Delivery, Result
from trustpublish.env import secret
from trustpublish.errors import OutcomeUnknown, PermanentFailure, RetryableFailure

ECHO_LIMIT = 400


class EchoChannel(Channel):
    type = "echo"
    kind = "post"
    idempotent = True
    budget = Budget(limit=ECHO_LIMIT, counted_as="bytes")
    env_vars = ("TOKEN",)

    @classmethod
    def count(cls, text: str) -> int:
        return len(text.encode("utf-8"))

    @classmethod
    def platform_text(cls, text: str) -> str:
        return re.sub(r"(?<![\w/?&])#\w+", lambda m: m.group(0).upper(), text)

    def publish(self, delivery: Delivery) -> Result:
        token = secret(self.name, "TOKEN")
        assert token is not None
        body = json.dumps({"channel": self.name, "item": delivery.item_id,
                           "parts": list(delivery.parts), "link": delivery.link}).encode()
        request = urllib.request.Request(
            str(self.config["url"]), data=body, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": delivery.id,
                     "Authorization": f"Bearer {token.reveal()}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise RetryableFailure(f"echo server answered {exc.code}",
                                       channel=self.name) from None
            raise PermanentFailure(f"echo server refused it ({exc.code})",
                                   channel=self.name) from None
        except OSError as exc:
            raise OutcomeUnknown(f"echo server: {exc.__class__.__name__}",
                                 channel=self.name) from None
        return Result(remote_id=str(answer.get("id")), url=answer.get("url"))


class NotAChannel:
    """Registered as ``type: broken`` to show that the registry refuses it."""
