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
from ..content.privacy import Finding
from ..errors import ContentError, TrustpublishError
from ..files import ensure_dir
from ..plan.config import CONFIG_NAME, Config, load_config
from .index import CACHE_NAME, ContentIndex, ExcerptLookup, unknown_excerpt

if TYPE_CHECKING:
    from collections.abc import Iterator

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


class _ConfigMemo:
    """The texts of schedule.yaml that passed every check, by hash, in
    ``state/cache/config-ok.json`` (see :class:`trustpublish.plan.config.ValidMemo`).

    Keyed by the code that checks (schema, timetable, YAML reader). A plugin channel
    type is checked again on every load (:meth:`Project.load`): it may have been
    uninstalled since. Kept only in ``state/`` beside schedule.yaml, and only when that
    folder exists when the command ends (:meth:`save`; a project that moved
    ``paths.state`` is checked every time). A missing or foreign file only costs the
    checks.
    """

    FILE = Path("state") / "cache" / "config-ok.json"

    def __init__(self, root: Path) -> None:
        from ..files import code_key

        self.path = root / self.FILE
        package = Path(__file__).resolve().parent.parent
        self._code = code_key([package / part for part in (
            "plan/schema.py", "plan/timetable.py", "plan/config.py", "content/yamlsource.py",
            "schedule.schema.json", "channels/registry.py")])
        self._passed: str | None = None

    def _key(self, text: str) -> str:
        import hashlib

        return hashlib.sha256((self._code + "\0" + text).encode()).hexdigest()

    def known(self, text: str) -> bool:
        import json

        try:
            return bool(json.loads(self.path.read_text(encoding="utf-8")).get("key")
                        == self._key(text))
        except (OSError, ValueError, AttributeError):
            return False

    def remember(self, text: str) -> None:
        self._passed = self._key(text)

    def save(self) -> None:
        """Write what :meth:`remember` noted, if ``state/`` exists (0600)."""
        import json

        from ..files import PRIVATE_FILE, write_atomic

        if self._passed is None or not self.path.parent.parent.is_dir():
            return  # no state/ here: never create one just for this
        try:
            write_atomic(self.path, json.dumps({"key": self._passed}).encode(),
                         mode=PRIVATE_FILE)
        except OSError:
            return
        self._passed = None


class _InstalledTypes:
    """The installed channel types, listed only if iterated: the schema check asks for
    them only when a ``type:`` is not one the schema knows (a plugin's)."""

    def __iter__(self) -> Iterator[str]:
        from ..channels.registry import known_types

        return iter(known_types())


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
        path = Path(config_path or find_config())
        memo = _ConfigMemo(path.absolute().parent)
        project = cls(load_config(path, channel_types=_InstalledTypes(), memo=memo))
        project.memo["config-ok"] = memo
        for name in project.config.channels:
            project.channel_kind(name)  # a plugin's type: still installed, still valid
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
    def _type_of(self, name: str) -> str:
        """The ``type:`` of channel ``name`` as written (resolved by the registry only)."""
        return str(self.config.channels.get(name, {}).get("type", ""))

    def channel_class(self, name: str) -> "type[Channel]":
        """The adapter class of channel ``name`` (by its ``type:``); a type that is not
        installed or not a valid adapter is a ConfigError naming schedule.yaml and line."""
        from ..channels.registry import channel_class
        from ..errors import ConfigError

        try:
            return channel_class(self._type_of(name))
        except ConfigError as exc:
            raise self.config.error(f"channels.{name}.type", exc.message, exc.hint) from None

    def channel_kind(self, name: str) -> str:
        """``post``, ``digest`` or ``feed``: what channel ``name`` sends (a shipped
        adapter's kind is known without importing it)."""
        from ..channels.registry import shipped_kind

        return shipped_kind(self._type_of(name)) or self.channel_class(name).kind

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
    def index(self) -> ContentIndex:
        """The content index (built on first use; see :mod:`.index`)."""
        from ..plan.privacy_rules import rules_for

        return ContentIndex(self.posts_dir, self.state_dir / "cache" / CACHE_NAME,
                            defaults=self.config.defaults, split=self.config.split,
                            rules=rules_for(self.config), site=self.config.site,
                            split_now=bool(self.memo.get("split-now")))

    def split_every_post(self) -> None:
        """Say that this command will read every post's excerpts (``check``): the content
        index then splits every post while it parses them, on every core, instead of
        one by one when asked. Only speed depends on it; call it before using the posts."""
        self.memo["split-now"] = True

    def close(self) -> None:
        """Persist what this run computed (the content cache, the checked config's hash)."""
        if "index" in self.__dict__:
            self.index.save()
        memo = self.memo.get("config-ok")
        if memo is not None:
            memo.save()

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

    def excerpt_words(self, post: Post) -> list[int]:
        """Each excerpt's word count, without reading the post when it is unchanged."""
        return self.index.excerpt_words(post)

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
