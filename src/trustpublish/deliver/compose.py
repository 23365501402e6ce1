"""Turning (excerpt, channel) into a :class:`~trustpublish.channels.base.Delivery`.

:func:`compose` fits the excerpt to the channel (:func:`trustpublish.render.social.fit_excerpt`
with the rules of the channel's class)
and fills the delivery with the deterministic id
``delivery_id(channel, excerpt.id)``, the UTM link, title, teaser, the post's image
and language. When the channel's credentials are set (a real send), the channel class
may first refresh its cached limits from the platform (Mastodon's ``/api/v2/instance``,
at most daily); otherwise it reads only the project's loaded data and that cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..channels.base import Delivery
from ..channels.ids import delivery_id
from ..errors import ConfigError
from ..render.social import FittedText, fit_excerpt

if TYPE_CHECKING:
    from ..content.model import Excerpt, Post
    from ..workspace.project import Project

__all__ = ["compose", "post_of", "channel_config"]


def channel_config(project: "Project", name: str) -> dict[str, Any]:
    """The ``channels.<name>`` mapping; ConfigError listing the channels otherwise."""
    channels = project.config.channels
    if name not in channels:
        known = ", ".join(sorted(channels)) or "(none)"
        raise ConfigError(f"no channel {name!r} in schedule.yaml", file=project.config.path,
                          key_path="channels", line=project.config.lines.line_of("channels"),
                          hint=f"the channels are: {known}")
    return channels[name]


def post_of(project: "Project", excerpt: "Excerpt") -> "Post":
    for post in project.posts:
        if post.slug == excerpt.post_slug:
            return post
    raise ConfigError(f"no post for excerpt {excerpt.id!r}")  # pragma: no cover


def compose(project: "Project", excerpt: "Excerpt", name: str, *, key: str | None = None,
            **extra: Any) -> tuple[Delivery, FittedText]:
    """The delivery of ``excerpt`` to channel ``name`` and its fitted text.

    ``key`` is the delivery id (the ledger's key when the engine sends it); without
    it, ``delivery_id(name, excerpt.id)``.
    """
    config = channel_config(project, name)
    post = post_of(project, excerpt)
    cls = project.channel_class(name)
    if cls.credentials_present(name):  # a real send: let the platform say its limits
        cls.refresh_limits(name, config, project.state_dir)
    fitted = fit_excerpt(excerpt, name, config, rules=project.text_rules(name), tags=post.tags,
                         templates=project.templates_dir)
    delivery = Delivery(
        id=key or delivery_id(name, excerpt.id), channel=name, item_id=excerpt.id, kind="post",
        parts=fitted.parts, link=fitted.link, title=excerpt.title, summary=excerpt.teaser,
        image=post.image, image_alt=post.image_alt,
        language=post.language or project.config.site.language, extra=extra)
    return delivery, fitted
