"""The studio in headless Chromium (Playwright), against the real ``trustpublish studio`` process.

Flows: log in with the one-time link; approve a draft and see its excerpts in the calendar,
send it back to draft and see them leave; approve a privacy finding; retry a failed webhook
delivery against a local server and see it sent; upload a CSV with bad rows; CSRF and a
missing session refused (403, nothing changed); an editor cannot approve; a file changed on
disk is refused; publish now with its confirmation; the approve flow with the keyboard only;
axe-core (WCAG 2.2 AA) on every page with 0 violations; screenshots at 1280 and 390 px.
Never skipped in CI: a missing browser fails there (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from studio_helpers import AXE, ARTIFACTS, HOOK_SECRET, NOW, env, make_studio_project, studio

pytestmark = pytest.mark.browser


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trustpublish", "--now", NOW, *args], cwd=root,
                          env=env(), capture_output=True, text=True, timeout=120)


def calendar_items(page: Any, base: str) -> list[str]:
    page.goto(f"{base}/calendar?view=week&start=2026-12-01")
    return page.locator("li.entry").evaluate_all("els => els.map(e => e.dataset.item)")


def login(page: Any, running: Any) -> None:
    page.goto(running.link)
    assert page.url == running.base + "/"
    assert page.locator("h1").inner_text().startswith("Status of")


# -- login --------------------------------------------------------------------------------
def test_login_link_works_once_and_gives_a_strict_httponly_cookie(tmp_path: Path,
                                                                   context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        cookie = next(c for c in context.cookies() if c["name"] == "tp_studio")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert running.link.split("token=")[1] not in json.dumps(context.cookies())
        # the same link a second time, from a fresh browser: refused
        other = context.browser.new_context()
        again = other.new_page()
        response = again.goto(running.link)
        assert response.status == 403
        assert "used already" in again.content()
        assert not [c for c in other.cookies() if c["name"] == "tp_studio"]
        other.close()


# -- approve, back to draft, calendar, audit ----------------------------------------------
def test_approve_puts_excerpts_in_the_calendar_and_back_to_draft_takes_them_out(
        tmp_path: Path, context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    before = (root / "posts" / "post-2.md").read_bytes()
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        items = calendar_items(page, running.base)
        assert "post-1/first-part" in items
        assert not [i for i in items if i.startswith("post-2/")]
        # the card shows the fitted text's count against mastodon's 500
        assert "/ 500" in page.locator("li.entry[data-item='post-1/first-part']").inner_text()

        page.goto(f"{running.base}/posts/post-2")
        page.get_by_role("button", name="Approve").click()
        assert "post-2 is approved" in page.locator(".flash").inner_text()
        path = root / "posts" / "post-2.md"
        assert "status: approved   # set by the studio" in path.read_text()
        items = calendar_items(page, running.base)
        assert {"post-2/first-part", "post-2/second-part"} <= set(items)
        held = page.locator("li.entry[data-item='post-2/first-part'] .state").inner_text()
        assert "planned" in held

        page.goto(f"{running.base}/posts/post-2")
        page.get_by_role("button", name="Back to draft").click()
        assert not [i for i in calendar_items(page, running.base) if i.startswith("post-2/")]
    assert (root / "posts" / "post-2.md").read_bytes() == before
    log = cli(root, "audit")
    assert log.returncode == 0, log.stderr
    assert "status approved post-2" in log.stdout and "posts/post-2.md:6" in log.stdout
    assert "status draft post-2" in log.stdout


def test_a_file_changed_on_disk_since_the_page_was_loaded_is_refused(tmp_path: Path,
                                                                      context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        page.goto(f"{running.base}/posts/post-2")
        path = root / "posts" / "post-2.md"
        changed = path.read_text().replace("Post number 2", "Post number 2 (edited)")
        path.write_text(changed)
        page.get_by_role("button", name="Approve").click()
        assert "changed on disk since this page was loaded" in page.content()
        assert path.read_text() == changed


# -- privacy finding ------------------------------------------------------------------------
def test_approving_a_privacy_finding_writes_privacy_ok_and_releases_the_post(
        tmp_path: Path, context: Any) -> None:
    root = make_studio_project(tmp_path / "p", statuses=("approved", "draft", "approved"),
                               phone_in=3)
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        page.goto(f"{running.base}/calendar?view=week&start=2026-12-01")
        assert page.locator("#h-held").count() == 1
        assert "Post number 3" in page.locator("section[aria-labelledby=h-held]").inner_text()
        assert not [i for i in calendar_items(page, running.base) if i.startswith("post-3/")]

        page.goto(f"{running.base}/posts/post-3")
        assert "(312) 555-0199" in page.locator("[data-key='phone:+13125550199']").inner_text()
        page.get_by_role("button", name="Approve this finding: phone (312) 555-0199").click()
        assert "No open findings." in page.content()
        text = (root / "posts" / "post-3.md").read_text()
        assert 'privacy_ok: ["phone:+13125550199"]\n---\n' in text
        items = calendar_items(page, running.base)
        assert "post-3/first-part" in items
        assert page.locator("#h-held").count() == 0


# -- deliveries: retry against a local server ------------------------------------------------
def test_retry_a_failed_delivery_against_a_local_server_and_see_it_sent(
        tmp_path: Path, context: Any, httpserver: Any) -> None:
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data(
        "no such channel", status=404)
    root = make_studio_project(tmp_path / "p", hook_url=httpserver.url_for("/hook"))
    first = cli(root, "run", "--once")
    assert "failed" in first.stdout, first.stdout + first.stderr
    httpserver.expect_request("/hook", method="POST").respond_with_json(
        {"id": "evt-1", "url": "https://hook.example/evt-1"})
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        page.goto(f"{running.base}/deliveries?state=failed")
        row = page.locator("tr[data-state=failed]", has_text="hook")
        assert row.count() == 1
        delivery_id = row.get_attribute("data-id")
        row.get_by_role("button", name=f"Retry delivery {delivery_id}").click()
        assert "is planned again" in page.locator(".flash").inner_text()
        page.get_by_role("link", name="Send what is due now…").click()
        assert "would send post-1/first-part to hook" in page.content()
        page.get_by_role("button", name="Yes, send now").click()
        sent = page.locator(f"tr[data-id='{delivery_id}']")
        assert sent.get_attribute("data-state") == "sent"
        assert "https://hook.example/evt-1" in sent.inner_text()
    hook_calls = [r for r, _ in httpserver.log if r.path == "/hook"]
    assert len(hook_calls) == 2
    assert hook_calls[-1].headers["X-Trustpublish-Signature"].startswith("sha256=")
    assert HOOK_SECRET not in running.process.stderr.read()  # type: ignore[union-attr]


# -- subscribers ------------------------------------------------------------------------------
def test_upload_a_csv_with_bad_rows_shows_them_by_line(tmp_path: Path, context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    upload = tmp_path / "people.csv"
    upload.write_text("email,name\nana@example.org,Ana\nnot-an-address,Bo\n\n,No mail\n"
                      "ben@example.org,Ben\nana@example.org,Ana again\n", encoding="utf-8")
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        page.goto(f"{running.base}/subscribers")
        page.get_by_label("Import a CSV file").set_input_files(str(upload))
        page.get_by_role("button", name="Import", exact=True).click()
        report = page.locator("section[aria-labelledby=h-import]").inner_text()
        assert "2 added" in report and "3 bad rows" in report
        bad = page.locator("ul.bad-rows li").all_inner_texts()
        assert any("people.csv:3" in b and "not-an-address" in b for b in bad)
        assert any("people.csv:5" in b and "no email" in b for b in bad)
        assert any("people.csv:7" in b and "duplicate of line 2" in b for b in bad)
        assert page.locator("td", has_text="ben@example.org").count() == 1
        page.fill("#q", "ana")
        page.get_by_role("button", name="Search").click()
        assert page.locator("tbody tr").count() == 1
        page.get_by_role("button", name="Remove ana@example.org").click()
        assert "will get no more emails" in page.locator(".flash").inner_text()
        with page.expect_download() as download:
            page.get_by_role("link", name="Export all as CSV").click()
        exported = Path(download.value.path()).read_text()
        assert "ana@example.org" in exported and "ben@example.org" in exported


# -- security ---------------------------------------------------------------------------------
def test_csrf_and_a_missing_session_are_refused_and_change_nothing(tmp_path: Path,
                                                                   context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    path = root / "posts" / "post-2.md"
    before = path.read_bytes()
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        page.goto(f"{running.base}/posts/post-2")
        version = page.locator("input[name=version]").first.get_attribute("value")
        url = f"{running.base}/posts/post-2/status"
        # logged in, but no token / a wrong token
        for form in ({"status": "approved", "version": version},
                     {"status": "approved", "version": version, "csrf": "forged"}):
            response = page.request.post(url, form=form, max_redirects=0)
            assert response.status == 403
            assert "Nothing was changed" in response.text()
        # a cross-site page posting with the right token is still refused (Origin)
        token = page.locator("input[name=csrf]").first.get_attribute("value")
        response = page.request.post(url, form={"status": "approved", "version": version,
                                                "csrf": token},
                                     headers={"Origin": "http://evil.example"}, max_redirects=0)
        assert response.status == 403
        # no session at all
        anonymous = context.browser.new_context()
        response = anonymous.request.post(url, form={"status": "approved", "version": version,
                                                     "csrf": token}, max_redirects=0)
        assert response.status == 403
        for where in ("/", "/posts", "/deliveries", "/subscribers/export.csv"):
            assert anonymous.request.get(running.base + where).status == 403
        anonymous.close()
    assert path.read_bytes() == before
    assert "No changes recorded yet" in cli(root, "audit").stdout


def test_an_editor_cannot_approve(tmp_path: Path, context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    added = subprocess.run([sys.executable, "-m", "trustpublish", "studio", "users", "add", "eda",
                            "--role", "editor", "--password-stdin"], cwd=root, env=env(),
                           input="a long editor passphrase\n", capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    stored = (root / "state" / "studio-users.json").read_text()
    assert "a long editor passphrase" not in stored and "$argon2id$" in stored
    path = root / "posts" / "post-2.md"
    before = path.read_bytes()
    with studio(root) as running:
        page = context.new_page()
        page.goto(f"{running.base}/login")
        page.get_by_label("Name").fill("eda")
        page.get_by_label("Password").fill("wrong password!!")
        page.get_by_role("button", name="Log in").click()
        assert "do not match" in page.content()
        page.get_by_label("Name").fill("eda")
        page.get_by_label("Password").fill("a long editor passphrase")
        page.get_by_role("button", name="Log in").click()
        assert "eda" in page.locator(".who").inner_text()
        page.goto(f"{running.base}/calendar?view=week&start=2026-12-01")
        assert page.get_by_role("button", name="Skip this slot").count() == 0
        assert page.get_by_role("button", name="Hold from mastodon").count() == 0
        assert "Only an approver can hold an excerpt or skip a slot" in page.content()
        page.goto(f"{running.base}/posts/post-2")
        assert page.get_by_role("button", name="Approve").count() == 0
        # the form's own token, posted by hand: the role is checked on the server
        token = page.locator("input[name=csrf]").first.get_attribute("value")
        version = page.locator("input[name=version]").first.get_attribute("value")
        response = page.request.post(f"{running.base}/posts/post-2/status", max_redirects=0,
                                     form={"status": "approved", "version": version,
                                           "csrf": token})
        assert response.status == 403 and "only an approver" in response.text()
        assert path.read_bytes() == before
        page.get_by_role("button", name="Request review").click()
        assert "sent for review" in page.locator(".flash").inner_text()
    assert "status: review   # set by the studio" in path.read_text()
    assert "eda  status review post-2" in cli(root, "audit").stdout


# -- publish now ------------------------------------------------------------------------------
def test_publish_now_shows_exactly_what_will_be_sent_then_sends_it_once(
        tmp_path: Path, context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        page.goto(f"{running.base}/posts/post-1")
        page.locator("form[action='/publish']").nth(1).get_by_role(
            "button", name="Publish now…").click()
        assert page.locator("h1").inner_text() == "Publish now to mastodon?"
        shown = page.locator(".text").first.inner_text()
        assert shown.startswith("Sentence number 0") and shown.endswith("#second-part")
        count = re.search(r"(\d+) of 500 graphemes", page.locator(".count").inner_text())
        assert count and 0 < int(count.group(1)) <= 500
        page.get_by_role("button", name="Yes, publish to mastodon now").click()
        assert "sent" in page.locator(".flash").first.inner_text()
        files = list((root / "outbox").rglob("*"))
        bodies = "".join(f.read_text() for f in files if f.is_file())
        assert "Sentence number 0" in bodies
        page.goto(f"{running.base}/publish?excerpt=post-1/second-part&channel=mastodon")
        page.get_by_role("button", name="Yes, publish to mastodon now").click()
        assert "already has a delivery to mastodon" in page.content()


# -- keyboard only ----------------------------------------------------------------------------
def _tab_to(page: Any, text: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.innerText")
        if focused and focused.strip() == text:
            return
    raise AssertionError(f"{text!r} cannot be reached with Tab")


def test_the_approve_flow_with_the_keyboard_only(tmp_path: Path, context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    with studio(root) as running:
        page = context.new_page()
        page.goto(running.link)
        _tab_to(page, "Posts")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{running.base}/posts")
        _tab_to(page, "Post number 2")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{running.base}/posts/post-2")
        _tab_to(page, "Approve")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # the focus is visible
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert "post-2 is approved" in page.locator(".flash").inner_text()
    assert "status: approved" in (root / "posts" / "post-2.md").read_text()


# -- hold or skip -----------------------------------------------------------------------------
def _channel_items(page: Any, base: str, channel: str) -> list[tuple[str, str]]:
    page.goto(f"{base}/calendar?view=week&start=2026-12-01")
    return page.locator(f"li.entry[data-channel='{channel}']").evaluate_all(
        "els => els.map(e => [e.dataset.item, e.dataset.state])")


def test_hold_an_excerpt_from_one_channel_and_skip_a_slot_in_the_calendar(
        tmp_path: Path, context: Any) -> None:
    root = make_studio_project(tmp_path / "p")
    post, schedule = root / "posts" / "post-1.md", root / "schedule.yaml"
    post_before, schedule_before = post.read_bytes(), schedule.read_bytes()
    with studio(root) as running:
        page = context.new_page()
        login(page, running)
        assert _channel_items(page, running.base, "mastodon")[:2] == [
            ["post-1/first-part", "planned"], ["post-1/second-part", "planned"]]
        newsletter = _channel_items(page, running.base, "newsletter")
        # hold the first excerpt from mastodon, from its calendar entry
        entry = page.locator("li.entry[data-channel='mastodon'][data-item='post-1/first-part']")
        entry.get_by_role("button", name="Hold from mastodon").click()
        assert "is held from mastodon" in page.locator(".flash").inner_text()
        assert "hold: {mastodon: [first-part]}" in post.read_text()
        mastodon = _channel_items(page, running.base, "mastodon")
        assert ["post-1/first-part", "planned"] not in mastodon
        assert mastodon[0] == ["post-1/second-part", "planned"]
        assert _channel_items(page, running.base, "newsletter") == newsletter  # others keep it
        held = page.locator("section[aria-labelledby=h-holds] li").inner_text()
        assert "held" in held and "First part" in held and "mastodon" in held

        # skip the Tuesday mastodon slot: shown skipped, its excerpt moves to Wednesday
        entry = page.locator("li.entry[data-channel='mastodon']").first
        entry.get_by_role("button", name="Skip this slot").click()
        assert "is skipped" in page.locator(".flash").inner_text()
        mastodon = _channel_items(page, running.base, "mastodon")
        assert mastodon[:2] == [["", "skipped"], ["post-1/second-part", "planned"]]
        first = page.locator("li.entry[data-channel='mastodon']").first
        assert "Skipped (skip: in schedule.yaml)" in first.inner_text()
        assert "skipped" in first.locator(".state").inner_text()
        page.screenshot(path=str(ARTIFACTS / "calendar-hold-skip-1280.png"), full_page=True)

        # release both: the files come back byte for byte
        first.get_by_role("button", name="Send this slot again").click()
        page.locator("section[aria-labelledby=h-holds]").get_by_role(
            "button", name="Release").click()
        assert _channel_items(page, running.base, "mastodon")[:2] == [
            ["post-1/first-part", "planned"], ["post-1/second-part", "planned"]]
    assert post.read_bytes() == post_before and schedule.read_bytes() == schedule_before
    log = cli(root, "audit").stdout
    for action in ("hold post-1/first-part", "skip mastodon 2026-12-01 10:00",
                   "release skip mastodon", "release hold post-1/first-part"):
        assert action in log, log


# -- accessibility and screenshots ------------------------------------------------------------
PAGES = [
    ("status", "/"),
    ("calendar-week", "/calendar?view=week&start=2026-12-01"),
    ("calendar-month", "/calendar?view=month&start=2026-12-01"),
    ("slot-social", "/slot?channel=mastodon&when=2026-12-01T10:00:00%2B00:00"),
    ("slot-digest", "/slot?channel=newsletter&when=2026-12-04T09:00:00%2B00:00"),
    ("posts", "/posts"),
    ("post", "/posts/post-3"),
    ("post-held", "/posts/post-1"),
    ("slot-skipped", "/slot?channel=mastodon&when=2026-12-02T10:00:00%2B00:00"),
    ("publish-confirm", "/publish?excerpt=post-1/first-part&channel=mastodon"),
    ("deliveries", "/deliveries"),
    ("send-due-confirm", "/run"),
    ("subscribers", "/subscribers"),
    ("audit", "/audit"),
]


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary)}));
    }""")
    return list(result)


def test_every_page_passes_axe_wcag22_aa_and_is_screenshotted(tmp_path: Path,
                                                               browser: Any) -> None:
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `make test-data` (make test does)")
    root = make_studio_project(tmp_path / "p", statuses=("approved", "draft", "approved"),
                               phone_in=3)
    people = tmp_path / "people.csv"
    people.write_text("email,name\nana@example.org,Ana\nnope,Bo\n", encoding="utf-8")
    cli(root, "subscribers", "import", str(people))
    # a held excerpt and a skipped slot, so their badges and release buttons are scanned too
    assert cli(root, "hold", "post-1/second-part", "--channel", "mastodon").returncode == 0
    assert cli(root, "skip", "mastodon", "2026-12-02T10:00").returncode == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    with studio(root) as running:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = ctx.new_page()
        page.goto(running.link)
        anonymous = browser.new_context(bypass_csp=True)
        other = anonymous.new_page()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            other.emulate_media(color_scheme=scheme)
            for name, where in PAGES:
                for width in (1280, 390):
                    page.set_viewport_size({"width": width, "height": 900})
                    response = page.goto(running.base + where)
                    assert response.status == 200, (name, response.status, page.content()[:2000])
                    suffix = "" if scheme == "light" else "-dark"
                    page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}-{width}.png"),
                                    full_page=True)
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 1, f"{name} scrolls sideways at {width} px"
                    report[f"{scheme}/{name}/{width}"] = _axe(page)
            # the login and refusal pages, without a session
            for name, where, status in (("login", "/login", 200), ("refused", "/posts", 403)):
                for width in (1280, 390):
                    other.set_viewport_size({"width": width, "height": 900})
                    assert other.goto(running.base + where).status == status
                    suffix = "" if scheme == "light" else "-dark"
                    other.screenshot(path=str(ARTIFACTS / f"{name}{suffix}-{width}.png"),
                                     full_page=True)
                    report[f"{scheme}/{name}/{width}"] = _axe(other)
        anonymous.close()
        ctx.close()
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    violations = {k: v for k, v in report.items() if v}
    assert len(report) == (len(PAGES) + 2) * 2 * 2
    assert violations == {}, json.dumps(violations, indent=2)
