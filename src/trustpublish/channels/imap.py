"""Reading the bounce mailbox over IMAP (``bounces.imap`` in schedule.yaml).

Settings::

    bounces:
      imap: {host: mail.clinic.example, user: bounces@clinic.example, folder: INBOX}
      # port (993 for tls, 143 otherwise), security: tls | starttls | plain (loopback only)

The password comes from ``TRUSTPUBLISH_BOUNCES_IMAP_PASSWORD``. :class:`ImapMailbox` yields
the folder's unseen messages and marks each one seen once the caller has dealt with it,
so a message is read once even when the run stops halfway. Errors are
:class:`~trustpublish.errors.ConfigError` (settings) or
:class:`~trustpublish.errors.RetryableFailure` (the server); the password never appears in
either.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..env import Secret, env_name, secret
from ..errors import ConfigError, CredentialsError, RetryableFailure
from .http import is_loopback

__all__ = ["ImapSettings", "ImapMailbox", "imap_settings"]

_PORTS = {"tls": 993, "starttls": 143, "plain": 143}


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    user: str
    password: Secret = field(repr=False)
    folder: str = "INBOX"
    timeout: float = 30.0


def imap_settings(options: Mapping[str, Any]) -> ImapSettings | None:
    """The IMAP settings of ``bounces:`` (None when ``imap`` is not configured)."""
    imap = options.get("imap")
    if not imap:
        return None
    key = "bounces.imap"
    if not isinstance(imap, Mapping) or not imap.get("host") or not imap.get("user"):
        raise ConfigError("imap needs a host and a user", key_path=key,
                          hint="for example imap: {host: mail.clinic.example, "
                               "user: bounces@clinic.example}")
    security = str(imap.get("security", "tls"))
    if security not in _PORTS:
        raise ConfigError(f"unknown security {security!r}", key_path=f"{key}.security",
                          hint="use tls (port 993), starttls (port 143) or plain (this machine)")
    host = str(imap["host"])
    if security == "plain" and not is_loopback(host):
        raise ConfigError("plain IMAP is only allowed for this machine", key_path=f"{key}.security",
                          hint="use tls or starttls")
    password = secret("bounces", "imap_password")
    if not password:
        raise ConfigError(f"{env_name('bounces', 'imap_password')} is not set", key_path=key,
                          hint="put the mailbox password in that variable")
    return ImapSettings(host, int(imap.get("port", _PORTS[security])), security,
                        str(imap["user"]), password, str(imap.get("folder", "INBOX")),
                        float(imap.get("timeout", 30)))


class ImapMailbox:
    """One connection to the bounce folder; use as a context manager."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        where = f"{settings.host}:{settings.port}"
        try:
            if settings.security == "tls":
                self.conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    settings.host, settings.port, ssl_context=ssl.create_default_context(),
                    timeout=settings.timeout)
            else:
                self.conn = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
                if settings.security == "starttls":
                    self.conn.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error, socket.timeout) as exc:
            raise RetryableFailure(f"cannot reach the bounce mailbox at {where} "
                                   f"({exc.__class__.__name__})", channel="bounces") from None
        try:
            self.conn.login(settings.user, settings.password.reveal())
        except imaplib.IMAP4.error:
            self.conn.shutdown()
            raise CredentialsError(f"the bounce mailbox at {where} refused the login of "
                                   f"{settings.user}", channel="bounces",
                                   hint=f"check {env_name('bounces', 'imap_password')}") from None
        status, _ = self.conn.select(settings.folder)
        if status != "OK":
            self.close()
            raise ConfigError(f"the bounce mailbox has no folder {settings.folder!r}",
                              key_path="bounces.imap.folder")

    def unseen(self) -> Iterator[tuple[bytes, bytes]]:
        """(uid, message bytes) of each unseen message, oldest first (not marked seen)."""
        status, data = self.conn.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            return
        for uid in (data[0] or b"").split():
            status, parts = self.conn.uid("FETCH", uid, "(BODY.PEEK[])")
            if status == "OK":
                for part in parts:
                    if isinstance(part, tuple):
                        yield uid, part[1]

    def done(self, uid: bytes) -> None:
        """Mark the message seen: it will not be read again."""
        self.conn.uid("STORE", uid, "+FLAGS", r"(\Seen)")

    def close(self) -> None:
        try:
            self.conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass

    def __enter__(self) -> "ImapMailbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
