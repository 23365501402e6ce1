"""``trustpublish publish EXCERPT_ID --channel NAME``: send one excerpt now.

The delivery goes through the engine and its ledger like a timetable slot (recorded
before it is attempted, settled after), so the timetable will not send the same
excerpt to that channel again and a second ``publish`` is refused. The adapter is the
outbox when the credentials are not in the environment; the post URL or id is
printed. ``--dry-run`` prints the fitted text and sends nothing.
"""

from __future__ import annotations

from typing import Any

import click

from .app import App, plain

__all__ = ["publish"]


@click.command()
@click.argument("excerpt_id")
@click.option("--channel", "channel_name", required=True, help="A channel name from schedule.yaml.")
@click.pass_obj
def publish(app: App, excerpt_id: str, channel_name: str) -> None:
    """Send EXCERPT_ID (post-slug/section, see `trustpublish split`) to CHANNEL now."""
    from ..deliver.compose import channel_config, compose
    from ..errors import TrustpublishError

    project = app.project
    config = channel_config(project, channel_name)
    if project.channel_kind(channel_name) != "post":
        raise TrustpublishError(
            f"channel {channel_name!r} is of type {config.get('type')!r}, which sends whole "
            "issues, not single excerpts",
            hint="email digests go out with `trustpublish run`; publish works for social "
                 "and webhook channels")
    excerpt = project.excerpt(excerpt_id)
    if app.dry_run:
        created_at = app.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        delivery, fitted = compose(project, excerpt, channel_name, created_at=created_at)
        _show(app, delivery.parts, fitted.counts, fitted.limit, fitted.counted_as, None)
        return
    from ..deliver.engine import DeliveryEngine, open_state
    from ..deliver.ledger import delivery_key

    engine = DeliveryEngine(project, open_state(project))
    report = engine.publish_now(excerpt.id, channel_name, app.now())
    record = engine.ledger.by_key(delivery_key(channel_name, excerpt.id))
    assert record is not None  # publish_now recorded it before sending
    outbox = bool(record.remote and record.remote.startswith("file://"))
    if app.as_json:
        app.print_json({"channel": channel_name, "excerpt": excerpt.id, "delivery": record.id,
                        "state": record.state, "remote": record.remote, "error": record.error,
                        "outbox": outbox})
    elif record.state == "sent":
        if outbox and app.verbosity >= 0:
            click.echo(plain(f"No credentials for {channel_name}: wrote {record.remote}"),
                       err=True)
        click.echo(plain(record.remote or "sent"))
    if record.state != "sent":
        raise _not_sent(record, channel_name)
    del report


def _not_sent(record: Any, channel: str) -> Exception:
    """The error for a delivery ``publish`` could not complete: the README's label of what
    happened (kept at the start of the ledger's error), exit code 5."""
    from .. import errors

    labels = {cls.kind for cls in (errors.DeliveryError, errors.RateLimited,
                                   errors.CredentialsError, errors.PermanentFailure,
                                   errors.OutcomeUnknown, errors.RetryableFailure,
                                   errors.ThreadBroken)}
    label, _, reason = (record.error or "").partition(": ")
    if label not in labels:
        label, reason = errors.DeliveryError.kind, record.error or record.state
    hints = {"unknown": f"look at {channel}, then `trustpublish resolve {record.id} --sent` or "
                        "`--not-sent`",
             "failed": f"fix what it says, then `trustpublish retry {record.id}`",
             "partial": "the next `trustpublish run` resumes the thread at the first missing part",
             "planned": "the next `trustpublish run` tries it again"}
    return errors.DeliveryError(f"delivery #{record.id} to {channel} is {record.state}: {reason}",
                         kind=label, hint=hints.get(record.state, "`trustpublish history` "
                                                                  "shows it"))


def _show(app: App, parts: tuple[str, ...], counts: tuple[int, ...], limit: int | None,
          counted_as: str, url: str | None) -> None:
    if app.as_json:
        app.print_json({"parts": list(parts), "counts": list(counts), "limit": limit})
        return
    for i, (part, counted) in enumerate(zip(parts, counts), start=1):
        click.echo(f"--- part {i}/{len(parts)}: {counted}/{limit or '∞'} {counted_as}")
        click.echo(plain(part))
