"""The emails of a sign-up: the confirmation request and the optional welcome (pure).

Rendered from ``email/confirm.{html,txt}.j2`` and ``email/welcome.{html,txt}.j2`` (the
project's ``templates/`` first), with the site, the reader's name and the link, into a
multipart/alternative message with ``From``, ``To``, ``Subject``, ``Date`` and a
``Message-ID`` derived from the link, so the same request always gives the same message.
No ``List-Unsubscribe``: the reader is not on the list yet (confirm) or has just joined it
and every digest carries the link (welcome).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Literal

from ..content.model import Site
from ..errors import ConfigError
from .templating import render

__all__ = ["signup_message"]

SUBJECTS = {"confirm": "Please confirm your subscription to {site}",
            "welcome": "Welcome to {site}"}


def signup_message(kind: Literal["confirm", "welcome"], *, site: Site, channel: str,
                   sender: str, email: str, name: str, link: str, now: dt.datetime,
                   templates: Path | None, wording: str = "") -> bytes:
    """The RFC 5322 bytes of one sign-up email (CRLF line ends)."""
    address = parseaddr(sender)[1]
    if "@" not in address:
        raise ConfigError("an email channel needs a sender address to send sign-up emails",
                          key_path=f"channels.{channel}.from",
                          hint='add from: "Clinic name <news@clinic.example>"')
    context = {"site": site, "name": " ".join(name.split()), "email": email, "link": link,
               "wording": wording, "channel": channel}
    html = render(f"email/{kind}.html.j2", context, templates=templates)
    text = render(f"email/{kind}.txt.j2", context, templates=templates)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = formataddr((context["name"], email)) if context["name"] else email
    msg["Subject"] = SUBJECTS[kind].format(site=site.title)
    msg["Date"] = format_datetime(now.astimezone(dt.timezone.utc))
    digest = hashlib.sha256(f"{kind}\0{email}\0{link}".encode()).hexdigest()[:24]
    msg["Message-ID"] = f"<{kind}.{digest}@{address.rsplit('@', 1)[1]}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes()
