"""Paths to the sample project and a CLI runner on a real process (shared by test files)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "src" / "trustpublish" / "sample"
SAMPLE_POST = SAMPLE / "posts" / "the-importance-of-building-trust-in-therapy-relationships.md"
SEED_TXT = Path(__file__).parent / "data" / "seed.txt"


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
    """Run ``python -m trustpublish ARGS`` in ``cwd`` as a user would (a real process)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
    full_env.update({"COLUMNS": "200", "NO_COLOR": "1"})
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "trustpublish", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr)
