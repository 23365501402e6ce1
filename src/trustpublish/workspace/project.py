"""A project folder (docs/architecture.md#the-project-folder): schedule.yaml, posts/, templates/, state/, dist/, outbox/.

``Project`` is the one place that turns a folder into loaded data. It reads files
but never the network and never the clock: commands pass ``now`` explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content.model import Excerpt, Post
from ..content.readers import ReadResult, read_posts
from ..content.split import split_post
from ..errors import ContentError, TrustpublishError
from ..files import digest, ensure_dir
from ..plan.config import CONFIG_NAME, Config, load_config
from .cache import ContentCache

if TYPE_CHECKING:
    from ..channels.base import Channel
    from ..render.social import TextRules

__all__ = ["Project", "find_config"]


def find_config(start: Path | None = None) -> Path:
    """``schedule.yaml`` in ``start`` or the nearest parent folder (like git finds .git)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return here / CONFIG_NAME  # load_config reports it missing, with a hint


@dataclass
class Project:
    """Loaded configuration plus lazily read posts and excerpts."""

    config: Config
    _excerpts: dict[str, list[Excerpt]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, config_path: Path | None = None) -> "Project":
        from ..channels.registry import known_types

        project = cls(load_config(config_path or find_config(), channel_types=known_types()))
        if project.state_dir.is_dir():  # subscribers and keys: only the owner may read
            ensure_dir(project.state_dir, private=True)
        return project

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def posts_dir(self) -> Path:
        return self.config.path_of("posts", "posts")

    @property
    def templates_dir(self) -> Path:
        return self.config.path_of("templates", "templates")

    @property
    def state_dir(self) -> Path:
        return self.config.path_of("state", "state")

    @property
    def dist_dir(self) -> Path:
        return self.config.path_of("dist", "dist")

    @property
    def outbox_dir(self) -> Path:
        return self.config.path_of("outbox", "outbox")

    # -- channels: behaviour comes from the channel class (docs/channels.md) -----------
    def channel_class(self, name: str) -> "type[Channel]":
        """The adapter class of channel ``name`` (by its ``type:``); a type that is not
        installed or not a valid adapter is a ConfigError naming schedule.yaml and line."""
        from ..channels.registry import channel_class
        from ..errors import ConfigError

        type_name = str(self.config.channels.get(name, {}).get("type", ""))
        try:
            return channel_class(type_name)
        except ConfigError as exc:
            raise self.config.error(f"channels.{name}.type", exc.message, exc.hint) from None

    def channel_kind(self, name: str) -> str:
        """``post``, ``digest`` or ``feed``: what channel ``name`` sends."""
        return self.channel_class(name).kind

    def channel_kinds(self) -> dict[str, str]:
        """Channel name → kind, for every configured channel (the planner's input)."""
        return {name: self.channel_kind(name) for name in self.config.channels}

    def channels_of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        """The configured channels of ``kind``, in schedule.yaml order."""
        return {name: cfg for name, cfg in self.config.channels.items()
                if self.channel_kind(name) == kind}

    def text_rules(self, name: str) -> "TextRules":
        """How channel ``name`` takes text (its class's rules, limits cached in state/)."""
        from ..channels.fitting import text_rules

        return text_rules(name, self.config.channels.get(name, {}), self.state_dir)

    @cached_property
    def cache(self) -> ContentCache:
        """Parsed posts and excerpts from earlier runs (a speed-up only)."""
        return ContentCache(self.state_dir / "cache" / "content.pickle")

    @cached_property
    def read_result(self) -> ReadResult:
        result = read_posts(self.posts_dir, self.config.defaults, self.cache)
        self.cache.save()
        return result

    def close(self) -> None:
        """Persist what this run computed (the cache)."""
        if "cache" in self.__dict__:
            self.cache.save(prune=True)

    @property
    def posts(self) -> list[Post]:
        """Every post that could be read, oldest first."""
        return self.read_result.posts

    @property
    def errors(self) -> list[ContentError]:
        """Errors of the posts that could not be read."""
        return self.read_result.errors

    def post(self, ref: str) -> Post:
        """A post by slug or by file path (relative to the project or the cwd)."""
        for post in self.posts:
            if post.slug == ref:
                return post
        candidates = [Path(ref), self.root / ref, self.posts_dir / ref]
        for path in candidates:
            if path.is_file():
                resolved = path.resolve()
                for post in self.posts:
                    if post.source.resolve() == resolved:
                        return post
                from ..content.readers import read_post

                return read_post(resolved, self.config.defaults)
        for error in self.errors:
            if error.file and Path(error.file).stem == Path(ref).stem:
                raise error
        raise TrustpublishError(f"no post {ref!r}",
                                hint="give a slug or a file under posts/; "
                                     "`trustpublish status` lists the posts")

    def excerpts(self, post: Post) -> list[Excerpt]:
        """The post's excerpts (computed once per run)."""
        if post.slug not in self._excerpts:
            key = digest("excerpts", post, self.config.split)
            excerpts = self.cache.get(key)
            if excerpts is None:
                excerpts = split_post(post, self.config.split)
                self.cache.put(key, excerpts)
            self._excerpts[post.slug] = excerpts
        return self._excerpts[post.slug]

    def excerpt(self, excerpt_id: str) -> Excerpt:
        """An excerpt by id (``post-slug/section``)."""
        slug = excerpt_id.split("/", 1)[0]
        for post in self.posts:
            if post.slug == slug:
                for excerpt in self.excerpts(post):
                    if excerpt.id == excerpt_id:
                        return excerpt
                known = ", ".join(e.id.split("/", 1)[1] for e in self.excerpts(post))
                raise TrustpublishError(f"post {slug!r} has no excerpt {excerpt_id!r}",
                                        hint=f"its excerpts are: {known}")
        raise TrustpublishError(f"no post with slug {slug!r}",
                                hint="run `trustpublish split POST` to see excerpt ids")
