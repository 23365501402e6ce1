"""The ``trustpublish`` program exits with main()'s status, its outputs complete; after a
command that opened no database it hands what is still alive to ``gc.freeze()`` so the
interpreter's shutdown does not collect it, and after one that did it exits the usual
way, its database file whole (trustpublish.cli.console).

Each test runs a fresh interpreter, as the console script does.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

pytestmark = pytest.mark.process

# atexit handlers run after console() returned control to the interpreter, before its
# last collection passes: what they see is what the shutdown will find
_PROBE = ("import atexit, gc, sys\n"
          "atexit.register(lambda: print('FROZEN', gc.get_freeze_count()))\n"
          "sys.argv[0] = 'trustpublish'\n"
          "from trustpublish.cli import console\nconsole()\n")


def _program(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def _frozen(done: subprocess.CompletedProcess[str]) -> int:
    lines = [line for line in done.stdout.splitlines() if line.startswith("FROZEN ")]
    assert len(lines) == 1, done.stdout
    return int(lines[0].split()[1])


def test_a_build_exits_0_with_its_outputs_and_cache_whole_and_nothing_left_to_collect(
        project: Path) -> None:
    done = _program(project, "--now", "2026-03-01T00:00", "build")
    assert done.returncode == 0, done.stderr
    assert _frozen(done) > 1000  # the index, the templates, the feed documents...
    feed = project / "dist" / "feeds" / "feed.json"
    assert json.loads(feed.read_text(encoding="utf-8"))["items"]
    cache = json.loads(gzip.decompress((project / "state/cache/content.json.gz").read_bytes()))
    assert cache["entries"] and cache["outputs"]


@pytest.mark.parametrize(("args", "code", "said"), [
    (("no-such-command",), 2, "No such command"),
    (("--config", "missing.yaml", "build"), 3, "missing.yaml: file not found"),
])
def test_an_error_keeps_its_exit_code_and_message(project: Path, args: tuple[str, ...],
                                                  code: int, said: str) -> None:
    done = _program(project, *args)
    assert done.returncode == code, done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr
    assert _frozen(done) > 0


def test_python_dash_m_runs_the_same_program(project: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE.replace(
        "from trustpublish.cli import console\nconsole()\n", "import runpy\n"
        "runpy.run_module('trustpublish', run_name='__main__')\n"), "--version"],
        cwd=project, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "trustpublish" in done.stdout and _frozen(done) > 0


def test_a_command_that_used_the_database_leaves_it_whole_in_its_file(project: Path,
                                                                       tmp_path: Path) -> None:
    """Its connections close on the way out, so SQLite folds the write-ahead log into the
    database file: a copy of that one file (a backup made with cp) holds every row."""
    (project / "subs.csv").write_text("email,name\n" + "".join(
        f"person{n}@example.org,P {n}\n" for n in range(50)), encoding="utf-8")
    done = _program(project, "subscribers", "import", "subs.csv")
    assert done.returncode == 0, done.stderr
    assert _frozen(done) == 0  # a database was open: the usual shutdown
    database = project / "state" / "trustpublish.db"
    assert not database.with_name("trustpublish.db-wal").exists()
    copy = tmp_path / "backup.db"
    shutil.copy(database, copy)
    with closing(sqlite3.connect(copy)) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%subscriber%'")]
        assert tables
        assert max(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables) == 50
