"""A project folder (PRODUCT §2): schedule.yaml, posts/, templates/, state/, dist/, outbox/.

``Project`` is the one place that turns a folder into loaded data. It reads files
but never the network and never the clock: commands pass ``now`` explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..content.model import Excerpt, Post
from ..content.privacy import Finding
from ..errors import ContentError, TrustpublishError
from ..plan.config import CONFIG_NAME, Config, load_config
from .index import CACHE_NAME, ContentIndex, ExcerptLookup, unknown_excerpt

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
    """Loaded configuration plus the content index (every post read once per process).

    ``memo`` holds what one command computes once and several stages share (the
    build's plan, see :mod:`trustpublish.actions.planning`).
    """

    config: Config
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, config_path: Path | None = None) -> "Project":
        from ..channels.registry import known_types

        return cls(load_config(config_path or find_config(), channel_types=known_types()))

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

    @cached_property
    def index(self) -> ContentIndex:
        """The content index (built on first use; see :mod:`.index`)."""
        from ..content.privacy import rules_for

        return ContentIndex(self.posts_dir, self.state_dir / "cache" / CACHE_NAME,
                            defaults=self.config.defaults, split=self.config.split,
                            rules=rules_for(self.config), site=self.config.site)

    def close(self) -> None:
        """Persist what this run computed (the content cache)."""
        if "index" in self.__dict__:
            self.index.save()

    @property
    def posts(self) -> list[Post]:
        """Every post that could be read, oldest first (bodies load on first use)."""
        return self.index.posts

    @property
    def errors(self) -> list[ContentError]:
        """Errors of the posts that could not be read."""
        return self.index.errors

    def publishable(self, post: Post) -> bool:
        """Approved and clear of the privacy guard (as :func:`content.privacy.publishable`)."""
        return self.index.publishable(post)

    def blocking_findings(self, post: Post) -> list[Finding]:
        """The privacy guard's unapproved findings in ``post``."""
        return self.index.blocking(post)

    def excerpt_ids(self, post: Post) -> list[str]:
        """The ids of the post's excerpts, without reading the post when it is unchanged."""
        return self.index.excerpt_ids(post)

    def excerpt_lookup(self) -> ExcerptLookup:
        """Excerpt id → (post, excerpt), each resolved when asked for."""
        return self.index.lookup()

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
        """The post's excerpts (split once per run)."""
        if str(post.source) not in self.index.entries:
            from ..content.split import split_post

            return split_post(post, self.config.split)  # a file outside posts/
        return self.index.excerpts(post)

    def excerpt(self, excerpt_id: str) -> Excerpt:
        """An excerpt by id (``post-slug/section``)."""
        found = self.index.excerpt_by_id(excerpt_id)
        if found is None:
            raise unknown_excerpt(self.index, excerpt_id)
        return found[1]
