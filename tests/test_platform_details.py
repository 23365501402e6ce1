"""Platform details seen at real servers (issue 13): threads that break and resume,
Mastodon's short-lived Idempotency-Key, clean cuts, Bluesky TIDs, instance limits,
``api_base``, missing images, the email ``Date:``.

Every server here is real and local: a Bluesky PDS in its own process (killed with
SIGKILL mid-thread), Mastodon/Telegram/LinkedIn/Facebook APIs on pytest-httpserver, an
SMTP sink on aiosmtpd.
"""

from __future__ import annotations

import datetime as dt
import email
import email.utils
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import free_port, make_project, run_cli
from werkzeug import Request, Response

from trustpublish.channels.base import Delivery
from trustpublish.channels.fitting import fit_text
from trustpublish.channels.ids import tid_for, tid_time
from trustpublish.channels.registry import open_channel
from trustpublish.errors import OutcomeUnknown

FAKE_PDS = Path(__file__).parent / "servers" / "fake_pds.py"
SITE = "site: {title: Clinic, url: https://clinic.example, timezone: UTC}\n"


# -- a PDS killed mid-thread ------------------------------------------------------------------
class Pds:
    """The fake PDS process; its repository file survives restarts."""

    def __init__(self, folder: Path) -> None:
        self.port, self.store = free_port(), folder / "repo.json"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, die_at: int = 0) -> None:
        env = {**os.environ, "FAKE_PDS_DIE_AT": str(die_at)}
        self.proc = subprocess.Popen([sys.executable, str(FAKE_PDS), str(self.port),
                                      str(self.store)], env=env)
        deadline = time.monotonic() + 60
        import socket

        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the fake PDS did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait(10)

    def writes(self) -> list[dict]:
        log = self.store.with_suffix(".log")
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def pds(tmp_path):
    server = Pds(tmp_path)
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.process
def test_pds_killed_mid_thread_leaves_it_partial_and_the_next_run_resumes_it(tmp_path, pds):
    make_project(tmp_path / "site", SITE + f"""\
channels:
  sky: {{type: bluesky, handle: clinic.test, service: "http://127.0.0.1:{pds.port}",
        thread: true, hashtags: false, max_characters: 140}}
timetable:
  - {{channel: sky, at: "2026-03-02T09:00"}}
""", posts=1)
    site, env = tmp_path / "site", {"TRUSTPUBLISH_SKY_APP_PASSWORD": "app-pass-1234"}
    pds.start(die_at=3)  # SIGKILL when part 3 arrives
    first = run_cli("--now", "2026-03-02T09:01:00Z", "run", "--once", cwd=site, env=env)
    assert pds.proc is not None and pds.proc.wait(10) == -9  # it really was killed
    assert first.code == 1 and "Traceback" not in first.err, first.out + first.err
    [row] = json.loads(run_cli("--json", "history", cwd=site, env=env).out)
    assert row["state"] == "partial"
    assert row["error"].startswith("Partly delivered: parts 1-2 of")
    assert "sky:" not in row["error"]                   # the channel is not repeated
    assert "Partly delivered" in first.out + first.err
    assert [w["rkey"] for w in pds.writes()] == sorted(w["rkey"] for w in pds.writes())
    assert len(pds.writes()) == 2
    status = run_cli("status", cwd=site, env=env)
    assert "partial" in status.out

    pds.start()
    second = run_cli("--now", "2026-03-02T09:05:00Z", "run", "--once", cwd=site, env=env)
    assert second.code == 0, second.out + second.err
    [row] = json.loads(run_cli("--json", "history", cwd=site, env=env).out)
    assert row["state"] == "sent"

    writes = pds.writes()
    rkeys = [w["rkey"] for w in writes]
    assert len(rkeys) == len(set(rkeys)) >= 4           # no part written twice
    texts = [w["record"]["text"] for w in writes]
    total = len(writes)
    assert [f"({i}/{total})" in t for i, t in enumerate(texts, 1)] == [True] * total
    root = f"at://did:plc:fakeclinic/app.bsky.feed.post/{rkeys[0]}"
    third = writes[2]["record"]["reply"]                 # the resumed part replies to part 2
    assert third["root"]["uri"] == root and third["parent"]["uri"].endswith(rkeys[1])
    # record keys: TIDs of the delivery's time in the ledger, in part order
    assert rkeys == sorted(rkeys)
    planned = dt.datetime(2026, 3, 2, 9, 1, tzinfo=dt.timezone.utc)
    assert all(abs((tid_time(k) - planned).total_seconds()) < 1 for k in rkeys)


def test_tids_are_sortable_near_their_time_and_the_same_on_every_resend():
    when = dt.datetime(2026, 3, 2, 9, 1, tzinfo=dt.timezone.utc)
    keys = [tid_for("delivery-a", when, i) for i in range(5)]
    assert keys == sorted(keys) and len(set(keys)) == 5
    assert keys == [tid_for("delivery-a", when, i) for i in range(5)]    # deterministic
    assert tid_for("delivery-b", when) != keys[0]
    later = tid_for("delivery-a", when + dt.timedelta(seconds=2))
    assert later > keys[-1]
    assert abs((tid_time(keys[0]) - when).total_seconds()) < 0.5
    first = int("".join(str("234567abcdefghijklmnopqrstuvwxyz".index(c)) + "," for c in keys[0])
                .split(",")[0])
    assert first < 16  # top bit of the 64-bit TID is 0


# -- Mastodon: re-send after the Idempotency-Key expired ----------------------------------------
class Forgetful:
    """A Mastodon instance whose Idempotency-Keys have expired: every POST is new."""

    def __init__(self) -> None:
        self.statuses: list[dict] = []
        self.readable = True

    def post(self, request: Request) -> Response:
        body = request.get_json()
        sid = str(100 + len(self.statuses))
        # what a real instance returns: the text as HTML, with <br> and <p>
        content = "<p>" + body["status"].replace("\n\n", "</p><p>").replace("\n", "<br />") \
            + "</p>"
        status = {"id": sid, "url": f"https://social.example/@clinic/{sid}",
                  "content": content.replace("&", "&amp;")}
        self.statuses.append(status)
        return Response(json.dumps(status), 200, content_type="application/json")

    def me(self, request: Request) -> Response:
        if not self.readable:
            return Response('{"error": "boom"}', 503, content_type="application/json")
        return Response('{"id": "7"}', 200, content_type="application/json")

    def timeline(self, request: Request) -> Response:
        return Response(json.dumps(self.statuses[::-1]), 200, content_type="application/json")


@pytest.fixture
def forgetful(httpserver, monkeypatch):
    inst = Forgetful()
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_handler(inst.post)
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_handler(inst.me)
    httpserver.expect_request("/api/v1/accounts/7/statuses").respond_with_handler(inst.timeline)
    monkeypatch.setenv("TRUSTPUBLISH_MASTO_TOKEN", "tok")
    return inst


def masto_delivery(planned_ago: dt.timedelta, attempts: int = 1,
                   parts=("Trust & care (1/2)\n\nhttps://c.example/a",
                          "More words (2/2)")) -> Delivery:
    planned = dt.datetime.now(dt.timezone.utc) - planned_ago
    return Delivery(id="d1", channel="masto", item_id="p/x", parts=tuple(parts),
                    extra={"planned_at": planned.isoformat(), "attempts": attempts})


def test_mastodon_resend_after_the_key_window_finds_the_posted_thread(forgetful, httpserver,
                                                                       tmp_path):
    cfg = {"type": "mastodon", "instance": httpserver.url_for("/").rstrip("/")}
    with open_channel("masto", cfg, root=tmp_path) as channel:
        channel.publish(masto_delivery(dt.timedelta(minutes=1)))
        assert len(forgetful.statuses) == 2
        again = channel.publish(masto_delivery(dt.timedelta(hours=2)))   # key expired
    assert len(forgetful.statuses) == 2 and again.remote_id == "100"
    looked = [r.path for r, _ in httpserver.log if r.method == "GET"]
    assert looked == ["/api/v1/accounts/verify_credentials", "/api/v1/accounts/7/statuses"]


def test_mastodon_resend_is_unknown_when_the_account_cannot_be_read(forgetful, httpserver,
                                                                     tmp_path):
    cfg = {"type": "mastodon", "instance": httpserver.url_for("/").rstrip("/")}
    forgetful.readable = False
    with open_channel("masto", cfg, root=tmp_path) as channel:
        with pytest.raises(OutcomeUnknown, match="Idempotency-Key") as caught:
            channel.publish(masto_delivery(dt.timedelta(hours=2)))
    assert forgetful.statuses == [] and not caught.value.message.startswith("masto: masto:")
    with open_channel("masto", cfg, root=tmp_path) as channel:  # within the window: no lookup
        channel.publish(masto_delivery(dt.timedelta(minutes=5)))
    assert len(forgetful.statuses) == 2
    with open_channel("masto", cfg, root=tmp_path) as channel:  # never tried: no lookup
        channel.publish(masto_delivery(dt.timedelta(hours=3), attempts=0))
    assert len(forgetful.statuses) == 4


def test_mastodon_limit_is_read_from_the_instance_and_cached_for_fitting(httpserver, tmp_path):
    httpserver.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": {"max_characters": 140,
                                        "characters_reserved_per_url": 30}}})
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"id": "1", "url": "https://social.example/@clinic/1"})
    make_project(tmp_path, SITE + f"""\
channels:
  masto: {{type: mastodon, instance: "{httpserver.url_for('/').rstrip('/')}", hashtags: false}}
""", posts=1)
    env = {"TRUSTPUBLISH_MASTO_TOKEN": "tok"}
    shown = run_cli("--json", "--dry-run", "publish", "post-000/first-part", "--channel", "masto",
                    cwd=tmp_path, env=env)
    assert shown.code == 0, shown.err
    fitted = json.loads(shown.out)
    assert fitted["limit"] == 140 and fitted["counts"][0] <= 140
    cache = list((tmp_path / "state" / "channels").glob("mastodon-*.json"))
    assert json.loads(cache[0].read_text()) == {"max_characters": 140,
                                                "characters_reserved_per_url": 30}
    again = run_cli("--json", "--dry-run", "publish", "post-000/first-part", "--channel",
                    "masto", cwd=tmp_path, env=env)
    assert json.loads(again.out)["limit"] == 140
    assert [r.path for r, _ in httpserver.log].count("/api/v2/instance") == 1   # cached
    offline = run_cli("--json", "--dry-run", "publish", "post-000/first-part", "--channel",
                      "masto", cwd=tmp_path)               # no token: cache only, no request
    assert json.loads(offline.out)["limit"] == 140 and len(httpserver.log) == 1


# -- text ---------------------------------------------------------------------------------------
def test_a_cut_thread_part_never_starts_with_stray_punctuation():
    sentence = "Trust grows " + ", ".join(f"slowly — and carefully number {i}" for i in range(60))
    fitted = fit_text([sentence + "."], "mastodon", "m",
                      {"type": "mastodon", "thread": True, "hashtags": False},
                      link="https://x.example/a")
    assert len(fitted.parts) > 2 and fitted.truncated
    for part in fitted.parts[1:]:
        assert part[0].isalnum(), part[:20]
    def words(text: str) -> list[str]:
        return [w for w in (w.strip(",—.…") for w in text.split()) if w]

    said = words(" ".join(p.rsplit(" (", 1)[0] for p in fitted.parts).replace("…", " "))
    assert said == words(sentence)                  # nothing lost or repeated at the cuts


# -- api_base -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_api_base_works_for_telegram_linkedin_and_facebook(tmp_path, httpserver):
    base = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request("/bottg-token/sendMessage", method="POST").respond_with_json(
        {"ok": True, "result": {"message_id": 7, "chat": {"username": "clinic"}}})
    httpserver.expect_request("/rest/posts", method="POST").respond_with_response(
        Response("", 201, headers={"x-restli-id": "urn:li:share:1"}))
    httpserver.expect_request("/v21.0/555/feed", method="POST").respond_with_json({"id": "555_1"})
    make_project(tmp_path, SITE + f"""\
channels:
  tg: {{type: telegram, chat: "@clinic", api_base: "{base}"}}
  li: {{type: linkedin, author: "urn:li:organization:1", api_base: "{base}"}}
  fb: {{type: facebook, page_id: "555", api_base: "{base}"}}
""", posts=1)
    env = {"TRUSTPUBLISH_TG_BOT_TOKEN": "tg-token", "TRUSTPUBLISH_LI_TOKEN": "li-token",
           "TRUSTPUBLISH_FB_PAGE_TOKEN": "fb-token"}
    assert run_cli("check", cwd=tmp_path, env=env).code == 0
    urls = {"tg": "https://t.me/clinic/7",
            "li": "https://www.linkedin.com/feed/update/urn:li:share:1/",
            "fb": "https://www.facebook.com/555_1"}
    for name, url in urls.items():
        done = run_cli("publish", "post-000/first-part", "--channel", name, cwd=tmp_path, env=env)
        assert done.code == 0 and url in done.out, done.err
    assert sorted(r.path for r, _ in httpserver.log) == [
        "/bottg-token/sendMessage", "/rest/posts", "/v21.0/555/feed"]


def test_api_base_must_be_a_web_address(tmp_path):
    make_project(tmp_path, SITE + "channels:\n  tg: {type: telegram, chat: '@c', "
                                  "api_base: 'ftp://x'}\n", posts=1)
    done = run_cli("check", cwd=tmp_path)
    assert done.code == 1 and "channels.tg.api_base" in done.out + done.err   # problems found
    done = run_cli("plan", cwd=tmp_path)
    assert done.code == 3 and done.err.startswith("Config error: ")           # config error


# -- images ------------------------------------------------------------------------------------
def test_a_missing_local_image_is_a_check_error_with_file_and_line(tmp_path):
    make_project(tmp_path, SITE + "channels:\n  out: {type: outbox}\n", posts=2, extra={
        0: "image: img/chairs.png\nimage_alt: Two chairs\n",
        1: "image: https://clinic.example/img/ok.png\nimage_alt: A room\n"})
    done = run_cli("check", cwd=tmp_path)
    report = done.out + done.err
    assert done.code == 1 and "post-000.md:7: image:" in report and "img/chairs.png" in report
    assert "post-001.md" not in report
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "chairs.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert run_cli("check", cwd=tmp_path).code == 0


# -- email Date: ---------------------------------------------------------------------------------
def test_email_date_header_is_the_time_of_sending(tmp_path):
    from aiosmtpd.controller import Controller

    got: list[email.message.Message] = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            got.append(email.message_from_bytes(envelope.content))
            return "250 2.0.0 Ok"

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        make_project(tmp_path, """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: UTC,
       postal_address: "1 Main St, Chicago, IL"}
channels:
  news: {type: email, from: "Clinic <news@clinic.example>"}
timetable:
  - {channel: news, at: "2026-03-02T09:00"}
""", posts=1)
        env = {"TRUSTPUBLISH_NEWS_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
        (tmp_path / "subs.csv").write_text("email,name,status\na@example.org,Ann,active\n")
        assert run_cli("subscribers", "import", "subs.csv", cwd=tmp_path, env=env).code == 0
        before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        done = run_cli("--now", "2026-03-02T09:10:00Z", "run", "--once", cwd=tmp_path, env=env)
        after = dt.datetime.now(dt.timezone.utc)
        assert done.code == 0, done.out + done.err
    finally:
        controller.stop()
    [message] = got
    sent = email.utils.parsedate_to_datetime(message["Date"])
    assert before <= sent <= after                       # not the slot (2026-03-02 09:00)
    assert len(message.get_all("Date")) == 1


# -- error labels and exit codes ------------------------------------------------------------------
@pytest.mark.parametrize("status, label, state", [
    (401, "Credentials error", "failed"), (422, "Delivery failed", "failed"),
    (500, "Outcome unknown", "unknown")])
@pytest.mark.slow
def test_errors_carry_the_readme_label_and_exit_code_without_doubled_prefixes(
        tmp_path, httpserver, status, label, state):
    httpserver.expect_request("/rest/posts", method="POST").respond_with_json(
        {"message": "the platform said no"}, status=status)
    make_project(tmp_path, SITE + f"""\
channels:
  li: {{type: linkedin, author: "urn:li:organization:1",
        api_base: "{httpserver.url_for('/').rstrip('/')}"}}
timetable:
  - {{channel: li, at: "2026-03-02T09:00"}}
""", posts=2)
    env = {"TRUSTPUBLISH_LI_TOKEN": "li-token-123456"}
    done = run_cli("publish", "post-001/first-part", "--channel", "li", cwd=tmp_path, env=env)
    assert done.code == 5, done.err                      # README: a delivery error stopped it
    assert done.err.startswith(f"{label}: delivery #1 to li is {state}: ")
    assert "the platform said no" in done.err and "li: li:" not in done.err
    assert f"{label}: {label}" not in done.err
    run = run_cli("--now", "2026-03-02T09:01:00Z", "run", "--once", cwd=tmp_path, env=env)
    assert run.code == 1                                 # README: a delivery failed (run)
    assert f"{state} #2 post-000/first-part to li: {label}: " in run.out, run.out + run.err
    assert "li: li:" not in run.out
    rows = json.loads(run_cli("--json", "history", cwd=tmp_path, env=env).out)
    assert {r["error"].split(": ")[0] for r in rows} == {label}
