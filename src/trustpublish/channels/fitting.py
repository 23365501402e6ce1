"""Fitting text for a configured channel: the channel class's rules + the text fitter.

:mod:`trustpublish.render.social` fits text with a
:class:`~trustpublish.render.social.TextRules` value and knows nothing of channel
types; this module asks the channel's class for those rules
(:meth:`~trustpublish.channels.base.Channel.text_rules`) and hands them over. See
docs/channels.md for how each built-in channel counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..render import social
from ..render.social import FittedText, TextRules
from .registry import channel_class, class_of

if TYPE_CHECKING:
    from ..content.model import Excerpt

__all__ = ["text_rules", "fit_excerpt", "fit_text", "count"]


def text_rules(name: str, config: Mapping[str, Any], state_dir: Path | None = None) -> TextRules:
    """The text rules of channel ``name`` (its class's, with its config and cached limits)."""
    return class_of(name, config).text_rules(name, config, state_dir)


def fit_excerpt(excerpt: "Excerpt", name: str, config: Mapping[str, Any], *,
                tags: Sequence[str] = (), templates: Path | None = None,
                state_dir: Path | None = None) -> FittedText:
    """``excerpt`` fitted to channel ``name`` (its ``type:`` decides the rules)."""
    return social.fit_excerpt(excerpt, name, config, rules=text_rules(name, config, state_dir),
                              tags=tags, templates=templates)


def fit_text(sentences: Sequence[str], type_name: str, name: str, config: Mapping[str, Any], *,
             link: str, title: str = "", tags: Sequence[str] = (),
             templates: Path | None = None, state_dir: Path | None = None) -> FittedText:
    """``sentences`` fitted to a channel of type ``type_name`` named ``name``."""
    rules = channel_class(type_name).text_rules(name, config, state_dir)
    return social.fit_text(sentences, rules, name, config, link=link, title=title, tags=tags,
                           templates=templates)


def count(type_name: str, text: str) -> int:
    """``text`` (as it will be sent) counted the way channel type ``type_name`` counts."""
    return channel_class(type_name).count(text)
