"""``trustpublish audit``: print the audit log (who changed what, when, where), written by the
studio and by the ``hold`` and ``skip`` commands."""

from __future__ import annotations

import click

from .app import App


@click.command()
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="At most this many entries (newest first).")
@click.option("--user", default=None, help="Only this user's changes.")
@click.pass_obj
def audit(app: App, limit: int, user: str | None) -> None:
    """Every change made in the studio: when, who, what, and which file and line."""
    from ..actions.audit import AuditLog

    entries = AuditLog(app.project.state_dir).latest(limit, user=user)
    if app.as_json:
        app.print_json([e.as_dict() for e in entries])
        return
    if not entries:
        app.info("No changes recorded yet (the studio writes them to state/audit.jsonl).")
        return
    zone = app.project.config.zone
    import datetime as dt

    for e in entries:
        when = dt.datetime.fromisoformat(e.at).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        where = f"  {e.where()}" if e.where() else ""
        detail = f": {e.detail}" if e.detail else ""
        app.console.print(f"{when}  {e.user}  {e.action} {e.target}{detail}{where}",
                          soft_wrap=True, markup=False)
