"""Shared test helpers: one import path for every test file.

``from support import run_cli, tp, free_port, make_project, SAMPLE`` — the CLI
runners, a free loopback port, and a small project folder on disk.
"""

from __future__ import annotations

from cli_helpers import ROOT, SAMPLE, SAMPLE_POST, SEED_TXT, Run, run_cli
from engine_helpers import BODY, POST, free_port, make_project, tp

__all__ = ["ROOT", "SAMPLE", "SAMPLE_POST", "SEED_TXT", "Run", "run_cli", "BODY", "POST",
           "free_port", "make_project", "tp"]
