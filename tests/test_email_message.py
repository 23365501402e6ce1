"""Digest messages: MIME structure, headers (RFC 8058 one-click), deterministic Message-ID."""

from __future__ import annotations

import email
import email.policy
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from support.digest import NOW, sample_project, seed_issue

from trustpublish.content.model import Excerpt, Site
from trustpublish.errors import ConfigError
from trustpublish.render.digest import Recipient, compose_issue, render_issue

RECIPIENT = Recipient(email="ana@example.com", name="Ána Pérez",
                      unsubscribe_url="https://harborview-counseling.example/blog/unsubscribe?t=tok1",
                      unsubscribe_mailto="mailto:unsub@harborview-counseling.example?subject=tok1")


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def test_message_is_multipart_alternative_with_the_required_headers(tmp_path: Path) -> None:
    rendered = seed_issue(sample_project(tmp_path))
    data = rendered.message_for(RECIPIENT, now=NOW)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    head = data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert max(len(line) for line in data.split(b"\r\n") if line not in head) <= 78
    msg = parse(data)
    assert not msg.defects
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["From"] == "Harborview Counseling <news@harborview-counseling.example>"
    assert msg["To"] == "Ána Pérez <ana@example.com>"
    assert msg["Subject"] == rendered.subject
    assert parsedate_to_datetime(msg["Date"]) == NOW
    assert msg["List-Unsubscribe"] == (
        "<https://harborview-counseling.example/blog/unsubscribe?t=tok1>, "
        "<mailto:unsub@harborview-counseling.example?subject=tok1>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, text = rendered.fill(RECIPIENT)
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == html
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert "Hi Ána Pérez," in text


def test_message_id_is_deterministic_per_issue_and_recipient(tmp_path: Path) -> None:
    rendered = seed_issue(sample_project(tmp_path))
    first = rendered.message_for(RECIPIENT, now=NOW)
    assert first == rendered.message_for(RECIPIENT, now=NOW)  # same bytes on rebuild
    again = parse(seed_issue(sample_project(tmp_path / "other")).message_for(RECIPIENT, now=NOW))
    mid = parse(first)["Message-ID"]
    assert mid == again["Message-ID"]
    assert mid.startswith("<newsletter-0001.") and mid.endswith("@harborview-counseling.example>")
    upper = Recipient(email="ANA@example.com", unsubscribe_url=RECIPIENT.unsubscribe_url)
    assert parse(rendered.message_for(upper, now=NOW))["Message-ID"] == mid
    other = Recipient(email="bo@example.com", unsubscribe_url=RECIPIENT.unsubscribe_url)
    assert parse(rendered.message_for(other, now=NOW))["Message-ID"] != mid


def test_default_unsubscribe_uses_the_channel_base_and_sender_mailto() -> None:
    site = Site(title="Clinic", url="https://clinic.example/blog")
    ex = Excerpt(id="p/s", post_slug="p", anchor="s", title="S", body="Body.", text="Body.",
                 teaser="Body.", words=1, position=1, total=1, url="https://clinic.example/blog/p#s")
    issue = compose_issue(site, "letters", {"from": "Clinic <hello@clinic.example>",
                                            "unsubscribe_url": "https://clinic.example/leave"},
                          [ex], number=2, now=NOW)
    msg = parse(render_issue(issue).message_for(Recipient(email="x@example.com"), now=NOW))
    assert msg["List-Unsubscribe"] == ("<https://clinic.example/leave>, "
                                       "<mailto:hello@clinic.example?subject=unsubscribe>")
    no_sender = compose_issue(site, "letters", {}, [ex], number=2, now=NOW)
    with pytest.raises(ConfigError, match=r"channels\.letters\.from"):
        render_issue(no_sender).message_for(Recipient(email="x@example.com"), now=NOW)


def test_header_injection_through_recipient_fields_is_refused(tmp_path: Path) -> None:
    rendered = seed_issue(sample_project(tmp_path))
    bad = Recipient(email="a@example.com", unsubscribe_url="https://x.example/u?t=1\r\nBcc: e@vil")
    with pytest.raises(ValueError):
        rendered.message_for(bad, now=NOW)
    with pytest.raises(ValueError):
        rendered.message_for(Recipient(email="a@example.com\r\nBcc: e@vil"), now=NOW)
