"""The embedded default: a channel with no credentials writes what it would send.

One file per delivery in ``outbox/<channel>/``, named by delivery id: the ``.eml``
for email, or a ``.json`` with the HTTP method, URL, headers (secrets removed) and
body for API channels. The adapter class of the real channel can provide
``outbox_request(delivery)`` to describe its exact request; otherwise the delivery
itself is written. Writing is atomic (temp file + rename), and delivering the same
id twice leaves one file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..files import PRIVATE_FILE, write_atomic
from ..redact import redact
from .base import Channel, Delivery, Result

__all__ = ["OutboxChannel"]


def _safe_name(delivery_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", delivery_id)[:180]


class OutboxChannel(Channel):
    """Writes deliveries to a folder instead of sending them."""

    type = "outbox"
    idempotent = True

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None,
                 real: type[Channel] | None = None, folder: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        self.real = real
        self.folder = folder or (root or Path.cwd()) / "outbox" / name
        self.budget = real.budget if real else Channel.budget  # type: ignore[misc]
        self.kind = real.kind if real else Channel.kind  # type: ignore[misc]

    def publish(self, delivery: Delivery) -> Result:
        name = _safe_name(delivery.id)
        if delivery.message is not None:
            path = self.folder / f"{name}.eml"
            write_atomic(path, delivery.message, mode=PRIVATE_FILE)
        else:
            describe = getattr(self.real, "outbox_request", None)
            request: dict[str, Any]
            if describe is not None:
                request = describe(self.name, self.config, delivery)
            else:
                request = {"channel": self.name, "type": self.real.type if self.real else "outbox",
                           "delivery": delivery.id, "item": delivery.item_id,
                           "parts": list(delivery.parts), "link": delivery.link}
            path = self.folder / f"{name}.json"
            body = json.dumps(request, indent=2, ensure_ascii=False)
            write_atomic(path, redact(body).encode() + b"\n", mode=PRIVATE_FILE)
        return Result(remote_id=delivery.id, url=path.as_uri(), detail={"outbox": str(path)})
