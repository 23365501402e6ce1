"""``trustpublish publish EXCERPT_ID --channel NAME``: send one excerpt now.

The text is fitted to the channel, the adapter is opened with
:func:`~trustpublish.channels.registry.open_channel` (the outbox when the
credentials are not in the environment), and the post URL or id is printed.
``--dry-run`` prints the fitted text and sends nothing.
"""

from __future__ import annotations

import click

from .app import App

__all__ = ["publish"]


@click.command()
@click.argument("excerpt_id")
@click.option("--channel", "channel_name", required=True, help="A channel name from schedule.yaml.")
@click.pass_obj
def publish(app: App, excerpt_id: str, channel_name: str) -> None:
    """Send EXCERPT_ID (post-slug/section, see `trustpublish split`) to CHANNEL now."""
    from ..channels.compose import SOCIAL_TYPES, channel_config, compose
    from ..channels.outbox import OutboxChannel
    from ..channels.registry import open_channel
    from ..errors import TrustpublishError

    project = app.project
    config = channel_config(project, channel_name)
    if config.get("type") not in SOCIAL_TYPES:
        raise TrustpublishError(
            f"channel {channel_name!r} is of type {config.get('type')!r}, which sends whole "
            "issues, not single excerpts",
            hint="email digests go out with `trustpublish run`; publish works for social "
                 "and webhook channels")
    excerpt = project.excerpt(excerpt_id)
    created_at = app.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    channel = None
    if not app.dry_run:
        channel = open_channel(channel_name, config, root=project.root,
                               outbox_dir=project.outbox_dir)
        fetch = getattr(channel, "fetch_limits", None)
        if fetch is not None and not isinstance(channel, OutboxChannel):
            fetch(project.state_dir)
    delivery, fitted = compose(project, excerpt, channel_name, created_at=created_at)
    if channel is None:
        _show(app, delivery.parts, fitted.counts, fitted.limit, fitted.counted_as, None)
        return
    with channel:
        result = channel.publish(delivery)
    outbox = isinstance(channel, OutboxChannel)
    if app.as_json:
        app.print_json({"channel": channel_name, "excerpt": excerpt.id, "delivery": delivery.id,
                        "remote_id": result.remote_id, "url": result.url, "outbox": outbox,
                        "parts": list(delivery.parts), "counts": list(fitted.counts),
                        "limit": fitted.limit})
        return
    if outbox:
        if app.verbosity >= 0:
            app.console.print(f"No credentials for {channel_name}: wrote "
                              f"{result.detail.get('outbox')}", soft_wrap=True)
    click.echo(result.display())


def _show(app: App, parts: tuple[str, ...], counts: tuple[int, ...], limit: int | None,
          counted_as: str, url: str | None) -> None:
    if app.as_json:
        app.print_json({"parts": list(parts), "counts": list(counts), "limit": limit})
        return
    for i, (part, counted) in enumerate(zip(parts, counts), start=1):
        click.echo(f"--- part {i}/{len(parts)}: {counted}/{limit or '∞'} {counted_as}")
        click.echo(part)
