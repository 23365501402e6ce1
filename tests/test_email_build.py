"""`trustpublish build` and `trustpublish preview` for email channels, on a copy of the sample."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from support import run_cli
from support.digest import NOW, sample_project

from trustpublish.actions.email_previews import build, next_issue


def test_build_writes_html_text_and_eml_for_the_next_issue(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    written = build(project, NOW)
    names = sorted(p.name for p in written)
    assert names == ["newsletter-0001.eml", "newsletter-0001.html", "newsletter-0001.txt"]
    assert all(p.parent == project.dist_dir / "email" for p in written)
    html = (project.dist_dir / "email" / "newsletter-0001.html").read_text()
    msg = email.message_from_bytes((project.dist_dir / "email" / "newsletter-0001.eml").read_bytes(),
                                   policy=email.policy.default)
    assert msg["To"] == "Sample Reader <sample.reader@example.com>"
    assert "unsubscribe?t=preview" in html and ">Hello,</p>" in html
    # excerpts_per_issue: 2 in the sample schedule.yaml
    assert html.count(">Continue reading</a>") == 2


def test_next_issue_respects_approval_and_post_channels(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    post = project.posts_dir / "the-importance-of-building-trust-in-therapy-relationships.md"
    config = project.config.channels["newsletter"]  # excerpts_per_issue: 2
    number, excerpts = next_issue(project, "newsletter", config, NOW)
    assert number == 1
    assert [e.id for e in excerpts] == [e.id for e in project.excerpts(project.posts[0])[:2]]
    post.write_text(post.read_text().replace("status: approved", "status: approved\nchannels: [mastodon]"))
    from trustpublish.workspace.project import Project

    limited = Project.load(project.config.path)
    assert next_issue(limited, "newsletter", config, NOW) == (1, [])
    assert build(limited, NOW) == []


def test_preview_command_builds_and_prints_the_path(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    result = run_cli("--config", str(project.config.path), "--now", "2025-12-02T09:00", "preview",
                     "--no-open", cwd=tmp_path)
    assert result.code == 0, result.err
    out = result.out
    page = project.dist_dir / "email" / "newsletter-0001.html"
    assert str(page) in out and page.is_file()
    assert "2 December 2025" in page.read_text()
