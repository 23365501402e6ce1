"""The same delivery behaviour on every state database: SQLite files and a real PostgreSQL.

PostgreSQL comes from ``scripts/ensure-postgres.sh`` (run by ``make test``) or from
``TRUSTPUBLISH_TEST_POSTGRES_URL``. Each test gets a database of its own, dropped after.
Without a server the PostgreSQL cases skip locally and fail in CI.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import make_project, tp

ADMIN_URL = os.environ.get(
    "TRUSTPUBLISH_TEST_POSTGRES_URL",
    "postgresql+psycopg://trustpublish:trustpublish@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

SCHEDULE = """\
site: {title: Clinic, url: "https://clinic.example/blog", timezone: America/Chicago}
channels:
  social: {type: outbox}
  newsletter: {type: email, from: "Clinic <news@clinic.example>", excerpts_per_issue: 2}
timetable:
  - {channel: social, cron: "0 9 * * *"}
  - {channel: newsletter, cron: "0 9 * * TUE"}
run: {grace: 2h}
"""


def _postgres() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        message = f"no PostgreSQL server at {ADMIN_URL.split('@')[-1]} ({type(exc).__name__})"
        if IN_CI:
            pytest.fail(f"PostgreSQL tests must run in CI: {message}")
        pytest.skip(message)
    name = f"tp_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {"TRUSTPUBLISH_STATE_URL": f"sqlite:///{tmp_path / 'elsewhere' / 'state.db'}"}
        return
    for url in _postgres():
        yield {"TRUSTPUBLISH_STATE_URL": url}


def _json(result) -> object:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_run_once_sends_each_slot_once(tmp_path: Path, state_env: dict[str, str]):
    make_project(tmp_path, SCHEDULE, posts=2)
    assert tp(tmp_path, "--now", "2026-03-05T09:05", "run", "--once", env=state_env).returncode == 0
    again = tp(tmp_path, "--now", "2026-03-05T09:30", "run", "--once", env=state_env)
    assert "nothing due" in again.stdout
    history = _json(tp(tmp_path, "--json", "history", env=state_env))
    assert [(h["channel"], h["item"], h["state"]) for h in history] == [
        ("social", "post-000/first-part", "sent")]
    assert not (tmp_path / "state" / "trustpublish.db").exists()  # the URL was used, not SQLite


def test_digest_rows_per_subscriber_and_unsubscribes_are_kept(tmp_path: Path,
                                                             state_env: dict[str, str]):
    make_project(tmp_path, SCHEDULE, posts=2)
    rows = "".join(f"P{i}@Example.org,Person {i}\n" for i in range(25))
    (tmp_path / "subs.csv").write_text("email,name\n" + rows)
    (tmp_path / "unsub.csv").write_text("email,status\np4@example.org,unsubscribed\n")
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=state_env).returncode == 0
    assert tp(tmp_path, "subscribers", "import", "unsub.csv", env=state_env).returncode == 0
    assert tp(tmp_path, "subscribers", "import", "subs.csv", env=state_env).returncode == 0
    result = tp(tmp_path, "--now", "2026-12-01T09:02", "run", "--once", env=state_env)
    assert result.returncode == 0, result.stdout + result.stderr
    history = _json(tp(tmp_path, "--json", "history", "--channel", "newsletter", "--limit", "100",
                       env=state_env))
    recipients = sorted(h["recipient"] for h in history)  # type: ignore[index]
    assert len(recipients) == 24 and "p4@example.org" not in recipients
    assert {h["state"] for h in history} == {"sent"}  # type: ignore[union-attr]
    assert len(list((tmp_path / "outbox" / "newsletter").glob("*.eml"))) == 24
