"""Adapters by ``type:`` name, extensible through the ``trustpublish.channels`` entry points.

Built-in adapters are listed in ``BUILTIN`` as ``"module:Class"`` and imported on
first use; third-party packages add theirs with::

    [project.entry-points."trustpublish.channels"]
    mychannel = "mypackage.channel:MyChannel"

Every class is checked to be a :class:`~trustpublish.channels.base.Channel`
subclass. An unknown type is a ConfigError that lists the known ones.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .base import Channel

__all__ = ["BUILTIN", "known_types", "channel_class", "open_channel"]

BUILTIN: dict[str, str] = {
    "outbox": "trustpublish.channels.outbox:OutboxChannel",
    "email": "trustpublish.channels.smtp:SmtpChannel",
    "webhook": "trustpublish.channels.webhook:WebhookChannel",
    "mastodon": "trustpublish.channels.mastodon:MastodonChannel",
    "bluesky": "trustpublish.channels.bluesky:BlueskyChannel",
    "linkedin": "trustpublish.channels.linkedin:LinkedInChannel",
    "facebook": "trustpublish.channels.facebook:FacebookChannel",
    "telegram": "trustpublish.channels.telegram:TelegramChannel",
    "discord": "trustpublish.channels.discord:DiscordChannel",
    "slack": "trustpublish.channels.slack:SlackChannel",
}

ENTRY_POINT_GROUP = "trustpublish.channels"


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_types() -> list[str]:
    """Every type name: built-in and installed plugins."""
    return sorted(set(BUILTIN) | set(_entry_points()))


def channel_class(type_name: str, *, key_path: str | None = None) -> type[Channel]:
    """The adapter class for ``type_name``; ConfigError listing known types otherwise."""
    if type_name in BUILTIN:
        module, attr = BUILTIN[type_name].split(":")
        cls = getattr(importlib.import_module(module), attr)
    elif type_name in _entry_points():
        cls = _entry_points()[type_name].load()
    else:
        import difflib

        guess = difflib.get_close_matches(type_name, known_types(), n=1)
        hint = f"did you mean `{guess[0]}`? " if guess else ""
        raise ConfigError(f"unknown channel type {type_name!r}", key_path=key_path,
                          hint=f"{hint}known types: {', '.join(known_types())}")
    if not (isinstance(cls, type) and issubclass(cls, Channel)):
        raise ConfigError(f"channel type {type_name!r} does not name a Channel subclass",
                          key_path=key_path)
    return cls


def open_channel(name: str, config: Mapping[str, Any], *, root: Path,
                 outbox_dir: Path | None = None) -> Channel:
    """Build the adapter for channel ``name``.

    When the environment lacks its credentials, the embedded default is built
    instead: an :class:`~trustpublish.channels.outbox.OutboxChannel` that writes
    exactly what would be sent to ``outbox/<name>/``.
    """
    cls = channel_class(str(config.get("type", "")), key_path=f"channels.{name}.type")
    if cls.type != "outbox" and not cls.credentials_present(name):
        from .outbox import OutboxChannel

        return OutboxChannel(name, config, root=root, real=cls,
                             folder=(outbox_dir or root / "outbox") / name)
    return cls(name, config, root=root)
