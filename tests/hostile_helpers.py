"""Helpers for the hostile-input suites: the real CLI run in-process (fast enough for
hundreds of cases; the entry point, exit codes and output are the ones a user gets)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from trustpublish.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Cli:
    """``cli(root, *args, env=...)`` runs ``trustpublish ARGS`` in ``root``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self.monkeypatch, self.capsys = monkeypatch, capsys

    def __call__(self, root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
        with self.monkeypatch.context() as patch:
            for name in list(os.environ):
                if name.startswith("TRUSTPUBLISH_"):
                    patch.delenv(name)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            patch.setenv("COLUMNS", "200")
            patch.setenv("NO_COLOR", "1")
            patch.chdir(root)
            self.capsys.readouterr()
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


def assert_clean(result: Result) -> None:
    """No traceback, no internal error."""
    assert "Traceback" not in result.text, result.text
    assert "Internal error" not in result.text, result.text
    assert result.code != 70, result.text
