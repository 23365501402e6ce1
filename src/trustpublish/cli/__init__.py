"""The ``trustpublish`` command line.

Commands live in small modules and are imported only when run, so
``trustpublish --help`` stays fast. Every :class:`~trustpublish.errors.TrustpublishError`
becomes one ``Kind: message`` line plus a hint and a documented exit code (both
through :func:`trustpublish.cli.app.one_line`: secrets redacted, control characters
escaped);
anything else keeps its traceback (it is a bug, not a user mistake).

Exit codes: 0 success · 1 problems found or a delivery failed · 2 usage error ·
3 configuration error · 4 content error · 5 delivery/credentials error ·
6 state error · 70 internal error.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any

import click

from .app import App, one_line

__all__ = ["main", "console", "cli", "COMMANDS", "EXIT_CODES"]

#: name → ("module:function", one-line help). Add a command here and in its module.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("trustpublish.cli.content:init", "Create a new project folder with a sample post."),
    "check": ("trustpublish.cli.content:check", "Check schedule.yaml and every post; exit 1 on problems."),
    "split": ("trustpublish.cli.content:split", "Show the excerpts a post is cut into."),
    "import": ("trustpublish.cli.content:import_", "Convert a .txt/.html file or URL into a Markdown post."),
    "sync": ("trustpublish.cli.sync:sync", "Fetch new and changed articles from the sources in schedule.yaml."),
    "build": ("trustpublish.cli.build:build", "Write feeds, email previews and the preview site to dist/."),
    "plan": ("trustpublish.cli.engine:plan", "Show the timetable: when, channel, what, state."),
    "run": ("trustpublish.cli.engine:run", "Deliver what is due (--once for cron/systemd timers)."),
    "status": ("trustpublish.cli.engine:status", "Counts by state, what needs attention, next slots."),
    "history": ("trustpublish.cli.engine:history", "Every delivery: state, remote id, error."),
    "retry": ("trustpublish.cli.engine:retry", "Send a failed delivery again."),
    "resolve": ("trustpublish.cli.engine:resolve", "Settle an unknown outcome: --sent or --not-sent."),
    "schema": ("trustpublish.cli.engine:schema", "Write the JSON Schema of schedule.yaml for editors."),
    "subscribers": ("trustpublish.cli.subscribers:subscribers",
                    "Email subscribers: import, add, list, show, remove, forget, export."),
    "bounces": ("trustpublish.cli.bounces:bounces",
                "Read bounce and complaint reports and clean the subscriber list."),
    "snippet": ("trustpublish.cli.subscribers:snippet",
                "Print an HTML sign-up form to paste into the clinic's website."),
    "serve": ("trustpublish.cli.subscribers:serve", "Run the one-click unsubscribe endpoint and preview."),
    "publish": ("trustpublish.cli.channels:publish", "Send one excerpt to one channel now."),
    "preview": ("trustpublish.cli.digest:preview", "Build the next email digest and open it in a browser."),
    "studio": ("trustpublish.cli.studio:studio",
               "The local web app: calendar, posts, approvals, deliveries, subscribers."),
    "hold": ("trustpublish.cli.holds:hold",
             "Keep one excerpt out of one channel (the post's hold:); --release undoes it."),
    "skip": ("trustpublish.cli.holds:skip",
             "Skip one timetable slot (skip: in schedule.yaml); --release undoes it."),
    "audit": ("trustpublish.cli.audit:audit",
              "Print the audit log (studio and hold/skip changes): who changed what, when."),
}

EXIT_CODES = {
    "ConfigError": 3, "ContentError": 4, "RenderError": 4, "StateError": 6,
    "DeliveryError": 5, "RateLimited": 5, "CredentialsError": 5, "PermanentFailure": 5,
    "OutcomeUnknown": 5, "RetryableFailure": 5, "ThreadBroken": 5, "TrustpublishError": 1,
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[name][0].split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        _accept_global_flags_after(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _set_flag(attr: str) -> Any:
    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value and isinstance(ctx.obj, App):
            setattr(ctx.obj, attr, True)

    return callback


def _accept_global_flags_after(command: click.Command) -> None:
    """Let ``--json`` and ``--dry-run`` also follow the command (``split POST --json``)."""
    names = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for flag, attr, help_text in (("--json", "as_json", "Machine-readable JSON output."),
                                  ("--dry-run", "dry_run", "Show what would happen; change nothing.")):
        if flag not in names:
            command.params.append(click.Option([flag], is_flag=True, expose_value=False,
                                               callback=_set_flag(attr), help=help_text))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              envvar="TRUSTPUBLISH_CONFIG",
              help="Path to schedule.yaml (default: ./schedule.yaml or the nearest parent's).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; send and write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")
@click.option("--now", "now", default=None, metavar="ISO-DATETIME",
              help="Act as if it were this time (for plan, run --once and previews).")
@click.option("-v", "--verbose", count=True, help="More detail (repeat for debug logs).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(package_name="trustpublish")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, dry_run: bool, as_json: bool,
        now: str | None, verbose: int, quiet: bool) -> None:
    """trustpublish: articles → excerpts → email digests, feeds and social posts, on a timetable."""
    ctx.obj = App(config_path=config_path, dry_run=dry_run, as_json=as_json, now_text=now,
                  verbosity=-1 if quiet else verbose)


def _exit_code(exc: BaseException) -> int:
    for klass in type(exc).__mro__:
        if klass.__name__ in EXIT_CODES:
            return EXIT_CODES[klass.__name__]
    return 1


def console() -> None:
    """The ``trustpublish`` program (the console script and ``python -m trustpublish``):
    :func:`main` on ``sys.argv``, then exit with its status.

    On the way out of a command that opened no database, every object still alive is
    handed to ``gc.freeze()``. The interpreter's shutdown would otherwise run full
    garbage-collection passes over everything the command loaded (the index, the
    libraries' objects), only to free memory the operating system takes back anyway:
    about 40 ms of a 0.5 s build. Exit handlers (``atexit``) still run, standard streams
    are still flushed, and files are closed by the ``with`` blocks that opened them. A
    command that loaded a database driver exits the usual way: its pooled connections
    are closed by the collector, and closing the last one is when SQLite folds its
    write-ahead log back into the database file (a copy of that file alone is then whole).
    """
    try:
        sys.exit(main())
    finally:
        if "sqlite3" not in sys.modules and "sqlalchemy" not in sys.modules:
            gc.freeze()


def main(argv: list[str] | None = None) -> Any:
    """Run one command line (``argv``, else ``sys.argv[1:]``); returns or raises
    ``SystemExit`` with the documented exit code. Tests call it in-process."""
    from ..errors import TrustpublishError
    from ..redact import install_log_redaction

    install_log_redaction()
    try:
        return cli.main(args=argv, prog_name="trustpublish", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            click.echo(exc.ctx.get_usage(), err=True)
        click.echo(f"Error: {one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except TrustpublishError as exc:
        message = one_line(exc.message)
        labelled = message.startswith(f"{exc.kind}: ")
        click.echo(message if labelled else f"{exc.kind}: {message}", err=True)
        if exc.hint:
            click.echo(f"  hint: {one_line(exc.hint)}", err=True)
        sys.exit(_exit_code(exc))
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception:  # a bug, not a user mistake: keep the traceback
        import traceback

        traceback.print_exc()
        click.echo("Internal error: this is a bug in trustpublish; please report it with the "
                   "traceback above.", err=True)
        sys.exit(70)
