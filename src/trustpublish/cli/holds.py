"""``trustpublish hold`` and ``trustpublish skip``: keep one excerpt out of one channel, or
skip one slot, recorded in the project files (the post's ``hold:``, the timetable entry's
``skip:``) exactly as the studio does (:mod:`trustpublish.actions.holds`). Each change is
written to the audit log as ``cli:<login name>``.
"""

from __future__ import annotations

import click

from .app import App

__all__ = ["hold", "skip"]


def _user() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without /etc/passwd entry)
        return "cli"


@click.command()
@click.argument("ref", nargs=-1, required=True)
@click.option("--channel", "channel_name", required=True, help="A channel name from schedule.yaml.")
@click.option("--release", is_flag=True, help="Let the excerpt back into the channel.")
@click.pass_obj
def hold(app: App, ref: tuple[str, ...], channel_name: str, release: bool) -> None:
    """Keep one excerpt out of one channel: `hold POST/SECTION` or `hold POST SECTION`.

    Writes the post's `hold:` front matter; the other channels still get the excerpt.
    """
    from ..actions.holds import hold_excerpt, record

    if len(ref) > 2:
        raise click.UsageError("give the excerpt as POST/SECTION, or POST SECTION")
    project = app.project
    if len(ref) == 2:
        excerpt_id = f"{project.post(ref[0]).slug}/{ref[1]}"
    else:
        excerpt_id = ref[0]
    edit = hold_excerpt(project, excerpt_id, channel_name, release=release)
    action = "release hold" if release else "hold"
    record(project, user=_user(), action=action, target=excerpt_id, edit=edit, now=app.now(),
           detail=f"{'back into' if release else 'out of'} {channel_name}")
    where = f"{_rel(project, edit.path)}:{edit.line}"
    if app.as_json:
        app.print_json({"excerpt": excerpt_id, "channel": channel_name, "held": not release,
                        "changed": edit.changed, "file": _rel(project, edit.path),
                        "line": edit.line})
    elif not edit.changed:
        app.info(f"{excerpt_id} already {'goes to' if release else 'is held from'} "
                 f"{channel_name}: nothing changed.")
    elif release:
        app.info(f"{excerpt_id} goes to {channel_name} again ({where}).")
    else:
        app.info(f"{excerpt_id} is held from {channel_name} ({where}); the other channels "
                 "still get it.")


@click.command()
@click.argument("channel_name", metavar="CHANNEL")
@click.argument("when", metavar="WHEN")
@click.option("--release", is_flag=True, help="Remove the skip: the slot sends again.")
@click.pass_obj
def skip(app: App, channel_name: str, when: str, release: bool) -> None:
    """Skip CHANNEL's slot at WHEN (wall time in site.timezone, like 2026-12-08T09:00).

    Writes `skip:` in the timetable entry of schedule.yaml; the next slot takes what this
    one would have sent. A slot already recorded in the ledger cannot be skipped.
    """
    from ..actions.holds import record, skip_slot
    from ..deliver.engine import DeliveryEngine, open_state
    from ..errors import TrustpublishError
    from ..plan.timetable import skip_instant

    project = app.project
    try:
        instant = skip_instant(when, project.config.zone)
    except ValueError:
        raise TrustpublishError(f"{when!r} is not a date-time",
                                hint='write it like "2026-12-08T09:00" (site time)') from None
    engine = DeliveryEngine(project, open_state(project))
    edit = skip_slot(project, engine.ledger, channel_name, instant, release=release)
    local = instant.astimezone(project.config.zone).strftime("%Y-%m-%d %H:%M %Z")
    record(project, user=_user(), action="release skip" if release else "skip",
           target=f"{channel_name} {local}", edit=edit, now=app.now(),
           detail="sends again" if release else "sends nothing; the next slot takes its items")
    where = f"{_rel(project, edit.path)}:{edit.line}"
    if app.as_json:
        app.print_json({"channel": channel_name, "when": instant.isoformat(),
                        "skipped": not release, "changed": edit.changed,
                        "file": _rel(project, edit.path), "line": edit.line})
    elif not edit.changed:
        app.info(f"The {channel_name} slot at {local} was not skipped: nothing changed.")
    elif release:
        app.info(f"The {channel_name} slot at {local} sends again ({where}).")
    else:
        app.info(f"The {channel_name} slot at {local} is skipped ({where}); the next slot "
                 "takes what it would have sent.")


def _rel(project: object, path: object) -> str:
    from ..actions.holds import relative

    return relative(project, path)  # type: ignore[arg-type]


