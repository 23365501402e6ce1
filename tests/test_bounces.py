"""Bounces and complaints: real-format reports from eight mail systems, matched to their
delivery row and applied to the suppression list (tests/data/bounces/README.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trustpublish.deliver.bounces import (
    BounceRules,
    Bounces,
    Report,
    read_report,
    verp_address,
    verp_delivery,
)
from trustpublish.deliver.db import open_engine
from trustpublish.deliver.ledger import Ledger
from trustpublish.deliver.subscribers import Subscribers

DATA = Path(__file__).parent / "data" / "bounces"
KEY = b"test-secret-key-for-verp"
NOW = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.timezone.utc)
MID = "<newsletter-0001.3f1c2a9b8d7e6f5a4b3c2d1e@harborview-counseling.example>"

EXPECTED = {
    "postfix-dsn-hard.eml": ("hard", ("ana.gone@example.org",)),
    "postfix-dsn-delayed-soft.eml": ("soft", ("fay.full@example.org",)),
    "gmail-dsn-hard.eml": ("hard", ("ben.nobody@gmail.com",)),
    "exchange-online-dsn-hard.eml": ("hard", ("cho.left@outlook.com",)),
    "exim-text-hard.eml": ("hard", ("dan.moved@example.net",)),
    "qmail-qsbmf-hard.eml": ("hard", ("eve.closed@example.com",)),
    "yahoo-arf-complaint.eml": ("complaint", ("gus.annoyed@yahoo.com",)),
    "outlook-jmrp-arf-complaint.eml": ("complaint", ("hal.reported@hotmail.com",)),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_mail_systems_report_is_read_as_what_it_is(name: str) -> None:
    report = read_report((DATA / name).read_bytes())
    assert report is not None
    assert (report.kind, report.addresses) == EXPECTED[name]
    assert report.message_id is not None and report.message_id.startswith("<newsletter-0001.")


def test_a_person_writing_back_is_not_a_bounce() -> None:
    reply = (b"From: Ana <ana@example.org>\r\nTo: news@harborview-counseling.example\r\n"
             b"Subject: Re: Why trust matters\r\nMessage-ID: <r1@example.org>\r\n\r\n"
             b"Thank you for this issue, it helped.\r\n")
    assert read_report(reply) is None


def test_verp_addresses_name_one_row_and_cannot_be_forged() -> None:
    address = verp_address("bounces@clinic.example", 42, KEY)
    assert address.startswith("bounces+d42.") and address.endswith("@clinic.example")
    assert verp_delivery(address, KEY) == 42
    assert verp_delivery(f"<{address.upper()}>", KEY) == 42  # case-insensitive, brackets
    assert verp_delivery(address.replace("+d42.", "+d43."), KEY) is None
    assert verp_delivery(address, b"another key") is None
    assert verp_delivery("bounces@clinic.example", KEY) is None


@pytest.fixture
def store(tmp_path: Path):
    db = open_engine(f"sqlite:///{tmp_path / 'state.db'}")
    subscribers = Subscribers(db)
    csv = tmp_path / "subs.csv"
    people = sorted({a for _k, addresses in EXPECTED.values() for a in addresses} |
                    {"stays@example.org"})
    csv.write_text("email,name\n" + "".join(f"{p},\n" for p in people))
    report = subscribers.import_csv(csv, NOW - dt.timedelta(days=40))
    assert report.added == len(people)
    ledger = Ledger(db)
    slot = ledger.record_slot(channel="newsletter", when=NOW - dt.timedelta(hours=3),
                              entry="e", item="newsletter-0001", excerpts=("a/b",),
                              issue_number=1, state="assigned", now=NOW - dt.timedelta(hours=3),
                              recipients=people)
    rows = {r.recipient: r for batch in ledger.iter_planned(slot, NOW) for r in batch}
    for address, row in rows.items():
        ledger.set_state(row.id, "sent", now=NOW - dt.timedelta(hours=3),
                         remote=MID if address == "ana.gone@example.org" else f"<{row.id}@x>")
    return db, subscribers, rows


def _receiving(subscribers: Subscribers) -> set[str]:
    return {s.email for s in subscribers.iter_recipients("newsletter")}


def test_hard_bounces_and_complaints_suppress_at_once_and_map_to_their_row(store) -> None:
    db, subscribers, rows = store
    bounces = Bounces(db, KEY)
    for name in sorted(EXPECTED):
        if EXPECTED[name][0] == "soft":
            continue
        outcomes = bounces.record(read_report((DATA / name).read_bytes()), NOW, source=name)
        for outcome in outcomes:
            assert outcome.suppressed
            assert outcome.delivery_id == rows[outcome.email].id
    left = _receiving(subscribers)
    assert left == {"fay.full@example.org", "stays@example.org"}
    statuses = {s.email: s.status for s in subscribers.iter_all()}
    assert statuses["gus.annoyed@yahoo.com"] == "complained"
    assert statuses["ana.gone@example.org"] == "bounced"
    counts = bounces.counts_by_item()
    assert counts == {"newsletter-0001": {"bounced": 5, "complaints": 2}}


def test_soft_bounces_suppress_only_after_the_limit_within_the_window(store) -> None:
    db, subscribers, _rows = store
    bounces = Bounces(db, KEY, BounceRules(soft_limit=3, soft_window=dt.timedelta(days=7)))
    soft = read_report((DATA / "postfix-dsn-delayed-soft.eml").read_bytes())
    assert soft is not None
    # two long ago (outside the window), then three within it
    for days_ago in (30, 20):
        assert not bounces.record(soft, NOW - dt.timedelta(days=days_ago), source="t")[0].suppressed
    assert not bounces.record(soft, NOW - dt.timedelta(days=2), source="t")[0].suppressed
    assert not bounces.record(soft, NOW - dt.timedelta(days=1), source="t")[0].suppressed
    assert "fay.full@example.org" in _receiving(subscribers)
    third = bounces.record(soft, NOW, source="t")[0]
    assert third.suppressed and third.reason == "bounced"
    assert "fay.full@example.org" not in _receiving(subscribers)


def test_a_verp_address_wins_over_the_message_id_and_a_forged_one_is_ignored(store) -> None:
    db, _subscribers, rows = store
    bounces = Bounces(db, KEY)
    target = rows["stays@example.org"]
    real = Report("hard", ("stays@example.org",), message_id=MID,
                  envelope=(verp_address("bounces@harborview-counseling.example", target.id,
                                         KEY),))
    assert bounces.record(real, NOW, source="verp")[0].delivery_id == target.id
    forged = Report("complaint", ("ana.gone@example.org",), message_id=MID,
                    envelope=("bounces+d1.aaaaaaaaaa@harborview-counseling.example",))
    outcome = bounces.record(forged, NOW, source="forged")[0]
    assert outcome.delivery_id == rows["ana.gone@example.org"].id  # by Message-ID instead


def test_an_unsubscribed_address_is_never_brought_back_by_an_import(store, tmp_path) -> None:
    db, subscribers, _rows = store
    Bounces(db, KEY).record(read_report((DATA / "gmail-dsn-hard.eml").read_bytes()), NOW,
                            source="gmail")
    csv = tmp_path / "again.csv"
    csv.write_text("email,name\nben.nobody@gmail.com,Ben\n")
    report = subscribers.import_csv(csv, NOW + dt.timedelta(days=1))
    assert report.kept_unsubscribed == 1
    assert "ben.nobody@gmail.com" not in _receiving(subscribers)


def test_bounces_read_cli_cleans_the_list_from_a_maildir(project: Path) -> None:
    import mailbox

    from support import run_cli

    subs = project / "subs.csv"
    subs.write_text("email,name\nben.nobody@gmail.com,Ben\ngus.annoyed@yahoo.com,Gus\n"
                    "stays@example.org,Stay\n")
    assert run_cli("subscribers", "import", "subs.csv", cwd=project).code == 0
    box = mailbox.Maildir(str(project / "Maildir"), create=True)
    for name in ("gmail-dsn-hard.eml", "yahoo-arf-complaint.eml"):
        box.add((DATA / name).read_bytes())
    box.add(b"From: a@example.org\r\nSubject: thanks\r\n\r\nlovely\r\n")
    result = run_cli("bounces", "read", "Maildir", cwd=project)
    assert result.code == 0, result.err
    assert "hard      ben.nobody@gmail.com" in result.out
    assert "complaint gus.annoyed@yahoo.com" in result.out
    assert "1 not a report" in result.out
    listed = run_cli("subscribers", "list", "--status", "active", cwd=project).out
    assert "stays@example.org" in listed
    assert "ben.nobody@gmail.com" not in listed and "gus.annoyed@yahoo.com" not in listed


@pytest.mark.process
def test_digests_carry_a_verp_sender_and_a_bounce_to_it_names_its_row(tmp_path: Path) -> None:
    import json

    from aiosmtpd.controller import Controller
    from support import free_port, make_project, run_cli

    class Sink:
        def __init__(self) -> None:
            self.envelopes: dict[str, str] = {}

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            for rcpt in envelope.rcpt_tos:
                self.envelopes[rcpt.lower()] = envelope.mail_from
            return "250 2.0.0 Ok"

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {"TRUSTPUBLISH_NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    try:
        make_project(tmp_path, """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago, IL"}
channels:
  newsletter: {type: email, from: "Clinic <news@clinic.example>", excerpts_per_issue: 2}
timetable:
  - {channel: newsletter, cron: "0 9 * * TUE"}
bounces: {return_path: bounces@clinic.example}
""", posts=2)
        (tmp_path / "subs.csv").write_text("email\n" + "".join(f"p{i}@example.org\n"
                                                               for i in range(40)))
        assert run_cli("subscribers", "import", "subs.csv", cwd=tmp_path).code == 0
        result = run_cli("--now", "2026-12-01T09:02", "run", "--once", cwd=tmp_path, env=env,
                         process=True)  # 40 recipients over several connections: it forks
        assert result.code == 0, result.out + result.err
    finally:
        controller.stop()
    history = json.loads(run_cli("--json", "history", "--limit", "100", cwd=tmp_path).out)
    rows = {h["recipient"]: h["id"] for h in history}
    assert len(sink.envelopes) == 40
    for address, sender in sink.envelopes.items():
        assert sender.startswith(f"bounces+d{rows[address]}.") and sender.endswith(
            "@clinic.example")
    # a bounce that names neither the Message-ID nor the recipient's last delivery reliably:
    # only its VERP address says which row it is about
    target = "p7@example.org"
    dsn = (DATA / "postfix-dsn-hard.eml").read_bytes()
    dsn = dsn.replace(b"bounces+d42.k7n3p2x9qa@harborview-counseling.example",
                      sink.envelopes[target].encode()).replace(b"ana.gone@example.org",
                                                               target.encode())
    (tmp_path / "dsn.eml").write_bytes(dsn)
    read = run_cli("--json", "bounces", "read", "dsn.eml", cwd=tmp_path)
    assert read.code == 0, read.err
    [outcome] = json.loads(read.out)["outcomes"]
    assert outcome["delivery"] == rows[target] and outcome["suppressed"]
    status = json.loads(run_cli("--json", "status", cwd=tmp_path).out)
    assert status["bounces"] == {"newsletter-0001": {"bounced": 1, "complaints": 0}}
    shown = run_cli("history", cwd=tmp_path).out + run_cli("status", cwd=tmp_path).out
    assert shown.count("Bounces: newsletter-0001: 1 bounced, 0 complaints") == 2
