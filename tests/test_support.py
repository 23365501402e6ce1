"""The test runner itself: an in-process call gives what a real process gives.

Most CLI tests run in-process (``support.run_cli``); these tests hold that mode to the
behaviour of ``python -m trustpublish``: same exit code, same output, same environment,
and nothing left behind in this process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from support import DAILY_OUTBOX, make_project, reset_process_state, run_cli

SCHEDULE = DAILY_OUTBOX

CALLS = [
    ("check",),
    ("--json", "check"),
    ("--now", "2026-11-27T10:00", "--json", "plan", "--days", "7"),
    ("--now", "2026-11-27T10:00", "plan", "--days", "7"),  # a rich table, 200 columns
    ("split", "the-importance-of-building-trust-in-therapy-relationships"),
    ("split", "no-such-post"),  # a click usage error: exit 1, "Error: ..." on stderr
    ("--now", "yesterday", "plan"),  # a TrustpublishError: "Kind: message" + hint, exit 1
    ("nonsense-command",),  # exit 2
    ("--version",),
]


@pytest.mark.process
@pytest.mark.parametrize("args", CALLS, ids=lambda a: " ".join(a))
def test_in_process_and_process_runs_agree(project: Path, args: tuple[str, ...]):
    inside = run_cli(*args, cwd=project)
    outside = run_cli(*args, cwd=project, process=True)
    assert inside.in_process and not outside.in_process
    assert (inside.code, inside.out, inside.err) == (outside.code, outside.out, outside.err)


@pytest.mark.process
def test_a_missing_config_is_exit_3_either_way(tmp_path: Path):
    inside, outside = (run_cli("plan", cwd=tmp_path, process=p) for p in (False, True))
    assert inside.code == outside.code == 3
    assert inside.err == outside.err and "schedule.yaml: file not found" in inside.err


def test_cwd_environment_and_streams_are_restored(tmp_path: Path, monkeypatch):
    make_project(tmp_path, SCHEDULE, posts=1)
    dotenv_db = tmp_path / "from-dotenv.db"
    (tmp_path / ".env").write_text(f"TRUSTPUBLISH_STATE_URL=sqlite:///{dotenv_db}\n")
    # the caller's TRUSTPUBLISH_* variables are not passed on (else .env could not set it)
    monkeypatch.setenv("TRUSTPUBLISH_STATE_URL", "sqlite:////nonexistent/dir/never.db")
    before = (os.getcwd(), dict(os.environ), sys.stdout, sys.stderr)
    result = run_cli("--now", "2026-03-05T09:05", "run", "--once", cwd=tmp_path)
    assert result.code == 0, result.err
    assert dotenv_db.is_file() and not (tmp_path / "state" / "trustpublish.db").exists()
    assert (os.getcwd(), dict(os.environ), sys.stdout, sys.stderr) == before
    assert os.environ["TRUSTPUBLISH_STATE_URL"] == "sqlite:////nonexistent/dir/never.db"


def test_exit_codes_of_the_documented_error_kinds(tmp_path: Path):
    make_project(tmp_path, SCHEDULE.replace("America/Chicago", "Mars/Base"), posts=1)
    assert run_cli("plan", cwd=tmp_path).code == 3  # configuration error
    make_project(tmp_path, SCHEDULE, posts=1)
    missing = run_cli("resolve", "999", "--sent", cwd=tmp_path)
    assert missing.code == 6 and "no delivery with id 999" in missing.err  # state error


def test_caches_of_the_package_are_cleared_before_each_call(project: Path):
    from trustpublish.render.templating import environment

    environment(project / "templates")
    assert environment.cache_info().currsize >= 1
    assert reset_process_state() >= 5  # every functools cache in loaded trustpublish modules
    assert environment.cache_info().currsize == 0


def test_blocking_commands_are_refused_in_process(tmp_path: Path):
    for args in (("serve",), ("run",), ("--now", "2026-03-05T09:00", "run")):
        with pytest.raises(ValueError, match="process=True"):
            run_cli(*args, cwd=tmp_path)


def test_results_read_like_completed_processes(project: Path):
    result = run_cli("--json", "check", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (result.code, result.out,
                                                                 result.err)
    assert json.loads(result.stdout)["ok"] is True
