"""`trustpublish subscribers import|list|remove|export` against a real SQLite state file."""

from __future__ import annotations

import csv
import io
import json

from support import make_project, tp

SCHEDULE = """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago,
       postal_address: "1 Main St, Chicago, IL"}
channels:
  newsletter: {type: email, from: "Clinic <news@clinic.example>"}
timetable:
  - {channel: newsletter, cron: "0 9 * * TUE"}
"""


def _list(root, *args):
    return json.loads(tp(root, "--json", "subscribers", "list", *args).stdout)


def test_bad_rows_are_each_reported_by_line_and_the_rest_imported(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    (tmp_path / "subs.csv").write_text(
        "email,name,status\n"
        "ann@example.org,Ann,active\n"         # 2
        "not-an-address,Nobody,active\n"       # 3 bad
        ",Empty,active\n"                      # 4 bad
        "ANN@Example.org,Ann again,active\n"   # 5 duplicate of 2 (case-insensitive)
        "bo@example.org,Bo,paused\n"           # 6 bad status
        "cy@example.org,Cy,\n"                 # 7
        "dee@exa mple.org,Dee,active\n")       # 8 bad
    result = tp(tmp_path, "subscribers", "import", "subs.csv")
    assert result.returncode == 4
    for line in (3, 4, 5, 6, 8):
        assert f"subs.csv:{line}:" in result.stderr, result.stderr
    assert "subs.csv:2:" not in result.stderr and "subs.csv:7:" not in result.stderr
    assert "duplicate of line 2" in result.stderr
    assert "2 added, 0 updated, 0 kept unsubscribed, 5 bad" in result.stdout
    assert "Traceback" not in result.stderr
    assert [(r["email"], r["name"]) for r in _list(tmp_path)] == [
        ("ann@example.org", "Ann"), ("cy@example.org", "Cy")]


def test_unsubscribed_and_removed_addresses_are_never_reactivated(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    (tmp_path / "a.csv").write_text("email,name,status\nann@example.org,Ann,active\n"
                                    "bo@example.org,Bo,unsubscribed\ncy@example.org,Cy,active\n")
    assert tp(tmp_path, "subscribers", "import", "a.csv").returncode == 0
    # staff honour a mailto unsubscribe; dee was never a subscriber but asked not to be mailed
    assert tp(tmp_path, "subscribers", "remove", "CY@example.org").returncode == 0
    assert tp(tmp_path, "subscribers", "remove", "dee@example.org").returncode == 0
    (tmp_path / "b.csv").write_text("email,name,status\nann@example.org,Ann,active\n"
                                    "bo@example.org,Bo,active\ncy@example.org,Cy,active\n"
                                    "dee@example.org,Dee,active\neve@example.org,Eve,active\n")
    result = tp(tmp_path, "--json", "subscribers", "import", "b.csv")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"added": 2, "updated": 3, "kept_unsubscribed": 3, "bad": []}
    status = {r["email"]: r["status"] for r in _list(tmp_path)}
    assert status == {"ann@example.org": "active", "bo@example.org": "unsubscribed",
                      "cy@example.org": "unsubscribed", "dee@example.org": "unsubscribed",
                      "eve@example.org": "active"}
    assert [r["email"] for r in _list(tmp_path, "--status", "active")] == [
        "ann@example.org", "eve@example.org"]


def test_export_writes_the_import_format_and_round_trips(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    (tmp_path / "a.csv").write_text(
        "email,name,channels,consent_source,consent_at\n"
        'ann@example.org,"Ann, RN",newsletter,clinic front desk,2026-01-05\n'
        "bo@example.org,Bo,,,\n")
    assert tp(tmp_path, "subscribers", "import", "a.csv").returncode == 0
    tp(tmp_path, "subscribers", "remove", "bo@example.org", "--reason", "bounced")
    out = tp(tmp_path, "subscribers", "export").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0] == {"email": "ann@example.org", "name": "Ann, RN", "status": "active",
                       "channels": "newsletter", "consent_source": "clinic front desk",
                       "consent_at": "2026-01-05", "consent_wording": "", "confirmed_at": ""}
    assert rows[1]["status"] == "bounced" and rows[1]["consent_source"] == "a.csv"
    assert tp(tmp_path, "subscribers", "export", "out.csv").returncode == 0
    other = tmp_path / "other"
    make_project(other, SCHEDULE, posts=1)
    (other / "out.csv").write_bytes((tmp_path / "out.csv").read_bytes())
    assert tp(other, "subscribers", "import", "out.csv").returncode == 0
    assert _list(other) == _list(tmp_path)


def test_remove_rejects_a_non_address_in_one_line(tmp_path):
    make_project(tmp_path, SCHEDULE, posts=1)
    result = tp(tmp_path, "subscribers", "remove", "nobody")
    assert result.returncode == 1 and "not an email address" in result.stderr
    assert "Traceback" not in result.stderr
