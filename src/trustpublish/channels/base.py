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

Adapters are the only code that touches the network (``requests``, ``smtplib``).
Secrets are never put in exceptions, results or logs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from ..render.social import Budget

__all__ = ["Delivery", "Result", "Channel", "Budget"]


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

    Subclasses set ``type`` (the ``type:`` name in schedule.yaml), ``idempotent``
    (True when the platform itself drops a repeated request, e.g. by
    ``Idempotency-Key`` or a deterministic record key) and ``budget``.
    ``credentials_present`` tells whether real sending is configured; when it is
    not, the registry builds the outbox adapter instead (the embedded default).
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

    @abstractmethod
    def publish(self, delivery: Delivery) -> Result:
        """Deliver once. Raise a DeliveryError subclass on failure (see module docstring)."""

    def close(self) -> None:
        """Release connections. Called once when the run ends."""

    def __enter__(self) -> "Channel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
