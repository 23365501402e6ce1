"""The digest issue: composition, rendering once, per-recipient filling, size and templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.digest import NOW, sample_project, seed_issue

from trustpublish.content.model import Excerpt, Site
from trustpublish.errors import RenderError
from trustpublish.render.digest import Recipient, compose_issue, render_issue
from trustpublish.render.digest.render import inline_calls, preview_recipient

SITE = Site(title="Clinic & Co", url="https://clinic.example/blog", timezone="Europe/Berlin",
            postal_address="1 Main St, Springfield")


def excerpt(body: str, *, title: str = "A section", ident: str = "post/a-section") -> Excerpt:
    return Excerpt(id=ident, post_slug="post", anchor="a-section", title=title, body=body,
                   text=body, teaser="A teaser sentence.", words=len(body.split()), position=1,
                   total=3, url="https://clinic.example/blog/post#a-section")


def test_seed_issue_holds_its_excerpts_header_footer_and_preheader(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    rendered = seed_issue(project)
    html, text = rendered.fill(preview_recipient(rendered.issue))
    assert rendered.issue_id == "newsletter-0001"
    assert '<html lang="en"' in html
    assert 'role="presentation"' in html
    assert "Harborview Counseling" in html and "1200 Lakeshore Ave" in html and "1200 Lakeshore Ave" in text
    for item in rendered.issue.excerpts:
        assert item.title in html and item.title.upper() in text
        assert item.url.replace("&", "&amp;") in html and item.url in text
        assert "utm_medium=email" in item.url and "utm_source=newsletter" in item.url
    assert html.count(">Continue reading</a>") == 3
    # the preheader is the first excerpt's teaser, in a hidden block
    preheader = re.search(r'<div class="preheader" style="([^"]*)">([^<]*)', html)
    assert preheader and "display:none" in preheader.group(1)
    assert preheader.group(2).startswith(rendered.issue.preheader[:40])
    assert "Unsubscribe</a>" in html and "unsubscribe?t=preview" in html
    # CSS is inlined: the card's colours sit in style attributes; @media stays in <style>
    assert re.search(r'class="card" style="[^"]*background-color:#fff\b', html)
    assert "@media (prefers-color-scheme: dark)" in html


def test_issue_date_is_shown_in_the_site_timezone() -> None:
    late = NOW.replace(hour=23, minute=30)  # 23:30 UTC is already 3 December in Berlin
    issue = compose_issue(SITE, "news", {"from": "Clinic <n@clinic.example>"}, [excerpt("Hi.")],
                          number=4, now=late)
    assert issue.date_label == "3 December 2025"
    assert issue.id == "news-0004"


def test_excerpt_markup_is_sanitised_and_images_get_alt_text() -> None:
    body = ("Text with <script>alert(1)</script> and a [link](https://ok.example/x?a=1&b=2).\n\n"
            "![](https://img.example/p.png)\n\n### Sub heading\n\n[bad](javascript:alert(1))")
    issue = compose_issue(SITE, "news", {}, [excerpt(body)], number=1, now=NOW)
    html = issue.excerpts[0].html
    assert "<script" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, never run
    assert '<img alt="Illustration for “A section”"' in html
    assert "<h4>Sub heading</h4>" in html  # headings sit below the excerpt title (h2)
    assert ("link", "https://ok.example/x?a=1&b=2") in issue.excerpts[0].links
    rendered = render_issue(issue)
    assert "link: https://ok.example/x?a=1&b=2" in rendered.text


def test_per_recipient_fields_are_escaped_and_filled_without_touching_content() -> None:
    evil_name = '<img src=x onerror="alert(1)"> Zoë & "Bob"'
    issue = compose_issue(SITE, "news", {"from": "Clinic <n@clinic.example>"},
                          [excerpt("Body text.")], number=1, now=NOW)
    rendered = render_issue(issue)
    for token in rendered.placeholders.values():
        assert token in rendered.html and token in rendered.text
    recipient = Recipient(email="zoe@example.com", name=evil_name,
                          unsubscribe_url="https://clinic.example/u?t=abc&x=1")
    html, text = rendered.fill(recipient)
    assert not any(token in html or token in text for token in rendered.placeholders.values())
    assert "Hi &lt;img src=x onerror=&quot;alert(1)&quot;&gt; Zoë &amp; &quot;Bob&quot;," in html
    assert "<img src=x" not in html
    assert f"Hi {evil_name}," in text
    assert 'href="https://clinic.example/u?t=abc&amp;x=1"' in html
    assert "https://clinic.example/u?t=abc&x=1" in text
    anonymous, _ = rendered.fill(Recipient(email="a@example.com"))
    assert ">Hello,</p>" in anonymous


def test_premailer_runs_once_per_issue_not_per_recipient(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    before = inline_calls()
    rendered = seed_issue(project)
    assert inline_calls() == before + 1
    messages = {rendered.message_for(Recipient(email=f"r{i}@example.com", name=f"Reader {i}",
                                                unsubscribe_url=f"https://x.example/u?t={i}"),
                                      now=NOW) for i in range(500)}
    assert len(messages) == 500  # each message differs (recipient fields)...
    assert inline_calls() == before + 1  # ...yet CSS was inlined only once
    second = seed_issue(project)
    assert inline_calls() == before + 2 and second.html == rendered.html


def test_html_part_of_a_three_excerpt_issue_is_under_102_kb(tmp_path: Path) -> None:
    rendered = seed_issue(sample_project(tmp_path), count=3)
    html, _ = rendered.fill(Recipient(email="someone.with.a.long.address@example.com",
                                      name="A Rather Long Subscriber Name",
                                      unsubscribe_url="https://x.example/u?t=" + "k" * 120))
    size = len(html.encode("utf-8"))
    assert size < 102 * 1024, f"HTML part is {size} bytes; Gmail clips beyond 102 KB"


def _override(tmp_path: Path, source: str) -> Path:
    project = sample_project(tmp_path)
    folder = project.templates_dir / "email"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "digest.html.j2").write_text(source, encoding="utf-8")
    return project.config.path


def test_template_syntax_error_names_the_user_template_and_line(tmp_path: Path) -> None:
    from trustpublish.workspace.project import Project

    config = _override(tmp_path, "<html>\n<body>\n{% for x in excerpts %}\n<p>{{ x.title }}</p>\n</body>\n")
    with pytest.raises(RenderError) as info:
        seed_issue(Project.load(config))
    message = str(info.value)
    assert "templates/email/digest.html.j2" in message
    assert re.search(r"digest\.html\.j2:\d+: template syntax error", message)


def test_unknown_template_variable_names_the_user_template_and_line(tmp_path: Path) -> None:
    from trustpublish.workspace.project import Project

    config = _override(tmp_path, "<html>\n<body>\n<p>{{ issue.subject }}</p>\n<p>{{ clinic_motto }}</p>\n</body></html>\n")
    with pytest.raises(RenderError) as info:
        seed_issue(Project.load(config))
    message = str(info.value)
    assert "templates/email/digest.html.j2:4:" in message
    assert "clinic_motto" in message
