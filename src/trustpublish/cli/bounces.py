"""``trustpublish bounces read PATH...``: apply bounce and complaint reports to the list.

PATH is a saved message (``.eml``), a Maildir folder or an mbox file, e.g. the mailbox the
``bounces.return_path`` address delivers to. Each report is matched to its delivery and
the address suppressed as the rules say (see :mod:`trustpublish.deliver.bounces`);
messages that are not reports (a person writing back) are left alone and counted.
"""

from __future__ import annotations

import mailbox
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from .app import App

__all__ = ["bounces"]


def _messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, bytes) of every message at ``path``."""
    if path.is_dir():
        box = mailbox.Maildir(str(path), create=False)
        for key in sorted(box.keys()):
            yield f"{path}/{key}", box.get_bytes(key)
    elif path.suffix.lower() in (".mbox", ".mbx") or path.read_bytes()[:5] == b"From ":
        for n, message in enumerate(mailbox.mbox(str(path), create=False)):
            yield f"{path}#{n + 1}", message.as_bytes()
    else:
        yield str(path), path.read_bytes()


@click.group()
def bounces() -> None:
    """Bounce and complaint reports: read them and clean the subscriber list."""


def _store(app: App) -> Any:
    from ..deliver.bounces import BounceRules, Bounces
    from ..deliver.engine import open_state
    from ..deliver.unsubscribe import load_secret_key

    project = app.project
    return Bounces(open_state(project), load_secret_key(project.state_dir),
                   BounceRules.from_raw(project.config.raw))


def _apply(app: App, store: Any, label: str, data: bytes, tally: Counter[str],
           rows: list[dict[str, Any]]) -> None:
    from ..deliver.bounces import read_report

    report = read_report(data)
    if report is None:
        tally["not a report"] += 1
        return
    if app.dry_run:
        tally[f"would record {report.kind}"] += len(report.addresses)
        return
    for outcome in store.record(report, app.now(), source=label):
        tally[outcome.kind] += 1
        tally["suppressed"] += outcome.suppressed
        rows.append({"file": label, "email": outcome.email, "kind": outcome.kind,
                     "delivery": outcome.delivery_id, "suppressed": outcome.suppressed})


def _show(app: App, tally: Counter[str], rows: list[dict[str, Any]]) -> None:
    if app.as_json:
        app.print_json({"counts": dict(tally), "outcomes": rows})
        return
    for row in rows:
        click.echo(f"{row['kind']:9} {row['email']}  delivery #{row['delivery'] or '-'}"
                   + ("  suppressed" if row["suppressed"] else ""))
    app.info(", ".join(f"{n} {k}" for k, n in sorted(tally.items())) or "no messages")


@bounces.command("fetch")
@click.pass_obj
def fetch(app: App) -> None:
    """Read the unseen reports in the bounce mailbox (``bounces.imap``) and apply them."""
    from ..channels.imap import ImapMailbox, imap_settings
    from ..errors import TrustpublishError

    settings = imap_settings(app.project.config.raw.get("bounces") or {})
    if settings is None:
        raise TrustpublishError("no bounce mailbox configured",
                                hint="add bounces: {imap: {host: ..., user: ...}} to "
                                     "schedule.yaml, or use `trustpublish bounces read PATH`")
    store = _store(app)
    tally: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    with ImapMailbox(settings) as box:
        for uid, data in box.unseen():
            _apply(app, store, f"imap:{settings.folder}/{uid.decode()}", data, tally, rows)
            if not app.dry_run:
                box.done(uid)
    _show(app, tally, rows)


@bounces.command("read")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def read(app: App, paths: tuple[Path, ...]) -> None:
    """Read reports from .eml files, Maildir folders or mbox files and apply them."""
    store = _store(app)
    tally: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    for path in paths:
        for label, data in _messages(path):
            _apply(app, store, label, data, tally, rows)
    _show(app, tally, rows)
