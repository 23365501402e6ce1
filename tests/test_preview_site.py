"""The preview site: every planned delivery of the coming weeks, as it will look."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_cli

NOW = "2026-11-27T10:00"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "preview"


@pytest.fixture
def built(project: Path) -> Path:
    result = run_cli("--now", NOW, "build", "--only", "preview", cwd=project)
    assert result.code == 0, result.err
    return project / "dist" / "preview" / "index.html"


def test_every_planned_delivery_is_on_the_page(project: Path, built: Path):
    html = built.read_text(encoding="utf-8")
    plan = json.loads(run_cli("--now", NOW, "plan", "--days", "28", "--json", cwd=project).out)
    planned = [p for p in plan if p["item"]]
    assert planned, "the sample timetable plans something"
    assert html.count("<article class=\"card\"") == len(planned)
    for p in planned:
        assert f'data-channel="{p["channel"]}" data-item="{p["item"]}"' in html
    # social text is counted against the channel's limit; the digest is shown as rendered
    assert "/ 500 graphemes" in html and "/ 300 graphemes" in html
    issues = sorted({p["item"] for p in planned if p["channel"] == "newsletter"})
    for issue in issues:
        page = built.parent / "email" / f"{issue}.html"
        assert page.is_file() and f'src="email/{issue}.html"' in html
        assert "Unsubscribe" in page.read_text(encoding="utf-8")


def test_counts_use_the_channel_limit(project: Path):
    schedule = project / "schedule.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace(
        "mastodon:   {type: mastodon, instance: https://mastodon.social}",
        "mastodon:   {type: mastodon, instance: https://mastodon.social, max_characters: 60}"),
        encoding="utf-8")
    assert run_cli("--now", NOW, "build", "--only", "preview", cwd=project).code == 0
    html = (project / "dist" / "preview" / "index.html").read_text(encoding="utf-8")
    assert "/ 60 graphemes" in html


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 375])
def test_preview_opens_from_disk_without_horizontal_scroll(browser, built: Path, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
               else route.continue_())
    page.goto(built.as_uri())
    assert page.title() == "Coming up — Harborview Counseling"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator("article.card").count() >= 3
    assert page.frame_locator("iframe").first.locator("text=Unsubscribe").count() >= 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"preview-{width}.png"), full_page=False)
    assert errors == []
    context.close()


def test_preview_command_builds_the_site(project: Path):
    result = run_cli("--now", NOW, "preview", "--site", "--no-open", cwd=project)
    assert result.code == 0, result.err
    index = project / "dist" / "preview" / "index.html"
    assert result.out.strip() == str(index) and index.is_file()
