"""Hostile subscriber CSV files: bad rows named by line, nothing merged, formulas defused.

Imports run the real CLI; each case checks the exit code, the ``file:line:`` report,
that no traceback is printed and exactly which addresses ended up in the store (so a
row swallowed by an unclosed quote can never slip in under another one's name).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from hostile_helpers import Cli, assert_clean
from support import make_project

SCHEDULE = """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: UTC,
       postal_address: "1 Main St"}
channels:
  newsletter: {type: email, from: "Clinic <news@clinic.example>"}
  members: {type: email, from: "Clinic <news@clinic.example>"}
timetable:
  - {channel: newsletter, cron: "0 9 * * TUE"}
"""
H = "email,name,channels\n"

# (case id, file content, exit code, line reported or None, fragment, addresses stored)
CASES: list[tuple[str, str | bytes, int, int | None, str, set[str]]] = [
    ("quote-closed-lines-later", H + 'a@x.org,"Ana\nb@x.org,Bo\nc@x.org,Cy",\nd@x.org,Di,\n',
     4, 2, "not closed before line 4", {"d@x.org"}),
    ("quote-then-garbage", H + 'a@x.org,"Ana,newsletter\nb@x.org,Bo,\nc@x.org,"Cy"x,\n', 4, 2,
     "nothing was imported", set()),
    ("quote-never-closed", H + 'a@x.org,Ana,\nb@x.org,"Bo,newsletter\nc@x.org,Cy,\n', 4, 3,
     "nothing was imported", set()),
    ("text-after-quote", H + 'b@x.org,Bo,\na@x.org,"Ana"x,\n', 4, 3, "nothing was imported",
     set()),
    ("quote-inside-text", H + 'a@x.org,An"a,\n', 0, None, "1 added", {"a@x.org"}),
    ("nul-in-name", H + "a@x.org,An\x00a,\nb@x.org,Bo,\n", 4, 2, "U+0000", {"b@x.org"}),
    ("escape-in-name", H + 'a@x.org,"\x1b[31mAna",\nb@x.org,Bo,\n', 4, 2, "U+001B", {"b@x.org"}),
    ("cr-in-name", H + 'a@x.org,"An\ra",\nb@x.org,Bo,\n', 4, 2, "U+000D", {"b@x.org"}),
    ("line-separator", H + "a@x.org,An\u2028a,\nb@x.org,Bo,\n", 4, 2, "U+2028", {"b@x.org"}),
    ("bell-in-email", H + "a\x07@x.org,Ana,\nb@x.org,Bo,\n", 4, 2, "U+0007", {"b@x.org"}),
    ("unknown-channel-typo", H + "a@x.org,Ana,newsleter\nb@x.org,Bo,members\n", 4, 2,
     "did you mean 'newsletter'", {"b@x.org"}),
    ("unknown-channel-other", H + "a@x.org,Ana,mastodon\nb@x.org,Bo,\n", 4, 2,
     "not an email channel", {"b@x.org"}),
    ("unknown-channel-second", H + "a@x.org,Ana,newsletter;memebrs\n", 4, 2,
     "did you mean 'members'", set()),
    ("bad-email", H + "not-an-email,Ana,\nb@x.org,Bo,\n", 4, 2, "not an email address",
     {"b@x.org"}),
    ("empty-email", H + ",Ana,\nb@x.org,Bo,\n", 4, 2, "no email address", {"b@x.org"}),
    ("too-many-cells", H + "a@x.org,Ana,newsletter,extra\nb@x.org,Bo,\n", 4, 2,
     "cells but only", {"b@x.org"}),
    ("duplicate", H + "a@x.org,A,\nA@X.org,B,\n", 4, 3, "duplicate of line 2", {"a@x.org"}),
    ("bad-status", "email,status\na@x.org,maybe\nb@x.org,active\n", 4, 2, "status 'maybe'",
     {"b@x.org"}),
    ("bad-consent-date", "email,consent_at\na@x.org,yesterday\nb@x.org,2026-01-31\n", 4, 2,
     "consent_at", {"b@x.org"}),
    ("no-email-column", "name\nAna\n", 4, 1, "no `email` column", set()),
    ("not-utf8", b"email,name\na@x.org,Caf\xe9\n", 4, None, "not UTF-8", set()),
    ("idn-domain", H + "ana@b\u00fccher.example,Ana,\n", 0, None, "1 added",
     {"ana@xn--bcher-kva.example"}),
    ("bom", "\ufeff" + H + "a@x.org,Ana,newsletter\n", 0, None, "1 added", {"a@x.org"}),
    ("formula-name-kept-as-text", H + "a@x.org,=cmd|' /C calc'!A0,\n", 0, None, "1 added",
     {"a@x.org"}),
]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


def stored(cli: Cli, root: Path) -> dict[str, dict[str, object]]:
    result = cli(root, "--json", "subscribers", "list")
    assert result.code == 0, result.text
    return {row["email"]: row for row in json.loads(result.out)}


@pytest.mark.parametrize("content,code,line,fragment,emails", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_hostile_csv_import(tmp_path: Path, cli: Cli, content: str | bytes, code: int,
                            line: int | None, fragment: str, emails: set[str]) -> None:
    make_project(tmp_path, SCHEDULE, posts=1)
    path = tmp_path / "subs.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    result = cli(tmp_path, "subscribers", "import", "subs.csv")
    assert_clean(result)
    assert result.code == code, result.text
    assert fragment in result.text, result.text
    if line is not None:
        reported = [l for l in result.err.splitlines() if f"subs.csv:{line}:" in l]
        assert reported and fragment in result.err, result.text
    assert "\x1b" not in result.text and "\x00" not in result.text
    assert set(stored(cli, tmp_path)) == emails


FORMULAS = ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tx=1",
            "\r=1"]


@pytest.mark.parametrize("name", FORMULAS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_export_neutralises_formula_cells(tmp_path: Path, cli: Cli, name: str) -> None:
    from trustpublish.deliver.db import open_engine, state_url
    from trustpublish.deliver.subscribers import Subscribers

    make_project(tmp_path, SCHEDULE, posts=1)
    store = Subscribers(open_engine(state_url(tmp_path / "state")))
    store.upsert([("a@x.org", name, ("newsletter",), "active")],
                 dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), consent_source=name)
    store.engine.dispose()
    result = cli(tmp_path, "subscribers", "export", "out.csv")
    assert_clean(result)
    assert result.code == 0, result.text
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][1] == "'" + name and rows[1][4] == "'" + name, rows
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), rows
    if name[0] in "=+-@":  # the import format: reading the export gives the name back
        again = cli(tmp_path, "subscribers", "import", "out.csv")
        assert again.code == 0, again.text
        assert stored(cli, tmp_path)["a@x.org"]["name"] == name
