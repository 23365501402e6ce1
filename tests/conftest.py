"""Shared fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli_helpers import SAMPLE


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the sample project in a temporary folder."""
    target = tmp_path / "project"
    target.mkdir()
    shutil.copy(SAMPLE / "schedule.yaml", target / "schedule.yaml")
    shutil.copytree(SAMPLE / "posts", target / "posts")
    shutil.copytree(SAMPLE / "templates", target / "templates")
    return target
