"""The email digest (README: "Email digest"): compose an issue, render it once, build a message per recipient.

::

    from trustpublish.render.digest import compose_issue, render_issue, Recipient
    issue = compose_issue(project, "newsletter", channel_config, excerpts, number=1, now=now)
    rendered = render_issue(issue, project.templates_dir)   # Jinja2 + premailer, once
    data = rendered.message_for(Recipient(email=..., name=..., unsubscribe_url=...), now=now)
"""

from __future__ import annotations

from .compose import DigestExcerpt, DigestIssue, Recipient, compose_issue, unsubscribe_link
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
