"""Shared HTTP plumbing for the API adapters: one ``requests`` session, one error mapping.

* :func:`check_base_url` accepts ``https://`` anywhere and plain ``http://`` only for
  loopback hosts (127.0.0.0/8, ``::1``, ``localhost``); anything else is a ConfigError.
* :class:`HttpClient` sends requests with timeouts and turns every failure into the
  error classes of :mod:`trustpublish.errors`:

  ====================================  ==============================================
  429 (+ ``Retry-After``,               :class:`RateLimited` with the wait in seconds
  ``X-RateLimit-Reset``,
  ``ratelimit-reset``, JSON
  ``retry_after``)
  401 / 403                             :class:`CredentialsError`, stated plainly
  other 4xx                             :class:`PermanentFailure` with the platform's
                                        own message
  5xx, timeouts, dropped connections    :class:`RetryableFailure` when the adapter is
                                        idempotent (or the request surely never left),
                                        else :class:`OutcomeUnknown`
  ====================================  ==============================================

Every message passes through :meth:`HttpClient.scrub`, which is the project's one
redaction layer (:func:`trustpublish.redact.redact`): the client's secrets are
registered there, so they are masked (raw, URL-encoded, JSON-escaped, and a secret
URL's path) in every message anywhere, not only here. This module is only imported
by adapters.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # requests loads when a request is sent, not when a build asks a kind
    import requests

from ..errors import (
    ConfigError,
    CredentialsError,
    DeliveryError,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    RetryableFailure,
)
from ..redact import redact, register

__all__ = ["HttpClient", "check_base_url", "is_loopback", "retry_after_of", "platform_message",
           "DEFAULT_TIMEOUT", "timeout_from"]

DEFAULT_TIMEOUT = (10.0, 30.0)  # (connect, read) seconds
DEFAULT_RATE_WAIT = 60.0  # a 429 that names no wait
USER_AGENT = "trustpublish (+https://pypi.org/project/trustpublish/)"


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, *, channel: str, key: str, secret: bool = False) -> str:
    """Validate a base URL; returns it without a trailing slash.

    ``secret`` marks a URL that is itself a credential (webhook URLs): it is then
    never repeated in the error message.
    """
    parts = urlsplit(str(url).strip())
    where = f"channels.{channel}.{key}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = "the URL" if secret else repr(url)
        raise ConfigError(f"{shown} is not an http(s) URL", key_path=where,
                          hint="write it like https://mastodon.social")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"plain http:// is only allowed for this machine, not {parts.hostname}",
                          key_path=where, hint="use https:// (tokens must never travel unencrypted)")
    return str(url).strip().rstrip("/")


def timeout_from(config: Mapping[str, Any], *, channel: str) -> tuple[float, float]:
    """(connect, read) timeouts from the channel's ``timeout`` key (seconds, default 30)."""
    value = config.get("timeout", DEFAULT_TIMEOUT[1])
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds <= 0:
        raise ConfigError("timeout must be a positive number of seconds",
                          key_path=f"channels.{channel}.timeout")
    return (min(DEFAULT_TIMEOUT[0], seconds), seconds)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def platform_message(response: requests.Response) -> str:
    """The platform's own words for an error response (JSON fields or the plain body)."""
    data = _json(response)
    if isinstance(data, dict):
        inner = data.get("error")
        if isinstance(inner, dict):  # Facebook Graph: {"error": {"message": ...}}
            return str(inner.get("message") or inner)
        for key in ("error_description", "message", "description", "error", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                if key == "error" and isinstance(data.get("message"), str):
                    return f"{value}: {data['message']}"
                return value
        if data.get("errors"):
            return json.dumps(data["errors"])[:300]
    text = (response.text or "").strip()
    return text[:300] or f"HTTP {response.status_code} {response.reason or ''}".strip()


def _server_now(response: requests.Response) -> float:
    date = response.headers.get("Date")
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return time.time()


def _reset_seconds(value: str, now: float) -> float | None:
    """A reset header: delta seconds, epoch seconds (or ms), or an ISO/HTTP date."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        import datetime as dt

        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                return None
        return max(0.0, when - now)
    if number > 1e12:  # epoch milliseconds
        number /= 1000.0
    if number > 1e9:  # epoch seconds
        return max(0.0, number - now)
    return max(0.0, number)


def retry_after_of(response: requests.Response) -> float:
    """Seconds to wait, from the headers or JSON body of a rate-limited response."""
    now = _server_now(response)
    data = _json(response)
    if isinstance(data, dict):
        params = data.get("parameters")
        for source in (data, params if isinstance(params, dict) else {}):
            value = source.get("retry_after")
            if isinstance(value, (int, float)):
                return max(0.0, float(value))
    for header in ("Retry-After", "X-RateLimit-Reset-After", "X-RateLimit-Reset",
                   "RateLimit-Reset", "X-Rate-Limit-Reset"):
        value = response.headers.get(header)
        if value:
            seconds = _reset_seconds(value, now)
            if seconds is not None:
                return seconds
    return DEFAULT_RATE_WAIT


class HttpClient:
    """One session per adapter. ``secrets`` are scrubbed from every error message."""

    def __init__(self, channel: str, base_url: str, *, idempotent: bool,
                 secrets: Iterable[str | None] = (), timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 headers: Mapping[str, str] | None = None) -> None:
        self.channel = channel
        self.base_url = base_url.rstrip("/")
        self.idempotent = idempotent
        self.timeout = timeout
        self._secrets = [str(s) for s in secrets if s]
        register(*self._secrets, owner=self)
        import requests

        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        if headers:
            self.session.headers.update(headers)

    def add_secret(self, value: str | None) -> None:
        if value:
            self._secrets.append(str(value))
            register(value, owner=self)

    def scrub(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***`` (the one redaction layer)."""
        return redact(text, self._secrets)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request(self, method: str, path: str, *, ok: Iterable[int] = (),
                classify: Callable[[requests.Response], DeliveryError | None] | None = None,
                idempotent: bool | None = None, **kwargs: Any) -> requests.Response:
        """Send one request; return the response when it is 2xx (or in ``ok``), else raise.

        ``classify`` may turn a response into a platform-specific error first (e.g.
        Facebook's rate limits arrive as HTTP 400 with an error code).
        """
        import requests

        safe = self.idempotent if idempotent is None else idempotent
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, self.url(path), **kwargs)
        except requests.exceptions.ConnectTimeout as exc:
            raise RetryableFailure(self.scrub(f"could not connect in time: {exc}"),
                                   channel=self.channel) from None
        except requests.exceptions.ConnectionError as exc:
            cause = exc.__context__ or exc
            if _never_connected(exc):
                raise RetryableFailure(self.scrub(f"could not connect: {cause}"),
                                       channel=self.channel) from None
            return self._unsure(f"connection lost: {exc}", safe)
        except requests.exceptions.Timeout as exc:
            return self._unsure(f"no answer in time: {exc}", safe)
        except requests.exceptions.RequestException as exc:
            return self._unsure(f"request failed: {exc}", safe)
        if response.status_code < 300 or response.status_code in set(ok):
            return response
        raise self.error_for(response, classify=classify, idempotent=safe)

    def _unsure(self, message: str, safe: bool) -> requests.Response:
        if safe:
            raise RetryableFailure(self.scrub(message), channel=self.channel)
        raise OutcomeUnknown(self.scrub(message) + "; it may or may not have been posted",
                             channel=self.channel,
                             hint="check the account, then mark the delivery done or retry it")

    def error_for(self, response: requests.Response, *,
                  classify: Callable[[requests.Response], DeliveryError | None] | None = None,
                  idempotent: bool | None = None) -> DeliveryError:
        """The DeliveryError for a non-success response."""
        if classify is not None:
            special = classify(response)
            if special is not None:
                return special
        status = response.status_code
        said = self.scrub(platform_message(response))
        if status == 429:
            return RateLimited(f"the platform is rate limiting us: {said}",
                               retry_after=retry_after_of(response), channel=self.channel)
        if status in (401, 403):
            return CredentialsError(
                f"the platform refused our credentials (HTTP {status}): {said}",
                channel=self.channel,
                hint="the token may be wrong, expired or missing a permission; "
                     "see README → Channels for how to get a new one")
        if 400 <= status < 500:
            return PermanentFailure(f"the platform refused the post (HTTP {status}): {said}",
                                    channel=self.channel)
        safe = self.idempotent if idempotent is None else idempotent
        message = f"the platform had a server error (HTTP {status}): {said}"
        if safe:
            return RetryableFailure(message, channel=self.channel)
        return OutcomeUnknown(message + "; it may or may not have been posted", channel=self.channel,
                              hint="check the account, then mark the delivery done or retry it")

    def close(self) -> None:
        self.session.close()


def _never_connected(exc: BaseException) -> bool:
    """True when the failure happened before any byte of the request was sent."""
    text = repr(exc)
    return any(marker in text for marker in (
        "NewConnectionError", "Connection refused", "NameResolutionError",
        "Failed to resolve", "getaddrinfo failed", "Name or service not known"))
