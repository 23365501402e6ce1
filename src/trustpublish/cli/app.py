"""Per-invocation state shared by commands: global options, the project, output."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from ..workspace.project import Project

__all__ = ["App"]


@dataclass
class App:
    """Global options and lazily built helpers. The only place the CLI reads the clock."""

    config_path: str | None = None
    dry_run: bool = False
    as_json: bool = False
    now_text: str | None = None
    verbosity: int = 0

    @cached_property
    def project(self) -> "Project":
        from ..env import load_dotenv_for
        from ..workspace.project import Project, find_config

        path = Path(self.config_path) if self.config_path else find_config()
        project = Project.load(path)
        load_dotenv_for(project.root)
        click.get_current_context().call_on_close(project.close)
        return project

    def now(self) -> dt.datetime:
        """The current time (UTC, aware), or ``--now`` when given."""
        if self.now_text:
            from ..errors import TrustpublishError

            try:
                value = dt.datetime.fromisoformat(self.now_text.replace("Z", "+00:00"))
            except ValueError:
                raise TrustpublishError(f"--now {self.now_text!r} is not an ISO date-time",
                                        hint="write it like 2026-12-01T09:00-06:00") from None
            if value.tzinfo is None:
                value = value.replace(tzinfo=self.project.config.zone)
            return value.astimezone(dt.timezone.utc)
        return dt.datetime.now(dt.timezone.utc)

    @cached_property
    def console(self) -> "Console":
        from rich.console import Console

        return Console(quiet=self.verbosity < 0, highlight=False)

    @cached_property
    def err(self) -> "Console":
        from rich.console import Console

        return Console(stderr=True, highlight=False)

    def print_json(self, data: Any) -> None:
        """Write ``data`` as JSON to stdout (dates as ISO 8601)."""
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=_json_default)
        sys.stdout.write("\n")

    def info(self, message: str) -> None:
        if self.verbosity >= 0 and not self.as_json:
            self.console.print(message)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
