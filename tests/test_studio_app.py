"""The studio's WSGI app without a browser: every POST route needs a session and the CSRF
token, every approver-only route refuses an editor, and users, sessions and the audit log
keep their contracts. Real app, real SQLite state, real project files (werkzeug's test
client speaks WSGI to it directly)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from studio_helpers import make_studio_project
from werkzeug.test import Client

from trustpublish.actions.audit import AuditLog
from trustpublish.errors import ConfigError, StateError
from trustpublish.web.studio import Studio, StudioSettings
from trustpublish.web.studio.sessions import Sessions
from trustpublish.web.studio.users import User, UserStore

NOW = dt.datetime(2026, 12, 1, 9, 5, tzinfo=dt.timezone.utc)

POSTS = {  # route → form (besides csrf): every state-changing route of the studio
    "/posts/post-2/status": {"status": "approved"},
    "/posts/post-3/privacy": {"key": "phone:3125550199"},
    "/posts/post-1/channels": {"channel": "newsletter"},
    "/hold": {"excerpt": "post-1/first-part", "channel": "mastodon"},
    "/skip": {"channel": "mastodon", "when": "2026-12-01T10:00:00+00:00"},
    "/publish": {"excerpt": "post-1/first-part", "channel": "mastodon"},
    "/deliveries/1/retry": {},
    "/deliveries/1/resolve": {"outcome": "sent"},
    "/run": {},
    "/subscribers/remove": {"email": "ana@example.org"},
    "/subscribers/import": {},
}


@pytest.fixture
def app(tmp_path: Path) -> Studio:
    root = make_studio_project(tmp_path / "p", statuses=("approved", "draft", "approved"),
                               phone_in=3)
    return Studio(StudioSettings(root / "schedule.yaml", clock=lambda: NOW))


def logged_in(app: Studio, user: User) -> tuple[Client, str]:
    client = Client(app)
    link = app.login_link("http://localhost", user)
    response = client.get(link.removeprefix("http://localhost"))
    assert response.status_code == 303
    page = client.get("/posts").get_data(as_text=True)
    return client, re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore


def snapshot(app: Studio) -> dict[str, bytes]:
    root = app.state_dir.parent
    files = [*sorted((root / "posts").iterdir()), root / "schedule.yaml"]
    return {str(p): p.read_bytes() for p in files}


@pytest.mark.parametrize("route", list(POSTS))
def test_every_post_without_session_or_token_is_403_and_changes_nothing(app: Studio,
                                                                         route: str) -> None:
    before = snapshot(app)
    anonymous = Client(app)
    assert anonymous.post(route, data=POSTS[route]).status_code == 403
    client, token = logged_in(app, User("ana", "approver"))
    assert client.post(route, data=POSTS[route]).status_code == 403
    assert client.post(route, data={**POSTS[route], "csrf": token + "x"}).status_code == 403
    assert client.post(route, data={**POSTS[route], "csrf": token},
                       headers={"Origin": "https://elsewhere.example"}).status_code == 403
    assert snapshot(app) == before
    assert not AuditLog(app.state_dir).latest()


@pytest.mark.parametrize("route", [r for r in POSTS if r != "/posts/post-2/status"])
def test_an_editor_is_refused_every_approver_action(app: Studio, route: str) -> None:
    before = snapshot(app)
    client, token = logged_in(app, User("eda", "editor"))
    response = client.post(route, data={**POSTS[route], "csrf": token})
    assert response.status_code == 403
    assert "only an approver" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_an_editor_may_request_review_but_not_approve(app: Studio) -> None:
    client, token = logged_in(app, User("eda", "editor"))
    path = app.state_dir.parent / "posts" / "post-2.md"
    page = client.get("/posts/post-2").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)  # type: ignore
    refused = client.post("/posts/post-2/status",
                          data={"csrf": token, "version": version, "status": "approved"})
    assert refused.status_code == 403 and "status: draft" in path.read_text()
    done = client.post("/posts/post-2/status",
                       data={"csrf": token, "version": version, "status": "review"})
    assert done.status_code == 303 and "status: review" in path.read_text()
    entry = AuditLog(app.state_dir).latest()[0]
    assert (entry.user, entry.action, entry.file, entry.line) == (
        "eda", "status review", "posts/post-2.md", 6)


def test_pages_send_security_headers_and_the_cookie_is_strict(app: Studio) -> None:
    client = Client(app)
    link = app.login_link("http://localhost", User("ana", "approver"))
    response = client.get(link.removeprefix("http://localhost"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    page = client.get("/")
    assert "script-src 'none'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"


def test_login_links_work_once_and_sessions_end_when_idle() -> None:
    sessions = Sessions(idle=dt.timedelta(hours=1))
    token = sessions.login_link_token(User("ana", "approver"), NOW)
    session = sessions.redeem(token, NOW)
    assert session is not None and session.user.name == "ana"
    assert sessions.redeem(token, NOW) is None
    assert sessions.get(session.id, NOW + dt.timedelta(minutes=59)) is session
    assert sessions.get(session.id, NOW + dt.timedelta(hours=2, minutes=1)) is None
    late = sessions.login_link_token(User("ben", "editor"), NOW)
    assert sessions.redeem(late, NOW + dt.timedelta(hours=2)) is None  # link expired


@pytest.mark.slow
def test_users_are_stored_as_argon2id_hashes_only(tmp_path: Path) -> None:
    store = UserStore(tmp_path)
    store.add("ana", "approver", "correct horse battery")
    raw = (tmp_path / "studio-users.json").read_text()
    assert "correct horse battery" not in raw and "$argon2id$" in raw
    assert (tmp_path / "studio-users.json").stat().st_mode & 0o077 == 0
    assert store.verify("ana", "correct horse battery") == User("ana", "approver")
    assert store.verify("ana", "wrong horse battery") is None
    assert store.verify("nobody", "correct horse battery") is None
    with pytest.raises(ConfigError, match="shorter than 10"):
        store.add("ben", "editor", "short")
    with pytest.raises(ConfigError, match="role 'admin' is unknown"):
        store.add("ben", "admin", "long enough password")
    with pytest.raises(ConfigError, match="not allowed"):
        store.add("../ben", "editor", "long enough password")
    assert store.remove("ana") and not store.remove("ana")


def test_the_audit_log_appends_and_reports_a_damaged_line(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.record(user="ana", action="status approved", target="post-1", now=NOW,
               file="posts/post-1.md", line=6, detail="status: approved")
    log.record(user="ben", action="retry", target="#4", now=NOW + dt.timedelta(minutes=1))
    newest = log.latest()
    assert [e.user for e in newest] == ["ben", "ana"]
    assert newest[1].where() == "posts/post-1.md:6"
    assert json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[0])["line"] == 6
    with (tmp_path / "audit.jsonl").open("a") as handle:
        handle.write("{not json\n")
    with pytest.raises(StateError, match=r"audit.jsonl:3: not an audit entry"):
        log.latest()


def test_trustpublish_audit_prints_the_log_as_text_and_json(app: Studio) -> None:
    from support import tp

    root = app.state_dir.parent
    AuditLog(app.state_dir).record(user="ana", action="status approved", target="post-2",
                                   now=NOW, file="posts/post-2.md", line=6)
    text = tp(root, "audit")
    assert text.returncode == 0, text.stderr
    assert "2026-12-01 09:05 UTC  ana  status approved post-2  posts/post-2.md:6" in text.stdout
    data = json.loads(tp(root, "audit", "--json").stdout)
    assert data == [{"at": "2026-12-01T09:05:00+00:00", "user": "ana",
                     "action": "status approved", "target": "post-2", "detail": "",
                     "file": "posts/post-2.md", "line": 6}]
    assert "No changes recorded yet" in tp(root, "audit", "--user", "ben").stdout


def test_holding_a_post_out_of_a_channel_writes_channels_and_leaves_the_calendar(
        app: Studio) -> None:
    client, token = logged_in(app, User("ana", "approver"))
    path = app.state_dir.parent / "posts" / "post-1.md"
    week = "/calendar?view=week&start=2026-12-01"
    assert 'data-channel="mastodon" data-item="post-1/first-part"' in client.get(week).get_data(
        as_text=True)
    page = client.get("/posts/post-1").get_data(as_text=True)
    assert 'id="chan-mastodon" name="channel" value="mastodon" checked' in page
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)  # type: ignore
    before = path.read_text()
    done = client.post("/posts/post-1/channels",
                       data={"csrf": token, "version": version, "channel": ["newsletter"]})
    assert done.status_code == 303
    after = path.read_text()
    assert after == before.replace("   # set by the studio\n---", "   # set by the studio\n"
                                   "channels: [newsletter]\n---")
    calendar = client.get(week).get_data(as_text=True)
    assert 'data-channel="mastodon" data-item="post-1/' not in calendar
    assert 'data-channel="newsletter" data-item="newsletter-0001"' in calendar
    entry = AuditLog(app.state_dir).latest()[0]
    assert entry.action == "channels" and entry.line == 7
    assert "held out of mastodon" in entry.detail


WEEK = "/calendar?view=week&start=2026-12-01"


def _entries(html: str) -> list[tuple[str, str, str]]:
    """(channel, item, state) of every calendar entry, in page order."""
    return re.findall(r'<li class="entry" data-channel="([^"]*)" data-item="([^"]*)" '
                      r'data-state="([^"]*)"', html)


def _form(html: str, action: str, **fields: str) -> dict[str, str]:
    """The hidden fields of the first form posting to ``action`` whose fields match."""
    for form in re.findall(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html,
                           re.S):
        values = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
        if all(values.get(k) == v for k, v in fields.items()):
            return {k: v.replace("&#43;", "+").replace("&amp;", "&") for k, v in values.items()}
    raise AssertionError(f"no {action} form with {fields}")


def test_hold_an_excerpt_from_one_channel_in_the_calendar_and_release_it(app: Studio) -> None:
    client, _token = logged_in(app, User("ana", "approver"))
    path = app.state_dir.parent / "posts" / "post-1.md"
    before = path.read_bytes()
    page = client.get(WEEK).get_data(as_text=True)
    assert ("mastodon", "post-1/first-part", "planned") in _entries(page)
    form = _form(page, "/hold", excerpt="post-1/first-part", channel="mastodon")
    assert client.post("/hold", data=form).status_code == 303
    assert path.read_bytes() == before.replace(b"studio\n---", b"studio\n"
                                               b"hold: {mastodon: [first-part]}\n---")
    page = client.get(WEEK).get_data(as_text=True)
    entries = _entries(page)
    mastodon = [item for channel, item, _ in entries if channel == "mastodon"]
    assert mastodon[:2] == ["post-1/second-part", ""]  # the held one left; the next moved up
    assert ("newsletter", "newsletter-0001", "planned") in entries
    assert 'data-excerpt="post-1/first-part" data-channel="mastodon"' in page  # shown held
    slot = client.get("/slot?channel=newsletter&when=2026-12-04T09:00:00%2B00:00")
    assert "First part" in slot.get_data(as_text=True)  # still in the digest
    entry = AuditLog(app.state_dir).latest()[0]
    assert (entry.user, entry.action, entry.target, entry.file, entry.line) == (
        "ana", "hold", "post-1/first-part", "posts/post-1.md", 7)

    release = _form(page, "/hold", excerpt="post-1/first-part", release="1")
    assert client.post("/hold", data=release).status_code == 303
    assert path.read_bytes() == before
    assert ("mastodon", "post-1/first-part", "planned") in _entries(
        client.get(WEEK).get_data(as_text=True))
    assert AuditLog(app.state_dir).latest()[0].action == "release hold"


@pytest.mark.parametrize("back", ["//evil.example/x", "/\t/evil.example/x", "/\n/evil.example",
                                  "/\\evil.example", "https://evil.example/", "/ /evil.example"])
def test_a_form_returns_only_to_a_path_on_this_site(app: Studio, back: str) -> None:
    """``back`` never sends the browser elsewhere (browsers drop tabs and newlines in URLs,
    so "/<tab>/host" would be "//host")."""
    client, _token = logged_in(app, User("ana", "approver"))
    page = client.get(WEEK).get_data(as_text=True)
    form = _form(page, "/hold", excerpt="post-1/first-part", channel="mastodon")
    answer = client.post("/hold", data={**form, "back": back})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/calendar"), answer.headers["Location"]
    form = _form(client.get(WEEK).get_data(as_text=True), "/hold", excerpt="post-1/first-part",
                 release="1")
    answer = client.post("/hold", data={**form, "back": "/calendar?week=2026-11-30"})
    assert answer.headers["Location"].endswith("/calendar?week=2026-11-30")


def test_skip_a_slot_in_the_calendar_moves_the_excerpt_to_the_next_slot(app: Studio) -> None:
    client, _token = logged_in(app, User("ana", "approver"))
    schedule = app.state_dir.parent / "schedule.yaml"
    before = schedule.read_bytes()
    page = client.get(WEEK).get_data(as_text=True)
    form = _form(page, "/skip", channel="mastodon", when="2026-12-01T10:00:00+00:00")
    assert client.post("/skip", data=form).status_code == 303
    assert schedule.read_bytes() == before.replace(
        b'"SAT 10:00"]}', b'"SAT 10:00"], skip: ["2026-12-01T10:00"]}')
    page = client.get(WEEK).get_data(as_text=True)
    mastodon = [(item, state) for channel, item, state in _entries(page) if channel == "mastodon"]
    assert mastodon[:3] == [("", "skipped"), ("post-1/first-part", "planned"),
                            ("post-1/second-part", "planned")]
    assert "Skipped (skip: in schedule.yaml)" in page
    entry = AuditLog(app.state_dir).latest()[0]
    assert (entry.action, entry.target, entry.file, entry.line) == (
        "skip", "mastodon 2026-12-01 10:00", "schedule.yaml", 12)

    # a second form from the old page is refused: schedule.yaml changed since
    stale = client.post("/skip", data={**form, "when": "2026-12-02T10:00:00+00:00"})
    assert stale.status_code == 409 and "changed on disk" in stale.get_data(as_text=True)

    again = _form(page, "/skip", channel="mastodon", release="1")
    assert client.post("/skip", data=again).status_code == 303
    assert schedule.read_bytes() == before


def test_a_recorded_slot_cannot_be_skipped(app: Studio) -> None:
    from trustpublish.actions import holds
    from trustpublish.deliver.engine import DeliveryEngine
    from trustpublish.workspace.project import Project

    client, _token = logged_in(app, User("ana", "approver"))
    page = client.get(WEEK).get_data(as_text=True)
    form = _form(page, "/skip", channel="mastodon", when="2026-12-01T10:00:00+00:00")
    project = Project.load(app.settings.config_path)
    engine = DeliveryEngine(project, app.db)
    engine.run_once(dt.datetime(2026, 12, 1, 10, 0, 30, tzinfo=dt.timezone.utc))
    schedule = app.state_dir.parent / "schedule.yaml"
    before = schedule.read_bytes()
    refused = client.post("/skip", data=form)
    assert refused.status_code == 400
    assert "already recorded in the ledger" in refused.get_data(as_text=True)
    assert schedule.read_bytes() == before
    assert holds.slot_entry(project, "mastodon", dt.datetime(
        2026, 12, 2, 10, tzinfo=dt.timezone.utc)) == 0
