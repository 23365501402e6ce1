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


@bounces.command("read")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def read(app: App, paths: tuple[Path, ...]) -> None:
    """Read reports from .eml files, Maildir folders or mbox files and apply them."""
    from ..deliver.bounces import BounceRules, Bounces, read_report
    from ..deliver.engine import open_state
    from ..deliver.unsubscribe import load_secret_key

    project = app.project
    store = Bounces(open_state(project), load_secret_key(project.state_dir),
                    BounceRules.from_raw(project.config.raw))
    tally: Counter[str] = Counter()
    rows = []
    for path in paths:
        for label, data in _messages(path):
            report = read_report(data)
            if report is None:
                tally["not a report"] += 1
                continue
            if app.dry_run:
                tally[f"would record {report.kind}"] += len(report.addresses)
                continue
            for outcome in store.record(report, app.now(), source=label):
                tally[outcome.kind] += 1
                tally["suppressed"] += outcome.suppressed
                rows.append({"file": label, "email": outcome.email, "kind": outcome.kind,
                             "delivery": outcome.delivery_id, "suppressed": outcome.suppressed})
    if app.as_json:
        app.print_json({"counts": dict(tally), "outcomes": rows})
        return
    for row in rows:
        click.echo(f"{row['kind']:9} {row['email']}  delivery #{row['delivery'] or '-'}"
                   + ("  suppressed" if row["suppressed"] else ""))
    app.info(", ".join(f"{n} {k}" for k, n in sorted(tally.items())) or "no messages")
