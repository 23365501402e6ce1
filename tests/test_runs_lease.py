"""Which runs are alive (docs/delivery.md, "Claims and recovery"): a real SQLite state file
and real processes; recovery must never take a live run's rows."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import insert, update

from trustpublish.deliver import runs as runs_module
from trustpublish.deliver.db import open_engine
from trustpublish.deliver.runs import Run, dead_owners, describe_owner, runs


def test_a_registered_run_is_alive_until_it_ends(tmp_path):
    db = open_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with Run(db) as run:
        assert dead_owners(db, [run.id]) == set()
        assert "last heard" in describe_owner(db, run.id)
    assert dead_owners(db, [run.id]) == {run.id}  # its row is gone
    assert dead_owners(db, [None]) == {None}  # a claim without an owner (older versions)


def test_a_run_whose_process_is_gone_or_silent_is_dead(tmp_path):
    db = open_engine(f"sqlite:///{tmp_path / 'state.db'}")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    now = time.time()
    with db.begin() as conn:
        conn.execute(insert(runs), [
            {"id": "gone", "host": runs_module._HOST, "pid": gone.pid, "started_at": now,
             "heartbeat_at": now},
            {"id": "elsewhere", "host": "another-machine", "pid": 1, "started_at": now,
             "heartbeat_at": now},
            {"id": "silent", "host": "another-machine", "pid": 1, "started_at": now,
             "heartbeat_at": now - runs_module.LEASE - 1},
        ])
    assert dead_owners(db, ["gone", "elsewhere", "silent"]) == {"gone", "silent"}
    with db.begin() as conn:  # a machine that stopped sending heartbeats loses its lease
        conn.execute(update(runs).where(runs.c.id == "elsewhere")
                     .values(heartbeat_at=now - runs_module.LEASE - 1))
    assert "elsewhere" in dead_owners(db, ["elsewhere"])


@pytest.mark.slow
def test_the_heartbeat_keeps_a_long_run_alive(tmp_path, monkeypatch):
    monkeypatch.setattr(runs_module, "HEARTBEAT", 0.2)
    monkeypatch.setattr(runs_module, "LEASE", 1.0)
    db = open_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with Run(db) as run:
        time.sleep(2.0)  # twice the lease: only the heartbeat keeps it alive
        assert dead_owners(db, [run.id]) == set()
