"""MIME assembly of one digest message with the stdlib ``email`` package.

The message is multipart/alternative (text/plain first, then text/html, both
UTF-8, quoted-printable) with ``From``, ``To``, ``Subject``, ``Date``, ``Message-ID``,
``List-Unsubscribe`` (the https link and the mailto address, RFC 2369) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), plus ``List-Id``
and ``Reply-To`` when set. ``Message-ID`` and the MIME boundary are derived from
(issue id, recipient address), so rebuilding the same message gives the same bytes
for the same ``now``: a resend is recognisable as the same message.

Headers are built and folded by ``email`` (RFC 2047 encoding of names and
subjects); the two body parts are encoded with ``binascii.b2a_qp`` and joined
around the boundary directly, because the generic generator costs milliseconds
per message and a digest goes to thousands of recipients.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

from ...errors import ConfigError
from .compose import DigestIssue, Recipient

__all__ = ["build_message", "message_id", "stamp_date"]


def _key(issue_id: str, email: str) -> str:
    return hashlib.sha256(f"{issue_id}\0{email.strip().lower()}".encode()).hexdigest()


def message_id(issue: DigestIssue, email: str) -> str:
    """``<issue-id.hash@sender-domain>``: the same for the same issue and address."""
    return f"<{issue.id}.{_key(issue.id, email)[:24]}@{_domain(issue)}>"


@lru_cache(maxsize=16)
def _domain(issue: DigestIssue) -> str:
    return issue.sender_domain  # parses the From address: once per issue, not per message


def build_message(issue: DigestIssue, recipient: Recipient, *, html: str, text: str,
                  now: dt.datetime) -> bytes:
    """The message bytes for one recipient of ``issue`` with its filled ``html``/``text``."""
    return build_encoded_message(issue, recipient, html_qp=_qp(html), text_qp=_qp(text), now=now)


def qp_chunk(content: str) -> bytes:
    """``content`` quoted-printable encoded, ending with a line break (a soft one if needed).

    Encoded chunks can be concatenated: a soft line break (``=`` CRLF) decodes to nothing.
    """
    body = _qp(content)
    return body if not body or body.endswith(b"\r\n") else body + b"=\r\n"


def build_encoded_message(issue: DigestIssue, recipient: Recipient, *, html_qp: bytes,
                          text_qp: bytes, now: dt.datetime) -> bytes:
    """Like :func:`build_message` with both bodies already quoted-printable encoded."""
    if not _has_sender(issue.sender):
        raise ConfigError("an email channel needs a sender address",
                          key_path=f"channels.{issue.channel}.from",
                          hint='add from: "Clinic name <news@clinic.example>"')
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if any(ch in recipient.email for ch in "\r\n\0") or "@" not in recipient.email:
        raise ValueError(f"not a single email address: {recipient.email!r}")
    name = " ".join(recipient.name.split())  # also removes any line break
    boundary = "=_tp_" + _key(issue.id, recipient.email)[24:48]
    links = [recipient.unsubscribe_url or issue.unsubscribe_base,
             recipient.unsubscribe_mailto or issue.unsubscribe_mailto]
    to = formataddr((name, recipient.email)) if name else recipient.email
    if len(to) < 70 and _PLAIN.fullmatch(to):  # nothing to encode or fold: write it as is
        to_header = b"To: " + to.encode("ascii") + b"\r\n"
    else:
        to_header = SMTP.fold_binary("To", to)
    own = b"".join((to_header, _date_header(now),
                    b'Content-Type: multipart/alternative; boundary="' + boundary.encode("ascii")
                    + b'"\r\n'))
    # Message-ID and List-Unsubscribe are ASCII by construction; written unfolded
    # (or folded between the two URIs) so readers see them exactly as built.
    uris = [_ascii_uri(link) for link in links if link]
    head = b"".join((
        _issue_headers(issue),
        own,
        b"Message-ID: " + message_id(issue, recipient.email).encode("ascii") + b"\r\n",
        b"List-Unsubscribe: " + b",\r\n ".join(b"<" + u + b">" for u in uris) + b"\r\n",
    ))
    delimiter = b"--" + boundary.encode("ascii")
    return b"".join((head, b"\r\n", delimiter, b"\r\n", _part_header("plain"), text_qp,
                     b"\r\n", delimiter, b"\r\n", _part_header("html"), html_qp,
                     b"\r\n", delimiter, b"--\r\n"))


_PLAIN = re.compile(r"[A-Za-z0-9 !#$%&'*+/=?^_`{|}~.-]*( <[!-~]+>)?|[!-~]+")


_DATE = re.compile(rb"^Date:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*", re.MULTILINE | re.IGNORECASE)


def stamp_date(message: bytes, when: dt.datetime) -> bytes:
    """``message`` with its ``Date:`` header set to ``when`` (to the second): the mail
    adapter stamps the moment it sends, whatever time the message was built for."""
    end = message.find(b"\r\n\r\n")
    cut = end + 2 if end >= 0 else len(message)
    header = _date_header(when.replace(microsecond=0))
    head, count = _DATE.subn(lambda _m: header, message[:cut], count=1)
    return (head if count else header + head) + message[cut:]


@lru_cache(maxsize=8)
def _date_header(now: dt.datetime) -> bytes:
    return SMTP.fold_binary("Date", format_datetime(now.astimezone(dt.timezone.utc)))


@lru_cache(maxsize=16)
def _has_sender(sender: str) -> bool:
    return bool(sender) and "@" in parseaddr(sender)[1]


@lru_cache(maxsize=16)
def _issue_headers(issue: DigestIssue) -> bytes:
    """The headers every recipient of ``issue`` shares, folded once per issue."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = issue.sender
    msg["Subject"] = issue.subject
    if issue.reply_to:
        msg["Reply-To"] = issue.reply_to
    msg["List-Id"] = f"{issue.site.title} <{issue.channel}.{issue.sender_domain}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["MIME-Version"] = "1.0"
    return b"".join(SMTP.fold_binary(name, value) for name, value in msg.items())


def _ascii_uri(uri: str) -> bytes:
    """``uri`` as header bytes; refuses line breaks, spaces, ``<>`` and non-ASCII (no injection)."""
    if any(ch in uri for ch in "\r\n <>") or not uri.isascii():
        raise ValueError(f"unsubscribe URI must be a plain ASCII URI: {uri!r}")
    return uri.encode("ascii")


def _qp(content: str) -> bytes:
    """A UTF-8 quoted-printable body with CRLF line ends.

    binascii's C encoder keeps this fast for a large HTML part; the body never holds
    the boundary (quoted-printable output has no ``--=_tp_`` sequence: ``=`` is encoded).
    """
    data = content.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")


@lru_cache(maxsize=4)
def _part_header(subtype: str) -> bytes:
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode("ascii")
