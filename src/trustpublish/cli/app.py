"""Per-invocation state shared by commands: global options, the project, output.

Output is the one place where user data becomes a console line. Every value shown
passes through :func:`plain`: secrets are redacted (:mod:`trustpublish.redact`) and
control characters (escape sequences, NUL, CR...) are made visible as ``\\xNN``, so
a post title cannot restyle the terminal or forge lines. Rich markup is only ever
read from *templates written in this package*: ``app.info("Wrote [bold]{}[/bold]",
path)`` escapes ``path``; a message without values is printed as plain text, so a
heading ``Loss [/b] explained`` or a status ``[/red]`` is shown as written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from ..workspace.project import Project

__all__ = ["App", "plain", "one_line", "cell"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
#: the style tags a plain line may hold (a template with any other ``[`` goes through rich)
_STYLE_TAG = re.compile(r"\[(?:/|/?(?:bold|dim|italic|green|red|yellow|blue|cyan|magenta))\]")


def plain(value: object) -> str:
    """``value`` as safe text: secrets redacted, control characters shown as ``\\xNN``.

    Tabs and line breaks are kept (a multi-line listing stays readable).
    """
    from ..redact import redact

    text = redact(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", text)


def one_line(value: object) -> str:
    """:func:`plain` with line breaks and tabs turned into spaces (error messages)."""
    return " ".join(plain(value).replace("\t", " ").splitlines())


def markup(template: str, *values: object) -> str:
    """Fill a trusted rich-markup ``template``'s ``{}`` with escaped, :func:`plain` values."""
    from rich.markup import escape

    return template.format(*(escape(plain(v)) for v in values))


def cell(value: object) -> Any:
    """A table cell showing ``value`` literally (a rich Text is never read as markup)."""
    from rich.text import Text

    return Text(plain(value))


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
        from ..env import check_environment, load_dotenv_for
        from ..workspace.project import Project, find_config

        path = Path(self.config_path) if self.config_path else find_config()
        project = Project.load(path)
        load_dotenv_for(project.root)
        check_environment()
        from ..actions.state_check import check_state

        list(check_state(project))  # a bad state.url names its line before anything runs
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

        return Console(quiet=self.verbosity < 0, highlight=False, emoji=False)

    @cached_property
    def err(self) -> "Console":
        from rich.console import Console

        return Console(stderr=True, highlight=False, emoji=False)

    def print_json(self, data: Any) -> None:
        """Write ``data`` as JSON to stdout (dates as ISO 8601; every string redacted)."""
        json.dump(_redacted(data), sys.stdout, indent=2, ensure_ascii=False,
                  default=_json_default)
        sys.stdout.write("\n")

    def line(self, template: str, *values: object, soft_wrap: bool = True) -> None:
        """Print one line. With ``values``, ``template`` is trusted markup whose ``{}`` get
        the escaped values; without, ``template`` itself is shown as plain text."""
        text = self._unstyled(template, values) if soft_wrap else None
        if text is not None:
            if self.verbosity >= 0:  # (rich's quiet console prints nothing)
                sys.stdout.write(text + "\n")
        elif values:
            self.console.print(markup(template, *values), soft_wrap=soft_wrap)
        else:
            self.console.print(plain(template), soft_wrap=soft_wrap, markup=False)

    def _unstyled(self, template: str, values: tuple[object, ...]) -> str | None:
        """The line as rich would print it to a file or pipe (no styles, no wrapping), made
        without loading rich; None when rich must print it (a terminal, a console already
        in use, a tab to expand, a ``[`` that is not a plain style tag)."""
        import os

        if ("console" in self.__dict__ or os.environ.get("FORCE_COLOR")
                or os.environ.get("TTY_COMPATIBLE") or sys.stdout.isatty()):
            return None
        if values:
            bare = _STYLE_TAG.sub("", template)
            if "[" in bare or "\\" in template:
                return None
            text = bare.format(*(plain(v) for v in values))
        else:
            text = plain(template)
        return None if "\t" in text else text

    def table(self, table: Any) -> None:
        """Print a rich table (build its cells with :func:`cell`)."""
        self.console.print(table)

    def warn_unreadable_posts(self) -> None:
        """One stderr line per post that cannot be read (file:line: why); the others go on."""
        for error in self.project.errors:
            click.echo(one_line(f"Warning: {error.kind}: {error.message} (this post is "
                                "skipped; the others go on; `trustpublish check` explains)"),
                       err=True)

    def info(self, template: str, *values: object) -> None:
        """Like :meth:`line`, unless ``--quiet`` or ``--json`` (progress and summaries)."""
        if self.verbosity >= 0 and not self.as_json:
            self.line(template, *values)


def _redacted(data: Any) -> Any:
    from ..redact import redact

    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {k: _redacted(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_redacted(v) for v in data]
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
