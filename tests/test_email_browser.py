"""The digest as a reader sees it: headless Chromium at 600 px and 375 px, light and dark.

Checks no horizontal scrolling, alt text on every image, every HTML link also in the
text part, and that dark mode really switches colours (``prefers-color-scheme``
emulated through Playwright, not ``--force-dark-mode``). Screenshots go to
``test-artifacts/email/``. Never skipped in CI: a missing browser fails there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.digest import ARTIFACTS, NOW, sample_project, seed_issue

from trustpublish.render.digest import compose_issue, preview_recipient, render_issue

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def issues(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """name → (html file, text part): the seed's first issue and one with a body image."""
    root = tmp_path_factory.mktemp("email-browser")
    project = sample_project(root)
    out: dict[str, tuple[Path, str]] = {}
    seed = seed_issue(project, count=3)
    pic_excerpt = project.excerpts(project.posts[0])[0]
    from dataclasses import replace

    body = pic_excerpt.body + "\n\n![](https://harborview-counseling.example/img/wide-photo.png)\n"
    pic = render_issue(compose_issue(project, "newsletter", project.config.channels["newsletter"],
                                     [replace(pic_excerpt, body=body)], number=2, now=NOW))
    for name, rendered in (("seed-issue-1", seed), ("issue-with-image", pic)):
        html, text = rendered.fill(preview_recipient(rendered.issue, name="Sample Reader"))
        # a real wide image (1200 px) so max-width scaling is exercised without the network
        page = root / f"{name}.html"
        page.write_text(html.replace("https://harborview-counseling.example/img/wide-photo.png",
                                     "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' "
                                     "width='1200' height='400'/>"), encoding="utf-8")
        out[name] = (page, text)
    return out


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [600, 375])
@pytest.mark.parametrize("name", ["seed-issue-1", "issue-with-image"])
def test_digest_in_chromium(browser, issues, name: str, width: int, scheme: str) -> None:
    page_file, text = issues[name]
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("file:", "data:"))
               else route.continue_())
    page.goto(page_file.as_uri())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-{scheme}.png"), full_page=True)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"horizontal scrolling: content is {scroll_width}px wide"
    images = page.evaluate("Array.from(document.images).map(i => [i.getAttribute('alt'), "
                           "i.getBoundingClientRect().right])")
    if name == "issue-with-image":
        assert images, "the image issue should contain an image"
    for alt, right in images:
        assert alt and alt.strip(), "an image has no alt text"
        assert right <= width
    links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    assert len(links) >= 3  # site, read-more, unsubscribe at least
    missing = [href for href in links if href not in text]
    assert not missing, f"links missing from the text part: {missing}"
    background = page.evaluate("getComputedStyle(document.querySelector('td.card')).backgroundColor")
    channels = [int(c) for c in background[background.index("(") + 1:-1].split(",")[:3]]
    if scheme == "dark":
        assert sum(channels) < 200, f"dark mode card background is {background}"
    else:
        assert sum(channels) > 600, f"light mode card background is {background}"
    context.close()
