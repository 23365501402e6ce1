"""Composing a digest issue: excerpts + channel settings → a :class:`DigestIssue` (pure).

A digest issue is what one email channel sends at one slot: a few excerpts (from
one or more posts), a subject, a preheader and the site's identity. Composing does
no I/O and never reads the clock: ``now`` is passed in and only used for the issue
date shown in the email (in the site's timezone).

Excerpt bodies are Markdown; here they become HTML through :func:`trustpublish.content.markup.to_html`
(raw HTML disabled) and then :func:`trustpublish.content.sanitize.clean_html`. Their headings
are shifted one level down (the excerpt title is the ``<h2>``), images without alt
text get one, and every link is collected so the plain-text part can list it too.

Channel settings read here (all optional): ``from`` (required to send, not to compose),
``subject`` (a format string with ``{title}``, ``{site}``, ``{number}``), ``preheader``,
``greeting`` (with ``{name}``), ``greeting_anonymous``, ``unsubscribe_url`` (https base,
default ``<site.url>/unsubscribe``), ``unsubscribe_mailto``, ``reply_to``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import parseaddr
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from ...content.markup import to_html
from ...content.model import Excerpt, Site
from ...content.sanitize import clean_html
from ...content.text import normalize_space
from ...errors import ConfigError
from ...plan.issues import issue_id

__all__ = [
    "DigestExcerpt",
    "DigestIssue",
    "Recipient",
    "compose_issue",
    "site_of",
    "unsubscribe_link",
    "DEFAULT_SUBJECT",
]

DEFAULT_SUBJECT = "{title} | {site}"
DEFAULT_GREETING = "Hi {name},"
DEFAULT_GREETING_ANONYMOUS = "Hello,"
PREHEADER_MAX = 140

_HEADING = re.compile(r"<(/?)h([1-6])\b")
_IMG = re.compile(r"<img\b[^>]*>")
_ALT = re.compile(r'\salt="([^"]*)"')
_HREF = re.compile(r'<a\b[^>]*\shref="([^"]+)"[^>]*>(.*?)</a>', re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class DigestExcerpt:
    """One excerpt as the digest shows it.

    ``html`` is sanitised HTML (headings start at ``<h3>``); ``text`` the plain-text
    body; ``links`` the (label, url) pairs of links inside the body; ``url`` the
    read-more link with the channel's UTM parameters.
    """

    id: str
    title: str
    html: str
    text: str
    teaser: str
    url: str
    position_label: str
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DigestIssue:
    """One digest issue of one email channel; everything the templates and headers need."""

    id: str
    channel: str
    number: int
    excerpts: tuple[DigestExcerpt, ...]
    subject: str
    preheader: str
    site: Site
    date: dt.datetime
    sender: str = ""
    reply_to: str = ""
    greeting: str = DEFAULT_GREETING
    greeting_anonymous: str = DEFAULT_GREETING_ANONYMOUS
    unsubscribe_base: str = ""
    unsubscribe_mailto: str = ""

    @property
    def language(self) -> str:
        return self.site.language or "en"

    @property
    def date_label(self) -> str:
        """The issue date as people read it, e.g. ``2 December 2025``."""
        return f"{self.date.day} {self.date:%B %Y}"

    @property
    def sender_domain(self) -> str:
        """The domain of the From address (for Message-ID); the site's host if unset."""
        address = parseaddr(self.sender)[1]
        if "@" in address:
            return address.rsplit("@", 1)[1].lower()
        return urlsplit(self.site.url).hostname or "localhost"


@dataclass(frozen=True)
class Recipient:
    """One subscriber as a message needs them. The caller builds ``unsubscribe_url``
    (with its signed token) and ``unsubscribe_mailto``; empty values fall back to the
    issue's unsubscribe base and mailto address."""

    email: str
    name: str = ""
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""


def site_of(source: Any) -> Site:
    """The :class:`Site` of a Project, a Config or a Site."""
    if isinstance(source, Site):
        return source
    config = getattr(source, "config", source)
    site = getattr(config, "site", None)
    if not isinstance(site, Site):
        raise TypeError(f"expected a Project, Config or Site, got {type(source).__name__}")
    return site


def unsubscribe_link(base: str, token: str) -> str:
    """``base`` with ``t=<token>`` added to its query (other parameters kept)."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
    query.append(("t", token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _shift_headings(html: str) -> str:
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}", html)


def _with_alt(html: str, fallback: str) -> str:
    def fix(match: re.Match[str]) -> str:
        tag = match.group(0)
        alt = _ALT.search(tag)
        if alt and alt.group(1).strip():
            return tag
        tag = _ALT.sub("", tag)
        from html import escape

        return tag[:4] + f' alt="{escape(fallback)}"' + tag[4:]

    return _IMG.sub(fix, html)


def _links(html: str) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for match in _HREF.finditer(html):
        url = unescape(match.group(1))
        label = normalize_space(unescape(_TAG.sub("", match.group(2))))
        if (label, url) not in found:
            found.append((label, url))
    return tuple(found)


def digest_excerpt(excerpt: Excerpt, channel: str) -> DigestExcerpt:
    """An excerpt prepared for the digest: sanitised HTML, alt text, links, UTM read-more."""
    html = clean_html(to_html(excerpt.body))
    html = _with_alt(_shift_headings(html), f"Illustration for “{excerpt.title}”")
    return DigestExcerpt(
        id=excerpt.id, title=excerpt.title, html=html, text=excerpt.text,
        teaser=excerpt.teaser, url=excerpt.link(channel, medium="email"),
        position_label=excerpt.position_label, links=_links(html),
    )


def _setting(channel: str, config: dict[str, Any], key: str, default: str) -> str:
    value = config.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ConfigError(f"must be text, got {type(value).__name__}",
                          key_path=f"channels.{channel}.{key}")
    return value


def _format(template: str, channel: str, key: str, **values: Any) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        known = ", ".join("{" + k + "}" for k in values)
        raise ConfigError(f"cannot fill {template!r}: {exc}", key_path=f"channels.{channel}.{key}",
                          hint=f"the placeholders you can use are {known}") from None


def _preheader(text: str) -> str:
    text = normalize_space(text)
    if len(text) <= PREHEADER_MAX:
        return text
    cut = text[: PREHEADER_MAX - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def compose_issue(source: Any, channel: str, channel_config: dict[str, Any],
                  excerpts: list[Excerpt], *, number: int, now: dt.datetime) -> DigestIssue:
    """Compose issue ``number`` of ``channel`` from ``excerpts`` (pure; ``now`` must be aware).

    ``source`` is a Project, a Config or a Site.
    """
    if not excerpts:
        raise ValueError("a digest issue needs at least one excerpt")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    site = site_of(source)
    items = tuple(digest_excerpt(e, channel) for e in excerpts)
    first = items[0]
    subject = _format(_setting(channel, channel_config, "subject", DEFAULT_SUBJECT), channel,
                      "subject", title=first.title, site=site.title, number=number)
    preheader_setting = channel_config.get("preheader")
    preheader = (_format(str(preheader_setting), channel, "preheader", title=first.title,
                         site=site.title, number=number)
                 if preheader_setting else first.teaser)
    sender = _setting(channel, channel_config, "from", "")
    mailto_default = ""
    address = parseaddr(sender)[1]
    if "@" in address:
        mailto_default = f"mailto:{address}?subject=unsubscribe"
    return DigestIssue(
        id=issue_id(channel, number), channel=channel, number=number, excerpts=items,
        subject=normalize_space(subject), preheader=_preheader(preheader), site=site,
        date=now.astimezone(ZoneInfo(site.timezone)), sender=sender,
        reply_to=_setting(channel, channel_config, "reply_to", ""),
        greeting=_setting(channel, channel_config, "greeting", DEFAULT_GREETING),
        greeting_anonymous=_setting(channel, channel_config, "greeting_anonymous",
                                    DEFAULT_GREETING_ANONYMOUS),
        unsubscribe_base=_setting(channel, channel_config, "unsubscribe_url",
                                  f"{site.url.rstrip('/')}/unsubscribe"),
        unsubscribe_mailto=_setting(channel, channel_config, "unsubscribe_mailto", mailto_default),
    )
