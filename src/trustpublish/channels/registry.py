"""Adapters by ``type:`` name, from the ``trustpublish.channels`` entry points.

Every adapter, built-in or plugin, is registered the same way, as an entry point
whose name is the ``type:`` used in schedule.yaml (see pyproject.toml and
docs/channels.md)::

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
from typing import Any

from ..errors import ConfigError
from .base import KINDS, Channel
from .outbox import OutboxChannel

__all__ = ["ENTRY_POINT_GROUP", "known_types", "channel_class", "class_of", "open_channel"]

ENTRY_POINT_GROUP = "trustpublish.channels"
OUTBOX = OutboxChannel.type


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_types() -> list[str]:
    """Every type name: the installed entry points (built-in and plugins) and ``outbox``."""
    return sorted({*_entry_points(), OUTBOX})


@lru_cache(maxsize=None)
def _load(type_name: str) -> Any:
    return OutboxChannel if type_name == OUTBOX else _entry_points()[type_name].load()


def channel_class(type_name: str, *, key_path: str | None = None) -> type[Channel]:
    """The adapter class for ``type_name``; ConfigError listing known types otherwise."""
    if type_name != OUTBOX and type_name not in _entry_points():
        import difflib

        guess = difflib.get_close_matches(type_name, known_types(), n=1)
        hint = f"did you mean `{guess[0]}`? " if guess else ""
        if not _entry_points():
            hint = ("no channel entry points are installed: reinstall trustpublish "
                    "(`pip install -e .`); ")
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
    cls = class_of(name, config)
    if cls is not OutboxChannel and not cls.credentials_present(name):
        return OutboxChannel(name, config, root=root, real=cls,
                             folder=(outbox_dir or root / "outbox") / name)
    return cls(name, config, root=root)
