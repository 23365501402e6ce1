"""The sign-up desk: store a request, mail the confirmation link, confirm, welcome.

Used by the form ``trustpublish serve`` shows and by ``subscribers add --confirm``. The
mail goes out through the email channel's adapter (the clinic's SMTP server, or the outbox
when no credentials are set), like a digest. Settings come from ``subscribe:`` in
schedule.yaml:

* ``channel`` — the email channel people join (default: the first email channel);
* ``url`` — the public address of ``serve``'s pages (default ``<site.url>``), used in the
  confirmation link (``<url>/subscribe/confirm?t=…``);
* ``wording`` — the consent text shown on the form and kept in each consent record;
* ``welcome`` — send a welcome email after confirmation (default false);
* ``min_seconds``, ``expires``, ``per_ip_per_hour``, ``per_address_per_day`` — the bot
  guard and limits (see :mod:`trustpublish.deliver.signups`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..channels.base import Delivery
from ..channels.registry import channel_class, open_channel
from ..errors import ConfigError, TrustpublishError
from ..render.signup_mail import signup_message
from .signups import SignupRules, Signups

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..workspace.project import Project

__all__ = ["Desk", "DEFAULT_WORDING"]

DEFAULT_WORDING = ("I agree to receive {site}'s email digest. I can leave at any time with the "
                   "link in every email.")
log = logging.getLogger(__name__)


class Desk:
    """Implements :class:`trustpublish.web.subscribe.SignupDesk` for one project."""

    def __init__(self, project: "Project", db: "Engine", key: bytes) -> None:
        self.project = project
        raw: Mapping[str, Any] = project.config.raw.get("subscribe") or {}
        self.options = raw
        digests = [n for n, o in project.config.channels.items()
                   if _kind(str(o.get("type", ""))) == "digest"]
        self.channel = str(raw.get("channel") or (digests[0] if digests else ""))
        if self.channel not in digests:
            raise ConfigError(f"no email channel {self.channel!r} to subscribe to",
                              key_path="subscribe.channel",
                              hint=f"email channels: {', '.join(digests) or 'none'}")
        self.base_url = str(raw.get("url") or project.config.site.url).rstrip("/")
        self.wording = str(raw.get("wording") or DEFAULT_WORDING).format(
            site=project.config.site.title)
        self.store = Signups(db, key, SignupRules.from_raw(project.config.raw))

    @property
    def min_seconds(self) -> float:
        return float(self.options.get("min_seconds", 3))

    def confirm_link(self, token: str) -> str:
        return f"{self.base_url}/subscribe/confirm?t={token}"

    def _send(self, kind: str, email: str, name: str, link: str, now: dt.datetime) -> bool:
        options = self.project.config.channels[self.channel]
        data = signup_message(kind, site=self.project.config.site,  # type: ignore[arg-type]
                              channel=self.channel, sender=str(options.get("from", "")),
                              email=email, name=name, link=link, now=now,
                              templates=self.project.templates_dir, wording=self.wording)
        from email.utils import parseaddr

        import hashlib

        key = hashlib.sha256(f"{kind}|{email}|{link}".encode()).hexdigest()[:32]
        delivery = Delivery(id=f"{kind}-{key}",
                            channel=self.channel, item_id=kind, kind="email", message=data,
                            sender=parseaddr(str(options.get("from", "")))[1],
                            recipient=email)
        try:
            with open_channel(self.channel, options, root=self.project.root,
                              outbox_dir=self.project.outbox_dir) as channel:
                channel.publish(delivery)
        except TrustpublishError as exc:  # never shown to the visitor; the page is the same
            log.warning("could not send the %s email: %s", kind, exc.message)
            return False
        return True

    # -- the SignupDesk protocol ------------------------------------------------------
    def request(self, email: str, name: str, *, ip: str, form: str, now: dt.datetime) -> bool:
        """Store the request and mail the link; False when nothing was sent (any reason)."""
        token = self.store.request(email, name=name, channel=self.channel, form=form,
                                   wording=self.wording, ip=ip, now=now)
        if token is None:
            return False
        signup = self.store.pending(token, now)
        assert signup is not None
        return self._send("confirm", signup.email, signup.name, self.confirm_link(token), now)

    def pending_email(self, token: str, now: dt.datetime) -> str | None:
        signup = self.store.pending(token, now)
        return None if signup is None else signup.email

    def confirm(self, token: str, now: dt.datetime) -> str | None:
        signup = self.store.confirm(token, now)
        if signup is None:
            return None
        if self.options.get("welcome"):
            self._send("welcome", signup.email, signup.name, self.base_url, now)
        return signup.email


def _kind(type_name: str) -> str:
    try:
        return channel_class(type_name).kind
    except ConfigError:
        return ""
