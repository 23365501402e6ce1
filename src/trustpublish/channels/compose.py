"""Turning (excerpt, channel) into a :class:`~trustpublish.channels.base.Delivery`.

:func:`compose` fits the excerpt to the channel (:func:`trustpublish.fit.fit_excerpt`)
and fills the delivery with the deterministic id
``delivery_id(channel, excerpt.id)``, the UTM link, title, teaser, the post's image
and language. Pure: reads only the project's already loaded data and the Mastodon
limits cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..fit import FittedText, fit_excerpt
from .base import Delivery
from .ids import delivery_id

if TYPE_CHECKING:
    from ..model import Excerpt, Post
    from ..project import Project

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
    fitted = fit_excerpt(excerpt, name, config, tags=post.tags,
                         templates=project.templates_dir, state_dir=project.state_dir)
    delivery = Delivery(
        id=key or delivery_id(name, excerpt.id), channel=name, item_id=excerpt.id, kind="post",
        parts=fitted.parts, link=fitted.link, title=excerpt.title, summary=excerpt.teaser,
        image=post.image, image_alt=post.image_alt,
        language=post.language or project.config.site.language, extra=extra)
    return delivery, fitted


#: channel types whose text is fitted (email and feeds have no text budget)
SOCIAL_TYPES = ("mastodon", "bluesky", "linkedin", "facebook", "telegram", "discord", "slack",
                "webhook")


def budget_problems(project: "Project") -> list[Any]:
    """A Problem for every approved excerpt that does not fit a configured social channel."""
    from ..checks import Problem

    problems: list[Any] = []
    social = {name: cfg for name, cfg in project.config.channels.items()
              if cfg.get("type") in SOCIAL_TYPES}
    for post in project.posts:
        if not post.approved:
            continue
        targets = [n for n in social if post.channels is None or n in post.channels]
        for excerpt in project.excerpts(post):
            for name in targets:
                fitted = fit_excerpt(excerpt, name, social[name], tags=post.tags,
                                     templates=project.templates_dir,
                                     state_dir=project.state_dir)
                if not fitted.fits:
                    worst = max(fitted.counts)
                    problems.append(Problem(
                        "Too long", f"excerpt {excerpt.id} is {worst} {fitted.counted_as} for "
                        f"channel {name} (limit {fitted.limit}) even after cutting",
                        str(post.source), None,
                        f"shorten templates/social/{social[name]['type']}.txt.j2 or the tags"))
    return problems
