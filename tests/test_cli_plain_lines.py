"""A line printed to a file or pipe without rich is exactly what rich would print there.

``App.line`` skips loading rich when its output is not a terminal and the line holds only
plain style tags; these cases compare that output with rich's own for the same line,
including the cases that must fall back to rich (a ``[`` that is not a style tag, a tab).
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import pytest

from trustpublish.cli.app import App

CASES = [
    ("[green]wrote[/green] {}  ({})", ("dist/feeds/rss.xml", "feeds")),
    ("{} already up to date{}", ("68 files", " (-v lists them)")),
    ("[bold]{}[/bold] [y/N] {}", ("a", "b")),            # [y/N] is not a style tag
    ("[red]{}[/]", ("[bold]not markup[/bold] \\[x]",)),   # values are never markup
    ("plain [] text {}", ("x",)),
    ("tab\there {}", ("v",)),                             # rich expands tabs
    ("no values [green]literal[/green] \\[x]", ()),
    ("{}", ("line1\nline2 \x1b[31m token=abc\u2028",)),
    ("{} {}", ("中文\t宽", "e\u0301")),
    ("[dim]{}[/dim]: [yellow]{}[/yellow]", ("Café", "ünïcode ✓")),
]


def _printed(template: str, values: tuple[str, ...], *, rich: bool, quiet: bool = False) -> str:
    app = App(verbosity=-1 if quiet else 0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if rich:
            assert app.console is not None  # a console in use: every line goes through rich
        app.line(template, *values)
    return out.getvalue()


@pytest.mark.parametrize("template,values", CASES)
def test_a_plain_line_equals_what_rich_prints(template: str, values: tuple[str, ...]) -> None:
    assert _printed(template, values, rich=False) == _printed(template, values, rich=True)
    assert _printed(template, values, rich=False, quiet=True) == ""


def test_plain_lines_do_not_load_rich() -> None:
    code = ("import sys; from trustpublish.cli.app import App; "
            "App().line('[green]wrote[/green] {}', 'dist/x'); "
            "print('rich' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert run.stdout == "wrote dist/x\nFalse\n"
