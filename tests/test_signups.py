"""Readers subscribe themselves: double opt-in, consent records, bot guard, forgetting.

The store is tested on a real SQLite file; the pages through ``trustpublish serve`` (a real
process) with raw HTTP, and the whole path in headless Chromium with the confirmation email
arriving at an aiosmtpd server and the next digest delivered to the new subscriber.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from support import free_port, run_cli

from trustpublish.deliver.db import open_engine
from trustpublish.deliver.signups import SignupRules, Signups
from trustpublish.deliver.subscribers import Subscribers

KEY = b"k" * 32
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
WORDING = "I agree to receive the digest."


@pytest.fixture
def store(tmp_path: Path) -> Signups:
    return Signups(open_engine(f"sqlite:///{tmp_path / 'state.db'}"), KEY,
                   SignupRules(expires=dt.timedelta(hours=48), per_ip_per_hour=3,
                               per_address_per_day=2))


def _ask(store: Signups, address: str, ip: str = "203.0.113.9", when: dt.datetime = NOW):
    return store.request(address, name="Ana", channel="newsletter", form="/subscribe",
                         wording=WORDING, ip=ip, now=when)


def test_an_address_is_active_only_after_confirming_and_the_consent_is_kept(store) -> None:
    people = Subscribers(store.engine)
    token = _ask(store, "Ana@Example.org")
    assert token and len(token) >= 40
    assert people.get("ana@example.org") is None  # pending is not subscribed
    assert store.pending(token, NOW + dt.timedelta(hours=1)).email == "ana@example.org"
    confirmed = store.confirm(token, NOW + dt.timedelta(hours=1))
    assert confirmed is not None and confirmed.confirmed_at
    assert {s.email for s in people.iter_recipients("newsletter")} == {"ana@example.org"}
    [consent] = store.consents("ana@example.org")
    assert consent.wording == WORDING and consent.source == "sign-up form /subscribe"
    assert consent.requested_at == "2026-12-01T12:00:00+00:00"
    assert consent.confirmed_at == "2026-12-01T13:00:00+00:00"
    assert store.confirm(token, NOW + dt.timedelta(hours=2)) is None  # used once


def test_expired_tampered_and_unknown_links_change_nothing(store) -> None:
    token = _ask(store, "ben@example.org")
    assert token
    late = NOW + dt.timedelta(hours=49)
    assert store.pending(token, late) is None and store.confirm(token, late) is None
    assert store.confirm(token[:-1] + ("A" if token[-1] != "A" else "B"), NOW) is None
    assert store.confirm("", NOW) is None and store.confirm("x" * 500, NOW) is None
    assert Subscribers(store.engine).get("ben@example.org") is None


def test_limits_per_ip_and_per_address_store_nothing_beyond_them(store) -> None:
    assert _ask(store, "a1@example.org") and _ask(store, "a2@example.org")
    assert _ask(store, "a3@example.org")
    assert _ask(store, "a4@example.org") is None  # a 4th from the same IP within the hour
    assert _ask(store, "a4@example.org", when=NOW + dt.timedelta(minutes=61))
    assert _ask(store, "a1@example.org", ip="198.51.100.1")  # 2nd for a1 today: allowed
    assert _ask(store, "a1@example.org", ip="198.51.100.2") is None  # 3rd: not
    with store.engine.connect() as conn:
        from trustpublish.deliver.signups import signups

        rows = conn.execute(signups.select()).all()
    assert sorted(r.email for r in rows) == ["a1@example.org", "a1@example.org",
                                             "a2@example.org", "a3@example.org",
                                             "a4@example.org"]
    assert all("203.0.113.9" not in r.ip_hash for r in rows)  # the IP is not stored as is


def test_an_active_subscriber_gets_no_mail_but_the_same_answer(store) -> None:
    token = _ask(store, "cho@example.org")
    store.confirm(token, NOW)
    assert _ask(store, "cho@example.org", ip="198.51.100.3") is None


def test_forget_keeps_only_a_hash_and_imports_cannot_add_them_back(store, tmp_path) -> None:
    store.confirm(_ask(store, "dan@example.org"), NOW)
    assert store.forget("dan@example.org", NOW)
    with store.engine.connect() as conn:
        dump = "\n".join(str(tuple(r)) for table in ("tp_subscribers", "tp_suppressions",
                                                     "tp_signups", "tp_consents")
                         for r in conn.exec_driver_sql(f"select * from {table}"))
    assert "dan@example.org" not in dump
    assert "sha256:" in dump
    csv = tmp_path / "back.csv"
    csv.write_text("email,name\ndan@example.org,Dan\n")
    report = Subscribers(store.engine).import_csv(csv, NOW)
    assert report.kept_unsubscribed == 1 and report.added == 0
    with store.engine.connect() as conn:
        assert "dan@example.org" not in str(conn.exec_driver_sql(
            "select * from tp_subscribers").all())
    # the person may come back by confirming themselves
    store.confirm(_ask(store, "dan@example.org", ip="198.51.100.4"), NOW)
    assert "dan@example.org" in {s.email for s in
                                 Subscribers(store.engine).iter_recipients("newsletter")}


# -- through `trustpublish serve` ------------------------------------------------------------
def _serve(project: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
    full.update(env)
    proc = subprocess.Popen([sys.executable, "-m", "trustpublish", "serve", "--port", str(port)],
                            cwd=project, env=full, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60  # generous: the suite runs in parallel workers
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.stderr.read() if proc.stderr else "serve did not start")


def _post(url: str, fields: dict[str, str]) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _with_subscribe(project: Path, extra: str) -> None:
    schedule = project / "schedule.yaml"
    schedule.write_text(schedule.read_text() + f"\nsubscribe: {{{extra}}}\n")


MIN_SECONDS = 4  # a form sent sooner is a bot's; long enough for a loaded test machine


@pytest.mark.slow
def test_bots_and_floods_get_the_same_page_and_nothing_is_stored(project: Path) -> None:
    _with_subscribe(project, f"min_seconds: {MIN_SECONDS}, per_ip_per_hour: 2")
    port = free_port()
    proc = _serve(project, port, {})
    base = f"http://127.0.0.1:{port}/subscribe"
    try:
        with urllib.request.urlopen(base, timeout=10) as page:
            html = page.read().decode()
        served = time.monotonic()
        assert page.status == 200
        stamp = re.search(r'name="ts" value="([^"]+)"', html).group(1)
        assert 'name="website"' in html and 'tabindex="-1"' in html
        answers = [
            _post(base, {"email": "bot@example.org", "website": "http://spam", "ts": stamp}),
            _post(base, {"email": "fast@example.org", "ts": stamp}),  # too soon: a bot
            _post(base, {"email": "forged@example.org", "ts": "1796140800.0000"}),
        ]
        assert time.monotonic() - served < MIN_SECONDS, "the machine is too slow for this test"
        time.sleep(max(0.0, served + MIN_SECONDS + 0.2 - time.monotonic()))
        answers += [_post(base, {"email": f"p{i}@example.org", "ts": stamp}) for i in range(4)]
        assert {code for code, _ in answers} == {200}
        assert len({body for _, body in answers}) == 1  # the same answer every time
    finally:
        proc.terminate()
        proc.wait(10)
    outbox = sorted(p.name for p in (project / "outbox" / "newsletter").glob("*.eml"))
    assert len(outbox) == 2  # p0 and p1: the IP limit stopped p2 and p3; bots got nothing
    db = open_engine(f"sqlite:///{project / 'state' / 'trustpublish.db'}")
    with db.connect() as conn:
        stored = {r[0] for r in conn.exec_driver_sql("select email from tp_signups")}
    assert stored == {"p0@example.org", "p1@example.org"}


@pytest.mark.browser
def test_a_reader_subscribes_confirms_and_gets_the_next_digest(project: Path, browser,
                                                               tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[tuple[list[str], bytes]] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    _with_subscribe(project, "min_seconds: 1, welcome: true")
    env = {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
    port = free_port()
    proc = _serve(project, port, env)
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/subscribe")
        page.fill("#tp-email", "reader@example.org")
        page.fill("#tp-name", "Rita")
        time.sleep(1.2)
        page.click("button[type=submit]")
        assert "Check your inbox" in page.content()
        for _ in range(50):
            if inbox.messages:
                break
            time.sleep(0.1)
        [(rcpt, data)] = inbox.messages
        assert rcpt == ["reader@example.org"]
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert message["Subject"].startswith("Please confirm your subscription")
        text = message.get_body(("plain",)).get_content()
        link = re.search(r"https?://\S+/subscribe/confirm\?t=\S+", text).group(0)
        token = link.split("?t=", 1)[1]
        page.goto(f"http://127.0.0.1:{port}/subscribe/confirm?t={token}")
        assert "Confirm your subscription" in page.content()  # the GET changed nothing
        listed = run_cli("subscribers", "list", "--status", "active", cwd=project).out
        assert "reader@example.org" not in listed
        page.click("button[type=submit]")
        assert "is subscribed" in page.content()
        page.goto(f"http://127.0.0.1:{port}/subscribe/confirm?t={token}")
        assert "not valid" in page.content()  # a used link
        page.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert any("Welcome" in email.message_from_bytes(d)["Subject"] for _, d in inbox.messages)
    shown = run_cli("subscribers", "show", "reader@example.org", cwd=project)
    assert "sign-up form" in shown.out and "I agree to receive" in shown.out
    exported = run_cli("subscribers", "export", cwd=project).out
    header, row = exported.splitlines()[0], next(
        line for line in exported.splitlines() if line.startswith("reader@example.org"))
    assert header.endswith(",consent_wording,confirmed_at")
    assert "I agree to receive" in row and row.rstrip().endswith("+00:00")
    inbox.messages.clear()
    result = run_cli("--now", "2026-12-01T09:01", "run", "--once", cwd=project, env=env)
    controller.stop()
    assert result.code == 0, result.out + result.err
    assert [r for r, _ in inbox.messages] == [["reader@example.org"]]
    digest = email.message_from_bytes(inbox.messages[0][1])
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_staff_invite_writes_the_confirmation_to_the_outbox_and_snippet_prints_a_form(
        project: Path) -> None:
    result = run_cli("subscribers", "add", "front.desk@example.org", "--name", "Fay",
                     "--confirm", cwd=project)
    assert result.code == 0, result.err
    [sent] = list((project / "outbox" / "newsletter").glob("confirm-*.eml"))
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert message["To"] == "Fay <front.desk@example.org>"
    assert "/subscribe/confirm?t=" in message.get_body(("plain",)).get_content()
    again = run_cli("subscribers", "add", "front.desk@example.org", "--confirm", cwd=project)
    assert again.code == 0  # a second invite the same day is fine (limit 3)
    snippet = run_cli("snippet", cwd=project)
    assert snippet.code == 0
    assert 'action="https://harborview-counseling.example/blog/subscribe"' in snippet.out
    assert 'name="website"' in snippet.out and "<script" not in snippet.out
    forgotten = run_cli("subscribers", "forget", "front.desk@example.org", "--yes",
                        cwd=project)
    assert forgotten.code == 0 and "one-way hash" in forgotten.out
