"""Claims on the real backends (docs/delivery.md, "Claims and recovery"): a batch claim takes
at most its limit, two claimers never get the same row, and a settle by a run that does not
hold the claim changes nothing."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from trustpublish.deliver.db import open_engine
from trustpublish.deliver.ledger import Ledger

NOW = dt.datetime(2026, 3, 5, 15, tzinfo=dt.timezone.utc)
ADMIN_URL = os.environ.get(
    "TRUSTPUBLISH_TEST_POSTGRES_URL",
    "postgresql+psycopg://trustpublish:trustpublish@127.0.0.1:5432/postgres")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path):
    if request.param == "sqlite":
        db = open_engine(f"sqlite:///{tmp_path / 'state.db'}")
        yield Ledger(db)
        db.dispose()
        return
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = f"tp_claims_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests must run in CI: {exc}")
        pytest.skip(f"no PostgreSQL server ({type(exc).__name__})")
    db = open_engine(ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    yield Ledger(db)
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_batch_claims_take_at_most_their_limit_and_never_the_same_row(ledger):
    slot = ledger.record_slot(channel="news", when=NOW, entry="e", item="issue-1", excerpts=(),
                              issue_number=1, state="assigned", now=NOW,
                              recipients=[f"p{i}@example.org" for i in range(1000)])
    # recording the same slot again (another run at the same moment) adds nothing
    assert ledger.record_slot(channel="news", when=NOW, entry="e", item="issue-1", excerpts=(),
                              issue_number=1, state="assigned", now=NOW,
                              recipients=["late@example.org"]) == slot
    a = ledger.claim_batch(slot, NOW, "run-a", limit=100)
    b = ledger.claim_batch(slot, NOW, "run-b", limit=100)
    assert len(a) == len(b) == 100
    assert not {r.id for r in a} & {r.id for r in b}
    assert ledger.counts() == {"sending": 200, "planned": 800}
    assert {r.claimed_by for r in a} == {"run-a"} and all(r.attempts == 1 for r in a)


def test_a_settle_by_a_run_that_does_not_hold_the_claim_changes_nothing(ledger):
    slot = ledger.record_slot(channel="news", when=NOW, entry="e", item="issue-1", excerpts=(),
                              issue_number=1, state="assigned", now=NOW,
                              recipients=["p@example.org"])
    (row,) = ledger.claim_batch(slot, NOW, "run-a", limit=10)
    with ledger.settler(owner="run-b") as settler:
        assert not settler.set_state(row.id, "sent", now=NOW)
    assert not ledger.set_state(row.id, "failed", now=NOW, only_from=["sending"], owner="run-b")
    assert ledger.get(row.id).state == "sending"
    with ledger.settler(owner="run-a") as settler:
        assert settler.set_state(row.id, "sent", now=NOW, remote="250 ok")
    assert ledger.get(row.id).state == "sent" and ledger.get(row.id).claimed_by is None
