"""Files on disk and size limits: private state, readable output, long posts in linear time."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from hostile_helpers import Cli, assert_clean
from support import BODY, make_project

from trustpublish.redact import redact

SCHEDULE = """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: UTC,
       postal_address: "1 Main St"}
channels:
  social: {type: outbox}
timetable:
  - {channel: social, cron: "0 9 * * *"}
"""


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_is_private_and_dist_is_readable(tmp_path: Path, cli: Cli) -> None:
    make_project(tmp_path, SCHEDULE, posts=2)
    (tmp_path / "state").mkdir(mode=0o755)  # as an older version left it
    os.chmod(tmp_path / "state", 0o755)
    old_umask = os.umask(0o077)  # a strict umask must not make dist/ unreadable
    try:
        assert cli(tmp_path, "--now", "2026-03-05T09:05", "run", "--once").code == 0
        assert cli(tmp_path, "build").code == 0
    finally:
        os.umask(old_umask)
    state = tmp_path / "state"
    assert mode(state) == 0o700
    files = [p for p in state.rglob("*") if p.is_file()]
    assert any(p.name == "trustpublish.db" for p in files)
    for path in files:
        assert mode(path) == 0o600, (path, oct(mode(path)))
    for folder in [p for p in state.rglob("*") if p.is_dir()]:
        assert mode(folder) == 0o700, folder
    dist = tmp_path / "dist"
    assert any(dist.rglob("*.xml"))
    for path in dist.rglob("*"):
        assert mode(path) == (0o755 if path.is_dir() else 0o644), (path, oct(mode(path)))
    for path in (tmp_path / "outbox").rglob("*"):  # messages hold addresses: private too
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_sqlite_wal_and_shm_files_are_private(tmp_path: Path) -> None:
    from sqlalchemy import text

    from trustpublish.deliver.db import open_engine

    old_umask = os.umask(0o022)
    try:
        engine = open_engine(f"sqlite:///{tmp_path / 'state' / 'trustpublish.db'}")
        with engine.begin() as conn:  # an open write transaction keeps -wal and -shm
            conn.execute(text("CREATE TABLE t (x)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            names = {p.name: mode(p) for p in (tmp_path / "state").iterdir()}
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert {"trustpublish.db", "trustpublish.db-wal", "trustpublish.db-shm"} <= set(names)
    assert set(names.values()) == {0o600}, names
    assert mode(tmp_path / "state") == 0o700


@pytest.mark.slow
def test_long_post_checks_in_linear_time(tmp_path: Path, cli: Cli) -> None:
    """Reading and splitting grow linearly: 4x the text costs about 4x the time."""
    from trustpublish.content.readers import read_post
    from trustpublish.content.split import SplitOptions, split_post

    def timed(paragraphs: int) -> float:
        text = "---\ntitle: Long\ndate: 2025-01-01\nstatus: approved\n---\n\n" + "".join(
            f"## Part {i}\n\n{BODY}\n\n{BODY}\n\n" for i in range(paragraphs))
        path = tmp_path / f"long-{paragraphs}.md"
        path.write_text(text, encoding="utf-8")
        start = time.process_time()
        split_post(read_post(path), SplitOptions(120, 220))
        return time.process_time() - start

    small, large = timed(250), timed(1000)  # ~0.5 MB and ~2 MB
    assert large < 6 * small + 0.2, (small, large)
    assert large < 10.0, large  # a hang guard; the ratio above is the linear-time check


def test_post_over_the_limit_is_refused_before_parsing(tmp_path: Path, cli: Cli) -> None:
    make_project(tmp_path, SCHEDULE, posts=1)
    big = tmp_path / "posts" / "huge.md"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("---\ntitle: Huge\ndate: 2025-01-01\nstatus: approved\n---\n\n")
        for _ in range(21):
            handle.write("word " * 200_000 + "\n\n")  # ~21 MB
    start = time.monotonic()
    check = cli(tmp_path, "check")
    assert_clean(check)
    assert time.monotonic() - start < 60  # refused before parsing, not after minutes
    assert check.code == 1 and "huge.md:1:" in check.out and "limited to 5 MiB" in check.out


@pytest.mark.parametrize("text,secret,shown", [
    ("GET https://api.example/x?access_token=abc123XYZ&page=2", None,
     "access_token=***&page=2"),
    ("connect postgresql://app:p%40ss@db.example/app failed", None, "app:***@db.example"),
    ("echo: {\"password\": \"pa\\\"ss\\\\wd!\"}", 'pa"ss\\wd!', '{"password": "***"}'),
    ("url: /api/webhooks/1/hookPATHsecret99 refused", "https://discord.example/api/webhooks/1/"
     "hookPATHsecret99", "url: *** refused"),
    ("quoted pa%22ss%5Cwd%21 here", 'pa"ss\\wd!', "quoted *** here"),
], ids=["query-token", "userinfo", "json-escaped", "webhook-path", "url-encoded"])
def test_redaction_forms(text: str, secret: str | None, shown: str) -> None:
    out = redact(text, [secret] if secret else [])
    assert shown in out, out
    for leaked in ("abc123XYZ", "p%40ss", 'pa\\"ss', "hookPATHsecret99", "pa%22ss"):
        assert leaked not in out


@pytest.mark.parametrize("limit,fits", [(25, False), (300, True)])
def test_budget_check_still_finds_what_cannot_fit(tmp_path: Path, cli: Cli, limit: int,
                                                  fits: bool) -> None:
    """The quick "…" render must not hide an excerpt that no cutting can make fit."""
    make_project(tmp_path, SCHEDULE.replace(
        "social: {type: outbox}",
        f"social: {{type: outbox}}\n  sky: {{type: bluesky, handle: c.bsky.social, "
        f"max_characters: {limit}}}"), posts=1)
    check = cli(tmp_path, "check")
    assert_clean(check)
    assert check.code == (0 if fits else 1), check.text
    assert ("Too long" in check.out) is not fits, check.text
    if not fits:
        assert "for channel sky (limit 25) even after cutting" in check.out
