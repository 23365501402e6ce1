"""A base class for adapters that talk to an HTTP API with one token.

:class:`ApiChannel` reads its secret ``TRUSTPUBLISH_<NAME>_<TOKEN_VAR>``, validates
its base URL (``base_key`` in the config, else ``default_base``), builds one
:class:`~trustpublish.channels.http.HttpClient` and closes it. Subclasses implement
``publish`` and the classmethod ``outbox_request(name, config, delivery)`` that
describes the exact request with secrets shown as ``***``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ..env import Secret, env_name, secret
from ..errors import ConfigError
from .base import Channel
from .http import HttpClient, check_base_url, timeout_from

__all__ = ["ApiChannel", "WebhookUrlChannel", "local_image", "image_candidates"]


class ApiChannel(Channel):
    """An HTTP API adapter with one secret token."""

    token_var: ClassVar[str] = "TOKEN"
    base_key: ClassVar[str] = "api_base"
    default_base: ClassVar[str | None] = None

    @classmethod
    def required_env(cls) -> tuple[str, ...]:
        return (cls.token_var,)

    @classmethod
    def base_url(cls, name: str, config: Mapping[str, Any]) -> str:
        value = config.get(cls.base_key) or cls.default_base
        if not value:
            raise ConfigError(f"`{cls.base_key}` is required for a {cls.type} channel",
                              key_path=f"channels.{name}.{cls.base_key}")
        return check_base_url(str(value), channel=name, key=cls.base_key)

    @classmethod
    def require(cls, name: str, config: Mapping[str, Any], key: str, example: str) -> str:
        value = config.get(key)
        if not value:
            raise ConfigError(f"`{key}` is required for a {cls.type} channel",
                              key_path=f"channels.{name}.{key}", hint=f"for example {key}: {example}")
        return str(value)

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        token = secret(name, self.token_var)
        if not token:
            raise ConfigError(f"{env_name(name, self.token_var)} is not set")
        self.token: Secret = token
        self.base = self.base_url(name, config)
        self.http = HttpClient(name, self.base, idempotent=self.idempotent, secrets=[token],
                               timeout=timeout_from(config, channel=name))

    def close(self) -> None:
        self.http.close()


class WebhookUrlChannel(ApiChannel):
    """An adapter whose secret is a whole webhook URL (``TRUSTPUBLISH_<NAME>_WEBHOOK_URL``).

    The URL is checked like a base URL (https, or http on loopback) and its last path
    segment, the token part, is scrubbed from every message.
    """

    env_vars: ClassVar[tuple[str, ...]] = ("WEBHOOK_URL",)
    token_var: ClassVar[str] = "WEBHOOK_URL"

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        super().__init__(name, config, root=root)
        self.target = check_base_url(self.token.reveal(), channel=name, key="webhook_url",
                                     secret=True)
        self.http.add_secret(self.target.rsplit("/", 1)[-1])


def image_candidates(root: Path | None, image: str) -> list[Path]:
    """Where a local ``image:`` may be: under the project folder or under ``posts/`` (a
    leading ``/`` means the project folder, never the machine's root). A URL has none."""
    if "://" in image or not image:
        return []
    if root is None:
        return [Path(image)]
    return [root / image.lstrip("/"), root / "posts" / image.lstrip("/")]


def local_image(root: Path | None, image: str | None) -> Path | None:
    """The post image as a local file inside the project, or None for URLs/missing.

    A path resolving outside the project (``/etc/passwd``, ``../x``, a symlink out) is
    never returned: it would be uploaded to a public platform.
    """
    if not image or "://" in image or root is None:
        return None
    base = root.resolve()
    for candidate in image_candidates(root, image):
        resolved = candidate.resolve()
        if resolved.is_relative_to(base) and resolved.is_file():
            return resolved
    return None
