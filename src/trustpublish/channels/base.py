"""The channel adapter interface: one small base class, one method that matters.

A :class:`Channel` is built from its ``schedule.yaml`` mapping and the environment,
and turns one :class:`Delivery` into a :class:`Result` or raises a
:class:`~trustpublish.errors.DeliveryError` subclass:

* :class:`~trustpublish.errors.RateLimited` — retry after ``retry_after`` seconds;
* :class:`~trustpublish.errors.RetryableFailure` — transient, safe to repeat
  (only raised by idempotent channels, or when the request surely did not arrive);
* :class:`~trustpublish.errors.CredentialsError` — 401/403: fix the credentials;
* :class:`~trustpublish.errors.PermanentFailure` — the platform refused it (its reason);
* :class:`~trustpublish.errors.OutcomeUnknown` — may or may not have been delivered.

Besides sending, the class carries the channel's behaviour, read by everything
else instead of comparing type names: its ``kind`` (post, digest or feed), its
``budget`` and counting rule (:meth:`Channel.count`), its text rules
(:meth:`Channel.platform_text`, :meth:`Channel.text_rules`) and how its limit is
configured (:meth:`Channel.configured_limit`). The contract is docs/channels.md.

Adapters are the only code that touches the network (``requests``, ``smtplib``).
Secrets are never put in exceptions, results or logs.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..errors import ConfigError
from ..render.social import Budget, TextRules

__all__ = ["Delivery", "Result", "Channel", "Budget", "TextRules", "KINDS", "THREAD_LIVE",
           "thread_progress", "thread_progress_text"]

#: ``Delivery.extra`` key: the platform's references to the parts of a thread that are
#: already live (from an earlier, broken attempt); the adapter resumes after them
THREAD_LIVE = "thread_live"


def thread_progress_text(live: "list[dict[str, str]]") -> str:
    """How the live parts of a broken thread are kept in the ledger (``remote``)."""
    return json.dumps({THREAD_LIVE: live}, separators=(",", ":"))


def thread_progress(remote: str | None) -> "list[dict[str, str]]":
    """The live parts recorded by :func:`thread_progress_text`, or [] for anything else."""
    if not remote or not remote.startswith("{"):
        return []
    try:
        live = json.loads(remote).get(THREAD_LIVE)
    except (ValueError, AttributeError):
        return []
    return [dict(ref) for ref in live] if isinstance(live, list) else []

#: what a channel sends (``Channel.kind``)
KINDS = ("post", "digest", "feed")


@dataclass(frozen=True)
class Delivery:
    """One item to one channel (for email: one message to one recipient).

    ``id`` is the ledger key and is deterministic: the same (channel, item,
    recipient) always gives the same id, so it doubles as the idempotency key.
    For social channels ``parts`` holds the fitted text (one part, or several for a
    thread). For email ``message`` holds the complete RFC 5322 bytes and
    ``recipient`` the envelope address.
    """

    id: str
    channel: str
    item_id: str
    kind: Literal["post", "email", "feed"] = "post"
    parts: tuple[str, ...] = ()
    link: str | None = None
    title: str = ""
    summary: str = ""
    image: str | None = None
    image_alt: str = ""
    language: str | None = None
    message: bytes | None = None
    sender: str | None = None
    recipient: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The first (or only) part."""
        return self.parts[0] if self.parts else ""


@dataclass(frozen=True)
class Result:
    """What the platform gave back: its id and/or a URL for the new post."""

    remote_id: str | None = None
    url: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def display(self) -> str:
        return self.url or self.remote_id or "delivered"


class Channel(ABC):
    """Base class of every adapter.

    Subclasses set ``type`` (the ``type:`` name in schedule.yaml, also the name of
    its entry point), ``kind``, ``idempotent`` (True when the platform itself drops a
    repeated request, e.g. by ``Idempotency-Key`` or a deterministic record key) and
    ``budget``, and override the text classmethods where the platform differs from
    plain characters. ``credentials_present`` tells whether real sending is
    configured; when it is not, the registry builds the outbox adapter instead (the
    embedded default).
    """

    type: ClassVar[str] = ""
    #: what the channel sends: ``post`` (one excerpt, fitted to the budget), ``digest``
    #: (an email issue of several excerpts, one message per subscriber) or ``feed``
    #: (entries in a feed file written by ``build``)
    kind: ClassVar[Literal["post", "digest", "feed"]] = "post"
    idempotent: ClassVar[bool] = False
    budget: ClassVar[Budget] = Budget(limit=None)
    #: environment variables this adapter reads, ``what`` parts (``TOKEN``, ``SMTP_URL``...)
    env_vars: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None) -> None:
        self.name = name
        self.config = dict(config)
        self.root = root

    @classmethod
    def credentials_present(cls, name: str) -> bool:
        """True when the environment holds what this adapter needs to send for real."""
        from ..env import secret

        return bool(cls.env_vars) and all(secret(name, what) for what in cls.required_env())

    @classmethod
    def required_env(cls) -> tuple[str, ...]:
        """The variables that must be set (default: all of ``env_vars``)."""
        return cls.env_vars

    # -- text behaviour (classmethods: no instance, no credentials needed) ---------------
    @classmethod
    def count(cls, text: str) -> int:
        """``text`` as it will be sent, measured the way the platform measures it."""
        return len(text)

    @classmethod
    def platform_text(cls, text: str) -> str:
        """Rendered text put into the platform's form (escaping); counted after this."""
        return text

    @classmethod
    def shown_link(cls, link: str) -> str:
        """How the read-more link appears in the text."""
        return link

    @classmethod
    def facets(cls, text: str, links: Mapping[str, str]) -> tuple[dict[str, Any], ...]:
        """Rich-text annotations of ``text`` (links maps shown form → URI); none by default."""
        return ()

    @classmethod
    def configured_limit(cls, name: str, config: Mapping[str, Any],
                         state_dir: Path | None = None) -> int | None:
        """The text limit of channel ``name``: ``max_characters`` in its config, else the
        budget's limit. ``state_dir`` is where an adapter may have cached what the
        platform said (Mastodon's instance limit)."""
        if "max_characters" in config:
            return int(config["max_characters"])
        return cls.budget.limit

    @classmethod
    def refresh_limits(cls, name: str, config: Mapping[str, Any], state_dir: Path) -> None:
        """Ask the platform for its current limits and cache them in ``state_dir`` (called
        before text is fitted for a real send; a no-op unless the platform has per-server
        limits, like Mastodon). Failures are silent: the cached or default limit is used."""

    @classmethod
    def text_rules(cls, name: str, config: Mapping[str, Any],
                   state_dir: Path | None = None) -> TextRules:
        """Everything :func:`trustpublish.render.social.fit_text` needs for channel ``name``.

        A ``thread: true`` channel whose platform has no replies is a ConfigError.
        """
        thread = bool(config.get("thread", False))
        if thread and not cls.budget.supports_threads:
            raise ConfigError(f"thread mode is only available for mastodon and bluesky, "
                              f"not {cls.type}",
                              key_path=f"channels.{name}.thread")
        return TextRules(limit=cls.configured_limit(name, config, state_dir),
                         counted_as=cls.budget.counted_as, count=cls.count,
                         escape=cls.platform_text, shorten_link=cls.shown_link,
                         facets=cls.facets, thread=thread,
                         templates=(f"social/{cls.type}.txt.j2", "social/default.txt.j2"))

    @abstractmethod
    def publish(self, delivery: Delivery) -> Result:
        """Deliver once. Raise a DeliveryError subclass on failure (see module docstring)."""

    def close(self) -> None:
        """Release connections. Called once when the run ends."""

    def __enter__(self) -> "Channel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
