"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SAMPLE

from trustpublish.plan import schema

# Commands run inside this process (tests/support/cli.py) must not fork a copy of
# pytest: schedule.yaml is checked here. The forked check is tested in a fresh process
# (tests/test_schema_check_process.py).
schema.FORK = False


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the sample project in a temporary folder."""
    target = tmp_path / "project"
    target.mkdir()
    shutil.copy(SAMPLE / "schedule.yaml", target / "schedule.yaml")
    shutil.copytree(SAMPLE / "posts", target / "posts")
    shutil.copytree(SAMPLE / "templates", target / "templates")
    return target


CHROMIUM = "/usr/bin/chromium"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        _unavailable("chromium is not installed (Debian package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def _process_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tell the CLI runner whether this test is marked ``process`` (it warns if not)."""
    from support import cli

    cli.PROCESS_MARKED = request.node.get_closest_marker("process") is not None
    yield
    cli.PROCESS_MARKED = True
