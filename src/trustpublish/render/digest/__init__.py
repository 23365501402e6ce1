"""The email digest (README: "Email digest"): compose an issue, render it once, build a message per recipient.

::

    from trustpublish.render.digest import compose_issue, render_issue, Recipient
    issue = compose_issue(project, "newsletter", channel_config, excerpts, number=1, now=now)
    rendered = render_issue(issue, project.templates_dir)   # Jinja2 + premailer, once
    data = rendered.message_for(Recipient(email=..., name=..., unsubscribe_url=...), now=now)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compose import (DigestExcerpt, DigestIssue, Recipient, compose_issue,
                          unsubscribe_link)
    from .render import RenderedIssue, preview_recipient, render_issue

__all__ = [
    "DigestExcerpt",
    "DigestIssue",
    "Recipient",
    "RenderedIssue",
    "compose_issue",
    "preview_recipient",
    "render_issue",
    "unsubscribe_link",
]

_WHERE = {"DigestExcerpt": "compose", "DigestIssue": "compose", "Recipient": "compose",
          "compose_issue": "compose", "unsubscribe_link": "compose", "RenderedIssue": "render",
          "preview_recipient": "render", "render_issue": "render"}


def __getattr__(name: str) -> Any:
    """The package's names, imported on first use: :mod:`.message` alone (what the
    email channel needs to load) does not pull in Jinja2 and premailer."""
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
