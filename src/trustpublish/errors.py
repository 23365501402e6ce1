"""The one error root of trustpublish and its branches.

::

    TrustpublishError                 anything the user can act on; the CLI prints
    │                                 "Kind: message" + hint, no traceback
    ├── ConfigError                   schedule.yaml / .env problems (file, key path, line)
    ├── ContentError                  a post that cannot be read (file, line)
    ├── RenderError                   a template that fails (template, line, post)
    ├── StateError                    the state database (ledger, subscribers)
    └── DeliveryError                 a channel could not deliver (channel, retryable)
        ├── RateLimited               the platform asked us to wait (retry_after seconds)
        ├── CredentialsError          401/403 or missing/expired credentials
        ├── PermanentFailure          the platform refused the content; do not retry
        └── OutcomeUnknown            we cannot know whether it was delivered

Messages never contain secrets: every message and hint passes through
:func:`trustpublish.redact.redact` when the error is made (and again when printed).
Exceptions raised by libraries are translated at the edge with ``raise ... from exc``.
"""

from __future__ import annotations

from pathlib import Path

from .redact import redact

__all__ = [
    "TrustpublishError",
    "ConfigError",
    "ContentError",
    "RenderError",
    "StateError",
    "DeliveryError",
    "RateLimited",
    "CredentialsError",
    "PermanentFailure",
    "OutcomeUnknown",
]


class TrustpublishError(Exception):
    """Root of every error a user can fix. ``kind`` is shown before the message."""

    kind = "Error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = redact(message)
        hint = redact(hint) if hint else hint
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


def _where(file: str | Path | None, line: int | None) -> str:
    if file is None:
        return ""
    return f"{file}:{line}: " if line else f"{file}: "


class ConfigError(TrustpublishError):
    """Raised when schedule.yaml (or the environment) is invalid.

    ``key_path`` is like ``timetable[2].cron``; ``line`` is 1-based.
    """

    kind = "Config error"

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        key_path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.file, self.key_path, self.line = file, key_path, line
        key = f"{key_path}: " if key_path else ""
        super().__init__(f"{_where(file, line)}{key}{message}", hint=hint)


class ContentError(TrustpublishError):
    """Raised when a post cannot be read; other posts are still read."""

    kind = "Content error"

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.file, self.line = file, line
        super().__init__(f"{_where(file, line)}{message}", hint=hint)


class RenderError(TrustpublishError):
    """Raised when a template fails to load or render (names template and line)."""

    kind = "Template error"

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        line: int | None = None,
        post: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.template, self.line, self.post = template, line, post
        about = f" (rendering {post})" if post else ""
        super().__init__(f"{_where(template, line)}{message}{about}", hint=hint)


class StateError(TrustpublishError):
    """Raised when the state database cannot be used as asked."""

    kind = "State error"


class DeliveryError(TrustpublishError):
    """A channel could not deliver. ``retryable`` tells the engine whether to try again.

    ``message`` starts with the README's label (``kind``: "Credentials error: ...") and
    is what the ledger keeps and ``run``, ``status`` and ``history`` show, next to the
    channel's name; ``reason`` is the text alone. The channel (``channel``) is not
    repeated inside the message. ``kind=`` relabels a generic error (used when the
    label comes from the ledger).
    """

    kind = "Delivery error"
    retryable = False

    def __init__(self, message: str, *, channel: str | None = None, hint: str | None = None,
                 kind: str | None = None):
        self.channel = channel
        if kind:
            self.kind = kind
        self.reason = message
        super().__init__(f"{self.kind}: {message}", hint=hint)


class RateLimited(DeliveryError):
    """The platform rate-limited us; retry after ``retry_after`` seconds."""

    kind = "Rate limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float, channel: str | None = None):
        self.retry_after = max(0.0, float(retry_after))
        super().__init__(f"{message} (retry after {self.retry_after:.0f}s)", channel=channel)


class CredentialsError(DeliveryError):
    """Credentials are missing, wrong or expired (HTTP 401/403, SMTP 535)."""

    kind = "Credentials error"


class PermanentFailure(DeliveryError):
    """The platform refused the request for a reason retrying will not fix."""

    kind = "Delivery failed"


class OutcomeUnknown(DeliveryError):
    """The request may or may not have been delivered; never retried blindly."""

    kind = "Outcome unknown"


class RetryableFailure(DeliveryError):
    """A transient failure (timeout, 5xx) on a request that is safe to repeat."""

    kind = "Temporary failure"
    retryable = True


__all__.append("RetryableFailure")


class ThreadBroken(DeliveryError):
    """A thread stopped partway: the platform holds parts ``1..len(live)`` of ``total``.

    ``live`` are the platform's references to those parts (ids, or uri + cid), kept in
    the ledger so a later run resumes at the first missing part (docs/channels.md).
    ``cause`` is the error of the part that failed.
    """

    kind = "Partly delivered"

    def __init__(self, cause: DeliveryError, *, live: "list[dict[str, str]]", total: int,
                 channel: str | None = None) -> None:
        self.cause, self.live, self.total = cause, [dict(ref) for ref in live], total
        super().__init__(f"parts 1-{len(live)} of {total} are live; part {len(live) + 1} "
                         f"failed ({cause.kind.lower()}): {cause.reason}; the next run "
                         "resumes it", channel=channel, hint=cause.hint)


__all__.append("ThreadBroken")
