"""Rendering a digest issue: Jinja2 templates → CSS inlined by premailer, once per issue.

:func:`render_issue` renders ``email/digest.html.j2`` and ``email/digest.txt.j2``
(the project's ``templates/`` first, the package defaults second) with
per-recipient fields left as placeholders, then inlines the HTML's CSS with
premailer exactly once. :meth:`RenderedIssue.fill` puts one recipient's values
(greeting, email address, unsubscribe link) into copies of that result by plain
string substitution — HTML-escaped in the HTML part — so sending to many
recipients never renders or inlines again. :meth:`RenderedIssue.message_for`
assembles the MIME message around the filled parts.

Placeholders are ``tp<nonce><FIELD>`` where the nonce is a hash of the issue's
content, so no post text can collide with them; each is replaced in one pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
import importlib
import logging
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from ...errors import RenderError
from ..templating import render
from .compose import DigestIssue, Recipient, unsubscribe_link
from .message import build_encoded_message, qp_chunk

__all__ = ["Recipient", "RenderedIssue", "render_issue", "inline_css", "inline_calls",
           "HTML_TEMPLATE", "TEXT_TEMPLATE", "FIELDS", "preview_recipient"]

HTML_TEMPLATE = "email/digest.html.j2"
TEXT_TEMPLATE = "email/digest.txt.j2"
#: The per-recipient fields a template can use as ``recipient.<field>``.
FIELDS: tuple[str, ...] = ("greeting", "email", "unsubscribe_url")

_inline_calls = 0


def inline_calls() -> int:
    """How many times :func:`inline_css` ran in this process (premailer's only call site)."""
    return _inline_calls


def preview_recipient(issue: DigestIssue, *, email: str = "reader@example.com",
                      name: str = "") -> Recipient:
    """A stand-in recipient for previews (``t=preview`` instead of a signed token)."""
    return Recipient(email=email, name=name,
                     unsubscribe_url=unsubscribe_link(issue.unsubscribe_base, "preview"),
                     unsubscribe_mailto=issue.unsubscribe_mailto)


class _Offline:
    """The HTTP session handed to premailer: inlining never fetches a stylesheet."""

    def get(self, url: str, **_: Any) -> NoReturn:
        raise RenderError(f"the email template asks for an external stylesheet ({url})",
                          template=HTML_TEMPLATE,
                          hint="put the CSS in a <style> block of the template")


def _premailer() -> ModuleType:
    """The premailer package, imported without running ``requests``.

    premailer imports requests at module level only to fetch external stylesheets, and
    :func:`inline_css` never lets it (``allow_network=False`` and an :class:`_Offline`
    session). Running requests (urllib3, charset_normalizer, chardet) costs a cold
    ``build`` about 6 MB and 50 ms, so when nothing has imported it yet (and no other
    thread could import it meanwhile), premailer's import binds a stand-in module that
    imports the real one on first attribute use (which never comes), and ``sys.modules``
    forgets the stand-in right after, so every later ``import requests`` (the channel
    adapters) gets the real package.
    """
    if ("premailer.premailer" in sys.modules or "requests" in sys.modules
            or threading.active_count() > 1):  # another thread could import requests meanwhile
        import premailer
        return premailer

    stand_in = ModuleType("requests", "Stand-in bound by premailer; imports requests when used.")

    def real_attribute(name: str) -> Any:
        if sys.modules.get("requests") is stand_in:  # used before premailer's import ended
            del sys.modules["requests"]
        return getattr(importlib.import_module("requests"), name)

    stand_in.__getattr__ = real_attribute  # type: ignore[method-assign]  # PEP 562
    sys.modules["requests"] = stand_in
    try:
        import premailer
    finally:
        if sys.modules.get("requests") is stand_in:
            del sys.modules["requests"]
    return premailer


def inline_css(html: str) -> str:
    """Inline ``html``'s CSS with premailer; ``@media`` rules stay in a ``<style>`` block."""
    global _inline_calls
    _inline_calls += 1
    premailer = _premailer()

    inliner = premailer.Premailer(
        html, allow_network=False, disable_validation=True, remove_classes=False,
        strip_important=False, keep_style_tags=False, cssutils_logging_level=logging.CRITICAL,
        disable_link_rewrites=True, align_floating_images=False, session=_Offline(),
    )
    try:
        return inliner.transform(pretty_print=False)
    except Exception as exc:  # premailer/cssutils/lxml raise many unrelated types
        raise RenderError(f"CSS inlining failed: {type(exc).__name__}: {exc}",
                          template=HTML_TEMPLATE,
                          hint="check the <style> block of your email template") from exc


def _nonce(issue: DigestIssue) -> str:
    digest = hashlib.sha256()
    for part in (issue.id, issue.subject, issue.preheader, *(e.html for e in issue.excerpts)):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class RenderedIssue:
    """An issue rendered and inlined once; ``html``/``text`` still hold the placeholders."""

    issue: DigestIssue
    html: str
    text: str
    placeholders: dict[str, str] = field(repr=False)
    _pattern: re.Pattern[str] = field(repr=False, compare=False)

    @property
    def issue_id(self) -> str:
        return self.issue.id

    @property
    def subject(self) -> str:
        return self.issue.subject

    def values_for(self, recipient: Recipient) -> dict[str, str]:
        """The field values for ``recipient`` (greeting with or without a name)."""
        name = " ".join(recipient.name.split())
        greeting = (self.issue.greeting.replace("{name}", name) if name
                    else self.issue.greeting_anonymous)
        return {
            "greeting": greeting,
            "email": recipient.email,
            "unsubscribe_url": recipient.unsubscribe_url or self.issue.unsubscribe_base,
        }

    def fill(self, recipient: Recipient) -> tuple[str, str]:
        """(html, text) for ``recipient``: placeholders replaced, HTML-escaped in the HTML."""
        values = self.values_for(recipient)
        by_token = {token: values[name] for name, token in self.placeholders.items()}
        escaped = {token: html_lib.escape(value, quote=True) for token, value in by_token.items()}
        html = self._pattern.sub(lambda m: escaped[m.group(0)], self.html)
        text = self._pattern.sub(lambda m: by_token[m.group(0)], self.text)
        return html, text

    def message_for(self, recipient: Recipient, *, now: dt.datetime) -> bytes:
        """The complete RFC 5322 message for ``recipient`` as bytes (CRLF line ends).

        The fixed parts of both bodies are quoted-printable encoded once per issue;
        per recipient only the field values are encoded and joined in between (with
        soft line breaks), so a fan-out does not re-encode the whole HTML each time.
        """
        values = self.values_for(recipient)
        html_parts, text_parts = self._encoded_parts()
        html = _join(html_parts, {k: html_lib.escape(v, quote=True) for k, v in values.items()})
        text = _join(text_parts, values)
        return build_encoded_message(self.issue, recipient, html_qp=html, text_qp=text, now=now)

    def _encoded_parts(self) -> tuple[list[bytes | str], list[bytes | str]]:
        cached = self.__dict__.get("_parts")
        if cached is None:
            names = {token: name for name, token in self.placeholders.items()}
            cached = (_split(self.html, self._pattern, names), _split(self.text, self._pattern, names))
            object.__setattr__(self, "_parts", cached)  # a per-issue cache on a frozen dataclass
        return cached


def _split(source: str, pattern: re.Pattern[str], names: dict[str, str]) -> list[bytes | str]:
    """``source`` as QP-encoded fixed chunks (bytes) and field names (str) in order."""
    parts: list[bytes | str] = []
    at = 0
    for match in pattern.finditer(source):
        if match.start() > at:
            parts.append(qp_chunk(source[at:match.start()]))
        parts.append(names[match.group(0)])
        at = match.end()
    if at < len(source):
        parts.append(qp_chunk(source[at:]))
    return parts


def _join(parts: list[bytes | str], values: dict[str, str]) -> bytes:
    return b"".join(p if isinstance(p, bytes) else qp_chunk(values[p]) for p in parts)


def render_issue(issue: DigestIssue, templates: Path | None = None) -> RenderedIssue:
    """Render and inline ``issue`` once. ``templates`` is the project's overrides folder."""
    nonce = _nonce(issue)
    placeholders = {name: f"tp{nonce}{name.replace('_', '').upper()}" for name in FIELDS}
    context: dict[str, Any] = {
        "issue": issue,
        "site": issue.site,
        "excerpts": issue.excerpts,
        "recipient": placeholders,
    }
    html = render(HTML_TEMPLATE, context, templates=templates)
    text = render(TEXT_TEMPLATE, context, templates=templates)
    inlined = inline_css(html)
    pattern = re.compile("|".join(re.escape(t) for t in placeholders.values()))
    return RenderedIssue(issue=issue, html=inlined, text=text, placeholders=placeholders,
                         _pattern=pattern)
