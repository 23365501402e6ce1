"""Shared test helpers: one import path for every test file.

``from support import run_cli, tp, free_port, make_project, SAMPLE`` covers most tests:

* :mod:`support.cli`: ``run_cli``/``tp``, one CLI runner with two modes (in this process
  by default, ``process=True`` for a real ``python -m trustpublish``).
* :mod:`support.net`: ``free_port``, a self-signed certificate, ``need(tool)``.
* :mod:`support.projects`: the sample project's paths, ``make_project``, ``copy_sample``.
* :mod:`support.smtp`: a scripted aiosmtpd server (TLS, AUTH, chosen replies).
* :mod:`support.feeds`, :mod:`support.digest`, :mod:`support.caniemail`: the posts, clocks
  and checks of the feeds and email digest tests.
"""

from __future__ import annotations

from .cli import Run, cli_env, reset_process_state, run_cli, tp
from .net import free_port, make_cert, need
from .projects import (BODY, DAILY_OUTBOX, POST, ROOT, SAMPLE, SAMPLE_POST, SEED_TXT, SITE, copy_sample,
                       make_project)

__all__ = ["BODY", "DAILY_OUTBOX", "POST", "ROOT", "Run", "SAMPLE", "SAMPLE_POST", "SEED_TXT", "SITE", "cli_env",
           "copy_sample", "free_port", "make_cert", "make_project", "need", "reset_process_state",
           "run_cli", "tp"]
