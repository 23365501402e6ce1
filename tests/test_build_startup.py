"""Start-up of a build: what a build with nothing changed loads, and the checks it may skip.

A build whose posts all come from the content cache needs the configuration, the cache
and the output records, not the Markdown parser, the privacy detectors, the state
database driver or the scheduler. These tests look at the modules a real
``python -m trustpublish build`` process imports (``-X importtime`` lists them all).
schedule.yaml's checks that depend on its text alone are remembered by hash in
``state/cache/config-ok.json``; an edited file is checked again.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import SAMPLE, cli_env, run_cli
from trustpublish.content.readers import iter_post_files
from trustpublish.errors import ConfigError
from trustpublish.workspace.project import Project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from bench_posts import edit_post, write_posts  # noqa: E402

NOW = "2026-03-01T00:00"
NOW_DT = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.timezone.utc)  # 00:00 in America/Chicago
#: never needed by a build whose inputs are unchanged
HEAVY = ("sqlalchemy", "jsonschema", "apscheduler", "phonenumbers", "usaddress",
         "gender_guesser", "markdown_it_pyrs", "premailer", "lxml", "cssutils", "requests",
         "jinja2", "nh3", "psycopg")


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "schedule.yaml").write_text((SAMPLE / "schedule.yaml").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    write_posts(root / "posts", 6)
    return root


def _imports(root: Path, *args: str, full: bool = False) -> set[str]:
    """Top-level packages (``full``: modules) a real ``trustpublish`` process imported."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "trustpublish", *args],
                         cwd=root, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            names.add(name if full else name.split(".")[0])
    return names


@pytest.mark.process
def test_a_build_with_nothing_changed_loads_no_heavy_module(tmp_path: Path) -> None:
    root = _project(tmp_path / "site")
    cold = _imports(root, "--now", NOW, "build")
    # the cold build needs them ("regex": the privacy guard's name finder; the guard loads
    # phonenumbers only for a text with digits enough for a phone number)
    assert {"markdown_it_pyrs", "regex", "jsonschema"} <= cold
    same = _imports(root, "--now", NOW, "build")
    assert sorted(set(HEAVY) & same) == []


@pytest.mark.process
def test_a_one_post_edit_loads_no_channel_adapter(tmp_path: Path) -> None:
    from trustpublish.channels.registry import SHIPPED

    root = _project(tmp_path / "site")
    assert run_cli("--now", NOW, "build", cwd=root, process=True).code == 0
    edit_post(root / "posts", 2, edit=1)
    names = _imports(root, "--now", NOW, "build", full=True)
    assert "trustpublish.content.privacy.scan" in names  # the edited post was read again
    adapters = {target.partition(":")[0] for target, _ in SHIPPED.values()}
    # a shipped channel's kind is known without its adapter; one post is parsed here,
    # with no worker processes; the plugins' entry points are never listed
    unneeded = adapters | {"smtplib", "importlib.metadata", "multiprocessing",
                           "trustpublish.channels.base", "trustpublish.render.social"}
    assert sorted(names & unneeded) == []


@pytest.mark.process
def test_help_loads_no_project_module(tmp_path: Path) -> None:
    names = _imports(tmp_path, "--help")
    assert sorted(set(HEAVY) & names) == []


def test_a_remembered_config_that_is_edited_is_checked_again(tmp_path: Path) -> None:
    root = _project(tmp_path / "site")
    assert run_cli("--now", NOW, "build", cwd=root).code == 0
    memo = root / "state" / "cache" / "config-ok.json"
    assert memo.is_file() and memo.stat().st_mode & 0o077 == 0
    Project.load(root / "schedule.yaml")  # remembered: loads
    schedule = root / "schedule.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace(
        'cron: "0 9 * * TUE"', 'cron: "0 9 * * XYZ"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Project.load(schedule)
    assert caught.value.key_path == "timetable[0].cron"
    run = run_cli("--now", NOW, "build", cwd=root)
    assert run.code != 0 and "schedule.yaml:" in run.err and "timetable[0].cron" in run.err


def test_a_remembered_config_still_checks_its_folders(tmp_path: Path) -> None:
    root = _project(tmp_path / "site")
    schedule = root / "schedule.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8") + "\npaths: {dist: out}\n",
                        encoding="utf-8")
    assert run_cli("--now", NOW, "build", cwd=root).code == 0
    assert (root / "state" / "cache" / "config-ok.json").is_file()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.rmtree(root / "out")
    os.symlink(outside, root / "out")  # same text, but the folder now leaves the project
    with pytest.raises(ConfigError) as caught:
        Project.load(schedule)
    assert caught.value.key_path == "paths.dist"


def test_no_state_folder_is_created_to_remember_the_config(tmp_path: Path) -> None:
    root = _project(tmp_path / "site")
    Project.load(root / "schedule.yaml")
    assert not (root / "state").exists()


def test_post_files_are_listed_in_path_order_without_hidden_ones(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    for rel in ("b/c.md", "b-c/d.md", "a.md", "a.b.md", "y.MD", "w.markdown", "k/l/m.html",
                "q.txt", "b/.h/x.md", "_drafts/x.md", ".hidden.md", "README.md",
                "sub/readme.txt", "x.", "notes.rst"):
        (posts / rel).parent.mkdir(parents=True, exist_ok=True)
        (posts / rel).write_text("x", encoding="utf-8")
    os.symlink(posts / "b", posts / "linked")  # a link to a folder: not followed
    os.symlink(posts / "a.md", posts / "alias.md")  # a link to a file: listed
    os.symlink(posts / "missing.md", posts / "broken.md")  # a broken link: not a file
    os.mkfifo(posts / "pipe.md")
    listed = [str(p.relative_to(posts)) for p in iter_post_files(posts)]
    # sorted by path parts ("b/c.md" before "b-c/d.md"), as pathlib sorts paths
    assert listed == ["a.b.md", "a.md", "alias.md", "b/c.md", "b-c/d.md", "k/l/m.html",
                      "q.txt", "w.markdown", "y.MD"]
    assert list(iter_post_files(tmp_path / "none")) == []


# -- the plan the previews share, remembered between builds ------------------------------

def _fresh_plan(root: Path, days: int) -> list[object]:
    from trustpublish.deliver.engine import DeliveryEngine, open_state

    project = Project.load(root / "schedule.yaml")
    end = NOW_DT + dt.timedelta(days=days)
    return DeliveryEngine(project, open_state(project)).plan(NOW_DT, end, NOW_DT)


def _no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustpublish.deliver import engine

    def refuse(project: object) -> None:
        raise AssertionError("the state database was opened")

    monkeypatch.setattr(engine, "open_state", refuse)


@pytest.mark.process
def test_a_text_edit_reuses_the_plan_without_opening_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trustpublish.actions.build import build_all

    root = _project(tmp_path / "site")
    # `plan` creates the database; then a cold build in a real process, which leaves the
    # database as the process leaves it at exit (SQLite writes its log back when the
    # last connection closes)
    assert run_cli("--now", NOW, "plan", cwd=root, process=True).code == 0
    assert (root / "state" / "trustpublish.db").is_file()
    assert run_cli("--now", NOW, "build", cwd=root, process=True).code == 0
    edit_post(root / "posts", 1, edit=1)  # the text changes; excerpt ids and dates do not
    with monkeypatch.context() as patch:
        _no_database(patch)
        project = Project.load(root / "schedule.yaml")
        written = build_all(project, NOW_DT)  # the whole build, without the database
        project.close()
    assert written["email"] and written["preview"]
    remembered = {key[2]: plan for key, plan in project.memo.items() if key[0] == "build-plan"}
    assert remembered
    for days, planned in remembered.items():
        fresh = _fresh_plan(root, days)
        assert planned == fresh and planned
        assert [repr(p) for p in planned] == [repr(p) for p in fresh]  # time zones too


@pytest.mark.process
def test_a_build_before_any_run_plans_without_creating_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trustpublish.actions.planning import build_plan
    from trustpublish.render.preview import PREVIEW_DAYS

    root = _project(tmp_path / "site")
    assert run_cli("--now", NOW, "build", cwd=root, process=True).code == 0
    assert (root / "dist" / "preview" / "index.html").is_file()
    assert not (root / "state" / "trustpublish.db").exists()
    with monkeypatch.context() as patch:
        _no_database(patch)
        planned = build_plan(Project.load(root / "schedule.yaml"), NOW_DT, PREVIEW_DAYS)
    assert planned and not (root / "state" / "trustpublish.db").exists()
    # the same plan as the engine's with a new, empty database
    fresh = _fresh_plan(root, PREVIEW_DAYS)
    assert planned == fresh and [repr(p) for p in planned] == [repr(p) for p in fresh]


@pytest.mark.process
def test_a_changed_ledger_or_queue_plans_again(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from trustpublish.actions.planning import build_plan
    from trustpublish.render.preview import PREVIEW_DAYS

    root = _project(tmp_path / "site")
    assert run_cli("--now", NOW, "build", cwd=root, process=True).code == 0
    with sqlite3.connect(root / "state" / "trustpublish.db") as db:  # a write: new stamp
        db.execute("CREATE TABLE touched (x)")
    with monkeypatch.context() as patch:
        _no_database(patch)
        with pytest.raises(AssertionError, match="database was opened"):
            build_plan(Project.load(root / "schedule.yaml"), NOW_DT, PREVIEW_DAYS)
    assert run_cli("--now", NOW, "build", cwd=root, process=True).code == 0  # remembered again

    def to_draft(number: int) -> None:
        post = root / "posts" / f"post-{number:05d}.md"
        post.write_text(post.read_text(encoding="utf-8").replace(
            "status: approved", "status: draft"), encoding="utf-8")

    # The plan of these few weeks takes excerpts of the oldest post only: the planner
    # read the queue no further, so a later post leaving it changes nothing ...
    to_draft(5)  # the newest
    with monkeypatch.context() as patch:
        _no_database(patch)
        kept = build_plan(Project.load(root / "schedule.yaml"), NOW_DT, PREVIEW_DAYS)
    assert kept == _fresh_plan(root, PREVIEW_DAYS)
    # ... while the post at the head of the queue leaving it does
    to_draft(0)
    with monkeypatch.context() as patch:
        _no_database(patch)
        with pytest.raises(AssertionError, match="database was opened"):
            build_plan(Project.load(root / "schedule.yaml"), NOW_DT, PREVIEW_DAYS)
    assert build_plan(Project.load(root / "schedule.yaml"), NOW_DT, PREVIEW_DAYS) \
        == _fresh_plan(root, PREVIEW_DAYS)
