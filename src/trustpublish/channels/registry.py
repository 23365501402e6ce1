"""Adapters by ``type:`` name: the shipped ones listed here, plugins by entry point.

The adapters that ship with trustpublish are listed in :data:`SHIPPED` with their
kind, so a command that only asks what a channel sends (``build``, ``plan``) knows it
without importing the adapter and its network libraries. A plugin registers an entry
point in the ``trustpublish.channels`` group whose name is the ``type:`` used in
schedule.yaml (docs/channels.md); entry points are read only when a type is not a
shipped one, or to list every known type::

    [project.entry-points."trustpublish.channels"]
    mychannel = "mypackage.channel:MyChannel"

Every class is checked to be a :class:`~trustpublish.channels.base.Channel`
subclass with a known ``kind``. An unknown type is a ConfigError that lists the
known ones. The outbox is not an entry point: it is this registry's wrapper for a
channel whose credentials are missing, and the ``outbox`` type names it directly.

This is the one module that resolves type names; everything else asks the class
(``kind``, ``budget``, ``text_rules``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from .base import Channel

__all__ = ["ENTRY_POINT_GROUP", "SHIPPED", "known_types", "shipped_kind", "channel_class",
           "class_of", "open_channel"]

ENTRY_POINT_GROUP = "trustpublish.channels"
OUTBOX = "outbox"  # OutboxChannel.type

#: type name → ("module:Class", kind) of each adapter that ships with trustpublish. A
#: shipped name is never looked up among the entry points (a plugin cannot replace it).
SHIPPED: dict[str, tuple[str, str]] = {
    "email": ("trustpublish.channels.smtp:SmtpChannel", "digest"),
    "feed": ("trustpublish.channels.feed:FeedChannel", "feed"),
    "webhook": ("trustpublish.channels.webhook:WebhookChannel", "post"),
    "mastodon": ("trustpublish.channels.mastodon:MastodonChannel", "post"),
    "bluesky": ("trustpublish.channels.bluesky:BlueskyChannel", "post"),
    "linkedin": ("trustpublish.channels.linkedin:LinkedInChannel", "post"),
    "facebook": ("trustpublish.channels.facebook:FacebookChannel", "post"),
    "telegram": ("trustpublish.channels.telegram:TelegramChannel", "post"),
    "discord": ("trustpublish.channels.discord:DiscordChannel", "post"),
    "slack": ("trustpublish.channels.slack:SlackChannel", "post"),
}


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, Any]:
    """The plugins' entry points by type name (shipped names left out)."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)
            if ep.name not in SHIPPED}


def known_types() -> list[str]:
    """Every type name: the shipped adapters, the installed plugins and ``outbox``."""
    return sorted({*SHIPPED, *_entry_points(), OUTBOX})


def shipped_kind(type_name: str) -> str | None:
    """The kind of a shipped adapter's type, known without importing it; None for any
    other type (ask its class: :func:`channel_class`)."""
    shipped = SHIPPED.get(type_name)
    return shipped[1] if shipped else None


@lru_cache(maxsize=None)
def _load(type_name: str) -> Any:
    if type_name == OUTBOX:
        from .outbox import OutboxChannel

        return OutboxChannel
    if type_name in SHIPPED:
        import importlib

        module, _, attr = SHIPPED[type_name][0].partition(":")
        return getattr(importlib.import_module(module), attr)
    return _entry_points()[type_name].load()


def channel_class(type_name: str, *, key_path: str | None = None) -> type[Channel]:
    """The adapter class for ``type_name``; ConfigError listing known types otherwise."""
    from .base import KINDS, Channel

    if type_name != OUTBOX and type_name not in SHIPPED and type_name not in _entry_points():
        import difflib

        guess = difflib.get_close_matches(type_name, known_types(), n=1)
        hint = f"did you mean `{guess[0]}`? " if guess else ""
        raise ConfigError(f"unknown channel type {type_name!r}", key_path=key_path,
                          hint=f"{hint}known types: {', '.join(known_types())}")
    cls = _load(type_name)
    if not (isinstance(cls, type) and issubclass(cls, Channel)):
        raise ConfigError(f"channel type {type_name!r} does not name a Channel subclass",
                          key_path=key_path, hint=f"its entry point is "
                          f"{_entry_points()[type_name].value}; see docs/channels.md")
    if cls.kind not in KINDS:
        raise ConfigError(f"channel type {type_name!r} has kind {cls.kind!r}",
                          key_path=key_path, hint=f"a kind is one of {', '.join(KINDS)}")
    return cls


def class_of(name: str, config: Mapping[str, Any]) -> type[Channel]:
    """The adapter class of channel ``name`` configured by ``config`` (its ``type:``)."""
    return channel_class(str(config.get("type", "")), key_path=f"channels.{name}.type")


def open_channel(name: str, config: Mapping[str, Any], *, root: Path,
                 outbox_dir: Path | None = None) -> Channel:
    """Build the adapter for channel ``name``.

    When the environment lacks its credentials, the embedded default is built
    instead: an :class:`~trustpublish.channels.outbox.OutboxChannel` that writes
    exactly what would be sent to ``outbox/<name>/``.
    """
    from .outbox import OutboxChannel

    cls = class_of(name, config)
    if cls is not OutboxChannel and not cls.credentials_present(name):
        return OutboxChannel(name, config, root=root, real=cls,
                             folder=(outbox_dir or root / "outbox") / name)
    return cls(name, config, root=root)
