"""Email over SMTP (channel ``type: email``): one connection reused across messages.

Settings come from the environment (never schedule.yaml):

* ``TRUSTPUBLISH_<NAME>_SMTP_URL`` — ``smtp+starttls://user@host:587`` (STARTTLS),
  ``smtps://user@host:465`` (implicit TLS) or ``smtp://host:25`` (no TLS; loopback only);
* ``TRUSTPUBLISH_<NAME>_SMTP_PASSWORD`` — the password for ``user`` (AUTH);
* ``TRUSTPUBLISH_<NAME>_SMTP_CA_FILE`` — optional extra CA bundle (self-hosted relays).

Channel config: ``send_rate`` (messages per second, default unlimited),
``timeout`` (seconds) and ``dkim`` (``{selector, domain}``; the key in
``TRUSTPUBLISH_<NAME>_DKIM_KEY``: each message is signed before it is sent, see
:mod:`trustpublish.channels.dkim`). :meth:`SmtpChannel.publish` sends ``Delivery.message`` (the
complete RFC 5322 bytes) from ``Delivery.sender`` to ``Delivery.recipient``.

Errors: connect/AUTH/MAIL/RCPT failures happen before the message left, so a 4xx
reply or a dropped connection is :class:`RetryableFailure`; a 5xx reply is
:class:`PermanentFailure` for that recipient; 535/534/530 is
:class:`CredentialsError`. Once the DATA command was sent, a dropped connection is
:class:`OutcomeUnknown` (the server may have accepted the message); an explicit 4xx
or 5xx reply to the data is still a clean refusal.

The ``Date:`` header is stamped with the moment the message is handed to the server
(:func:`~trustpublish.render.digest.message.stamp_date`), not the slot's time.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..env import Secret, env_name, secret
from ..errors import (
    ConfigError,
    CredentialsError,
    OutcomeUnknown,
    PermanentFailure,
    RetryableFailure,
)
from ..render.digest.message import stamp_date
from .base import Budget, Channel, Delivery, Result
from .dkim import signer_for
from .http import is_loopback

__all__ = ["SmtpChannel", "SmtpSettings", "parse_smtp_url"]

_SCHEMES = {"smtp+starttls": "starttls", "smtps": "tls", "smtp": "plain"}
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "plain": 25}
_AUTH_CODES = {530, 534, 535}


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect. ``password`` is a :class:`Secret`."""

    host: str
    port: int
    security: str  # "starttls" | "tls" | "plain"
    user: str | None = None
    password: Secret | None = None
    ca_file: str | None = None


def parse_smtp_url(url: str, *, channel: str, password: Secret | None = None,
                   ca_file: str | None = None) -> SmtpSettings:
    """Parse ``smtp+starttls://user@host:587`` and friends; ConfigError when unusable."""
    var = env_name(channel, "smtp_url")
    parts = urlsplit(url.strip())
    security = _SCHEMES.get(parts.scheme)
    if security is None or not parts.hostname:
        raise ConfigError(f"{var} must look like smtp+starttls://user@host:587 or "
                          f"smtps://user@host:465", hint="see README → Channels → email")
    if parts.password:
        raise ConfigError(f"{var} must not contain the password",
                          hint=f"put the password in {env_name(channel, 'smtp_password')}")
    if security == "plain" and not is_loopback(parts.hostname):
        raise ConfigError(f"{var}: plain smtp:// is only allowed for this machine",
                          hint="use smtp+starttls:// (port 587) or smtps:// (port 465)")
    user = unquote(parts.username) if parts.username else None
    if user and not password:
        raise ConfigError(f"{var} names user {user!r} but "
                          f"{env_name(channel, 'smtp_password')} is not set")
    return SmtpSettings(host=parts.hostname, port=parts.port or _DEFAULT_PORTS[security],
                        security=security, user=user, password=password, ca_file=ca_file)


class SmtpChannel(Channel):
    """Sends pre-rendered messages over one reused SMTP connection."""

    type = "email"
    kind = "digest"
    idempotent = False
    budget = Budget(limit=None, counted_as="digest")
    env_vars = ("SMTP_URL", "SMTP_PASSWORD", "SMTP_CA_FILE")

    @classmethod
    def required_env(cls) -> tuple[str, ...]:
        return ("SMTP_URL",)

    def __init__(self, name: str, config: Mapping[str, Any], *, root: Path | None = None,
                 settings: SmtpSettings | None = None) -> None:
        super().__init__(name, config, root=root)
        if settings is None:
            url = secret(name, "smtp_url")
            if not url:
                raise ConfigError(f"{env_name(name, 'smtp_url')} is not set")
            ca = secret(name, "smtp_ca_file")
            settings = parse_smtp_url(url.reveal(), channel=name,
                                      password=secret(name, "smtp_password"),
                                      ca_file=ca.reveal() if ca else None)
        self.settings = settings
        rate = config.get("send_rate")
        try:
            self.interval = 1.0 / float(rate) if rate else 0.0
        except (TypeError, ValueError, ZeroDivisionError):
            raise ConfigError("send_rate must be a positive number (messages per second)",
                              key_path=f"channels.{name}.send_rate") from None
        self.timeout = float(config.get("timeout", 30))
        self.dkim = signer_for(name, config, root)  # None unless ``dkim:`` is configured
        self._conn: smtplib.SMTP | None = None
        self._last_send = 0.0
        self.connections_opened = 0

    # -- connection -------------------------------------------------------------------
    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file:
            context.load_verify_locations(self.settings.ca_file)
        return context

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "tls":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout,
                                                      context=self._context())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            conn.ehlo()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    conn.close()
                    raise PermanentFailure(f"{self._where()} does not offer STARTTLS",
                                           channel=self.name,
                                           hint="use smtps:// (port 465) or another server")
                conn.starttls(context=self._context())
                conn.ehlo()
            if s.user:
                assert s.password is not None
                self._login(conn, s.user, s.password.reveal())
        except smtplib.SMTPAuthenticationError as exc:
            raise CredentialsError(f"the mail server refused the login for {s.user!r} "
                                   f"({exc.smtp_code})", channel=self.name,
                                   hint=f"check {env_name(self.name, 'smtp_password')}") from None
        except smtplib.SMTPResponseException as exc:
            raise self._reply_error(exc.smtp_code, exc.smtp_error, "connecting") from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentFailure(f"{self._where()} does not offer login (AUTH) here",
                                   channel=self.name,
                                   hint="use the submission port (587 with smtp+starttls:// "
                                        "or 465 with smtps://)") from None
        except ssl.SSLError as exc:
            raise PermanentFailure(f"TLS with {self._where()} failed: {exc.reason}",
                                   channel=self.name,
                                   hint=f"set {env_name(self.name, 'smtp_ca_file')} for a "
                                        "private certificate authority") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise RetryableFailure(f"could not connect to {self._where()}: {exc}",
                                   channel=self.name) from None
        self.connections_opened += 1
        return conn

    @staticmethod
    def _login(conn: smtplib.SMTP, user: str, password: str) -> None:
        """AUTH with one mechanism (PLAIN, else LOGIN), so a refusal is one clean 535."""
        if not conn.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        offered = conn.esmtp_features.get("auth", "").upper().split()
        for mechanism in ("PLAIN", "LOGIN"):
            if mechanism in offered:
                conn.user, conn.password = user, password
                conn.auth(mechanism, getattr(conn, f"auth_{mechanism.lower()}"))
                return
        conn.login(user, password)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def _broke_after_data(self, recipient: str | None, exc: BaseException) -> OutcomeUnknown:
        """The connection dropped after the message left: the server may have accepted it."""
        return OutcomeUnknown(
            f"the connection to {self._where()} broke after the message was sent to "
            f"{recipient} ({exc.__class__.__name__}); the server may have accepted it",
            channel=self.name)

    def _reply_error(self, code: int, text: bytes | str, stage: str,
                     recipient: str | None = None) -> Exception:
        said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        who = f" for {recipient}" if recipient else ""
        message = f"the mail server answered {code} {said.strip()} while {stage}{who}"
        if code in _AUTH_CODES:
            return CredentialsError(message, channel=self.name,
                                    hint=f"check {env_name(self.name, 'smtp_url')} and the password")
        if 400 <= code < 500:
            return RetryableFailure(message, channel=self.name)
        return PermanentFailure(message, channel=self.name)

    # -- sending ----------------------------------------------------------------------
    def _pace(self) -> None:
        if self.interval:
            wait = self._last_send + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last_send = time.monotonic()

    def publish(self, delivery: Delivery) -> Result:
        if delivery.message is None or not delivery.recipient or not delivery.sender:
            raise PermanentFailure("an email delivery needs message bytes, a sender and a "
                                   "recipient", channel=self.name)
        self._pace()
        delivery = replace(delivery, message=stamp_date(delivery.message,
                                                        dt.datetime.now(dt.timezone.utc)))
        if self.dkim is not None:  # after the Date stamp: the signature covers Date
            delivery = replace(delivery, message=self.dkim.sign(delivery.message))
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        if conn.does_esmtp and conn.has_extn("pipelining") and \
                delivery.sender.isascii() and delivery.recipient.isascii():
            return self._publish_pipelined(conn, delivery)
        options: list[str] = []
        if not (delivery.sender.isascii() and delivery.recipient.isascii()):
            if not conn.has_extn("smtputf8"):  # (domains are stored as punycode already)
                raise PermanentFailure(
                    f"the address {delivery.recipient} has non-ASCII letters before the @, "
                    f"and {self._where()} does not offer SMTPUTF8", channel=self.name,
                    hint="ask the subscriber for an ASCII address, or use a mail server "
                         "that supports SMTPUTF8")
            options = ["SMTPUTF8"]  # smtplib then sends the commands as UTF-8
        stage = "starting the message"
        try:
            code, resp = conn.mail(delivery.sender, options)
            if code != 250:
                conn.rset()
                raise self._reply_error(code, resp, "giving the sender")
            stage = "naming the recipient"
            code, resp = conn.rcpt(delivery.recipient)
            if code not in (250, 251):
                conn.rset()
                raise self._reply_error(code, resp, "naming the recipient", delivery.recipient)
            stage = "sending the message"
            try:
                code, resp = conn.data(delivery.message)
            except smtplib.SMTPDataError as exc:
                raise self._reply_error(exc.smtp_code, exc.smtp_error, stage,
                                        delivery.recipient) from None
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                self._drop()
                raise self._broke_after_data(delivery.recipient, exc) from None
            if code != 250:  # the server refused the message after reading it
                raise self._reply_error(code, resp, stage, delivery.recipient)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise RetryableFailure(f"the connection to {self._where()} broke while {stage}: "
                                   f"{exc.__class__.__name__}", channel=self.name) from None
        reply = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
        message_id = _message_id(delivery.message)
        return Result(remote_id=message_id or reply, detail={"reply": f"{code} {reply}"})

    def _publish_pipelined(self, conn: smtplib.SMTP, delivery: Delivery) -> Result:
        """MAIL, RCPT and DATA in one write, then their three replies (RFC 2920); the
        message goes out only after the 354, so the errors are the same as one by one."""
        assert delivery.message is not None and delivery.sender and delivery.recipient
        recipient = delivery.recipient
        stage = "starting the message"
        try:
            conn.send(f"MAIL FROM:{_quoted(delivery.sender)}\r\n"
                      f"RCPT TO:{_quoted(recipient)}\r\nDATA\r\n".encode("ascii"))
            replies = [conn.getreply(), conn.getreply(), conn.getreply()]
            (mcode, mresp), (rcode, rresp), (dcode, dresp) = replies
            refusal: Exception | None = None
            if mcode != 250:
                refusal = self._reply_error(mcode, mresp, "giving the sender")
            elif rcode not in (250, 251):
                stage = "naming the recipient"
                refusal = self._reply_error(rcode, rresp, stage, recipient)
            elif dcode != 354:
                stage = "sending the message"
                refusal = self._reply_error(dcode, dresp, stage, recipient)
            if refusal is not None:
                if dcode == 354:  # a server that took DATA anyway: end it empty
                    conn.send(b".\r\n")
                    conn.getreply()
                conn.rset()
                raise refusal
            stage = "sending the message"
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise RetryableFailure(f"the connection to {self._where()} broke while {stage}: "
                                   f"{exc.__class__.__name__}", channel=self.name) from None
        try:
            conn.send(_dot_stuffed(delivery.message))
            code, resp = conn.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise self._broke_after_data(recipient, exc) from None
        if code != 250:  # the server refused the message after reading it
            raise self._reply_error(code, resp, stage, recipient)
        reply = resp.decode("utf-8", "replace")
        message_id = _message_id(delivery.message)
        return Result(remote_id=message_id or reply, detail={"reply": f"{code} {reply}"})

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException, socket.error):
                conn.close()


def _message_id(message: bytes) -> str | None:
    """The Message-ID header; a quick scan of the header block first (fan-outs send many)."""
    end = message.find(b"\r\n\r\n")
    head = message[:end] if end >= 0 else message
    at = head.find(b"\r\nMessage-ID: ")
    if at >= 0:
        value = head[at + 14:head.find(b"\r\n", at + 2) if head.find(b"\r\n", at + 2) >= 0 else None]
        if value.startswith(b"<") and value.rstrip().endswith(b">") and value.isascii():
            return value.decode("ascii").strip()
    parsed = BytesHeaderParser().parsebytes(message).get("Message-ID")
    return str(parsed).strip() if parsed else None


def _dot_stuffed(message: bytes) -> bytes:
    """``message`` with CRLF line ends, leading dots doubled and the ending ``.`` line
    (what :meth:`smtplib.SMTP.data` sends), without regexes when the line ends are CRLF."""
    crlf = message.count(b"\r\n")
    if message.count(b"\n") != crlf or message.count(b"\r") != crlf:
        message = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", message)
    stuffed = message.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _quoted(address: str) -> str:
    """``<address>`` as :func:`smtplib.quoteaddr` makes it, without parsing plain addresses."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)
