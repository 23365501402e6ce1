"""run --once, plan, history, retry/resolve against a real SQLite ledger and the outbox channel."""

from __future__ import annotations

import json

from support import make_project, tp

SCHEDULE = """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago}
channels:
  social: {type: outbox}
  other: {type: outbox}
timetable:
  - {channel: social, cron: "0 9 * * *"}
  - {channel: other, weekly: ["MON 12:30"]}
run: {grace: 2h}
"""


def _json(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_run_once_sends_due_slot_exactly_once(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=2)
    first = tp(tmp_path, "--now", "2026-03-05T09:05", "run", "--once")
    assert first.returncode == 0, first.stderr
    files = sorted((tmp_path / "outbox" / "social").iterdir())
    assert len(files) == 1 and "post-000" in files[0].name
    again = tp(tmp_path, "--now", "2026-03-05T09:30", "run", "--once")
    assert "nothing due" in again.stdout
    history = _json(tp(tmp_path, "--json", "history"))
    assert [(h["channel"], h["item"], h["state"]) for h in history] == \
        [("social", "post-000/first-part", "sent")]
    assert {"id", "channel", "item", "state", "remote", "error"} <= set(history[0])
    # the next day takes the next excerpt in post order
    tp(tmp_path, "--now", "2026-03-06T09:01", "run", "--once")
    items = [h["item"] for h in _json(tp(tmp_path, "--json", "history"))]
    assert items == ["post-000/second-part", "post-000/first-part"]


def test_slot_beyond_grace_is_missed_not_sent(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    tp(tmp_path, "--now", "2026-03-04T12:00", "run", "--once")  # sets the horizon
    result = tp(tmp_path, "--now", "2026-03-05T11:30", "run", "--once")  # 09:00 + 2h grace passed
    assert "missed social slot" in result.stdout
    assert not (tmp_path / "outbox").exists()
    plan = _json(tp(tmp_path, "--now", "2026-03-05T08:00", "--json", "plan", "--days", "2"))
    assert [p["state"] for p in plan if p["channel"] == "social"] == ["missed", "planned"]
    assert plan[1]["item"] == "post-000/first-part"  # the missed slot did not use up the excerpt


def test_unapproved_posts_are_never_sent_and_publish_after_is_respected(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=3, extra={
        0: "publish_after: 2026-03-07T00:00:00-06:00\n", 1: "channels: [other]\n"})
    (tmp_path / "posts" / "post-002.md").write_text(
        (tmp_path / "posts" / "post-002.md").read_text().replace("status: approved", "status: draft"))
    plan = _json(tp(tmp_path, "--now", "2026-03-05T08:00", "--json", "plan", "--days", "4"))
    social = [(p["when"][:10], p["item"], p["state"]) for p in plan if p["channel"] == "social"]
    assert social == [("2026-03-05", None, "empty"), ("2026-03-06", None, "empty"),
                      ("2026-03-07", "post-000/first-part", "planned"),
                      ("2026-03-08", "post-000/second-part", "planned")]
    assert all("T" in p["when"] and p["when"][-6] in "+-" for p in plan)  # ISO 8601 with offset
    tp(tmp_path, "--now", "2026-03-05T09:00", "run", "--once")
    assert not (tmp_path / "outbox").exists()


def test_dry_run_prints_and_writes_nothing(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    result = tp(tmp_path, "--now", "2026-03-05T09:05", "--dry-run", "run", "--once")
    assert result.returncode == 0
    assert "would send post-000/first-part to social" in result.stdout
    assert not (tmp_path / "outbox").exists()
    assert _json(tp(tmp_path, "--json", "history")) == []


def test_interrupted_idempotent_delivery_is_sent_again_and_resolve_and_retry(tmp_path):
    """A row left in `sending` on an idempotent channel goes out again; retry/resolve rules."""
    from sqlalchemy import update

    from trustpublish.deliver.db import open_engine
    from trustpublish.deliver.ledger import deliveries

    make_project(tmp_path, SCHEDULE, posts=1)
    tp(tmp_path, "--now", "2026-03-05T09:05", "run", "--once")
    db = open_engine(f"sqlite:///{tmp_path / 'state' / 'trustpublish.db'}")
    with db.begin() as conn:  # what a crash between claim and settle leaves behind
        conn.execute(update(deliveries).values(state="sending"))
    (tmp_path / "outbox" / "social").joinpath(
        "social_post-000_first-part.json").unlink()
    tp(tmp_path, "--now", "2026-03-05T09:06", "run", "--once")
    assert len(list((tmp_path / "outbox" / "social").iterdir())) == 1
    row = _json(tp(tmp_path, "--json", "history"))[0]
    assert row["state"] == "sent"
    refused = tp(tmp_path, "retry", str(row["id"]))
    assert refused.returncode == 1 and "only failed ones are retried" in refused.stderr
    with db.begin() as conn:
        conn.execute(update(deliveries).values(state="unknown"))
    assert "resolve" in tp(tmp_path, "retry", str(row["id"])).stderr
    assert tp(tmp_path, "resolve", str(row["id"]), "--not-sent").returncode == 0
    assert _json(tp(tmp_path, "--json", "history"))[0]["state"] == "planned"
    tp(tmp_path, "--now", "2026-03-05T09:07", "run", "--once")
    assert _json(tp(tmp_path, "--json", "history"))[0]["state"] == "sent"
    missing = tp(tmp_path, "resolve", "999", "--sent")
    assert missing.returncode == 6 and "no delivery with id 999" in missing.stderr


def test_subscribers_import_keeps_unsubscribes(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    (tmp_path / "subs.csv").write_text("email,name,status\nA@Example.com,Ann,active\nb@example.com,Bo,unsubscribed\n")
    assert tp(tmp_path, "subscribers", "import", "subs.csv").returncode == 0
    (tmp_path / "subs.csv").write_text("email,name\nb@example.com,Bo\nc@example.com,Cy\n")
    out = tp(tmp_path, "subscribers", "import", "subs.csv").stdout
    assert "1 added" in out and "1 kept unsubscribed" in out
    rows = _json(tp(tmp_path, "--json", "subscribers", "list"))
    assert [(r["email"], r["status"]) for r in rows] == [
        ("a@example.com", "active"), ("b@example.com", "unsubscribed"), ("c@example.com", "active")]
    (tmp_path / "bad.csv").write_text("email\nnot-an-address\n")
    bad = tp(tmp_path, "subscribers", "import", "bad.csv")
    assert bad.returncode == 4 and "bad.csv:2:" in bad.stderr
