"""Subscriber commands (``subscribers import|list|remove|export``) and ``serve``.

``serve`` runs :mod:`trustpublish.web.serve`'s WSGI app with a handler that records a
one-click unsubscribe in the subscriber store (status and suppression list), so it
takes effect before the next send; tokens are checked with the same key the engine
signs with (:func:`trustpublish.deliver.unsubscribe.load_secret_key`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .app import App, one_line, plain

if TYPE_CHECKING:
    from ..deliver.subscribers import Subscribers


def _store(app: App) -> "Subscribers":
    from ..deliver.engine import open_state
    from ..deliver.subscribers import Subscribers

    return Subscribers(open_state(app.project))


@click.group()
def subscribers() -> None:
    """Manage email subscribers: import from CSV, list, remove (suppress), export."""


@subscribers.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def subscribers_import(app: App, csv_file: Path) -> None:
    """Add or update subscribers from CSV_FILE.

    Columns: email (required), name, channels (separated by ;), status, consent_source,
    consent_at. Bad rows are reported by line and skipped; someone who unsubscribed is
    never re-activated. Exit code 4 when some rows were bad (the good ones are imported).
    """
    if app.dry_run:
        app.info("Dry run: nothing imported.")
        return
    from ..actions.email_previews import email_channels

    report = _store(app).import_csv(csv_file, app.now(),
                                    channels=list(email_channels(app.project)))
    if app.as_json:
        app.print_json(report.as_dict())
    else:
        for bad in report.bad:
            click.echo(one_line(f"{csv_file}:{bad.line}: {bad.message}"), err=True)
        app.info(f"Imported {csv_file}: {report.added} added, {report.updated} updated, "
                 f"{report.kept_unsubscribed} kept unsubscribed, {len(report.bad)} bad")
        if report.bad:
            click.echo("  hint: fix the lines above and import the file again "
                       "(rows already imported are updated, not doubled)", err=True)
    if report.bad:
        raise SystemExit(4)  # a content error, like any other bad input file


@subscribers.command("list")
@click.option("--status", type=click.Choice(["active", "unsubscribed", "bounced", "complained"]),
              default=None, help="Only subscribers with this status.")
@click.pass_obj
def subscribers_list(app: App, status: str | None) -> None:
    """List subscribers with their status, channels and consent."""
    store = _store(app)
    if app.as_json:  # streamed: a long list is never held in memory
        import json

        sys.stdout.write("[")
        for n, s in enumerate(store.iter_all(status)):
            sys.stdout.write(("," if n else "") + "\n  ")
            sys.stdout.write(json.dumps(s.as_dict(), ensure_ascii=False))
        sys.stdout.write("\n]\n")
        return
    n = 0
    for n, s in enumerate(store.iter_all(status), start=1):
        click.echo(plain(f"{s.email}\t{s.name}\t{s.status}\t{' '.join(s.channels) or '(all)'}\t"
                         f"{s.consent_source} {s.consent_at}".rstrip()))
    app.info(f"{n} subscriber{'s' * (n != 1)}")


@subscribers.command("remove")
@click.argument("email")
@click.option("--reason", type=click.Choice(["unsubscribed", "bounced", "complained"]),
              default="unsubscribed", show_default=True, help="Why they are removed.")
@click.pass_obj
def subscribers_remove(app: App, email: str, reason: str) -> None:
    """Stop mailing EMAIL for good (a mailto unsubscribe, a bounce, a complaint).

    The address goes on the suppression list, so no later import brings it back.
    """
    from ..deliver.subscribers import normalize_email
    from ..errors import TrustpublishError

    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise TrustpublishError(f"{email!r} is not an email address: {exc}") from None
    if app.dry_run:
        app.info(f"Dry run: {address} would be removed.")
        return
    known = _store(app).suppress(address, reason=reason, source="subscribers remove",
                                 now=app.now())
    if app.as_json:
        app.print_json({"email": address, "status": reason, "was_subscriber": known})
        return
    app.info(f"{address} is {reason} and on the suppression list"
             + ("" if known else " (it was not a subscriber; it will never be imported)") + ".")


@subscribers.command("export")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.pass_obj
def subscribers_export(app: App, csv_file: Path | None) -> None:
    """Write every subscriber as CSV (the import format) to CSV_FILE or standard output."""
    from ..deliver.engine import open_state
    from ..deliver.signups import Signups
    from ..deliver.subscribers import write_csv

    rows = _store(app).iter_all()
    consents = Signups(open_state(app.project), b"").latest_consents()
    if csv_file is None:
        write_csv(rows, sys.stdout, consents)
        return
    with csv_file.open("w", encoding="utf-8", newline="") as handle:
        n = write_csv(rows, handle, consents)
    app.info(f"Wrote {n} subscriber{'s' * (n != 1)} to {csv_file}.")


def _desk(app: App, key: bytes | None = None) -> Any:
    from ..deliver.engine import open_state
    from ..deliver.signup_desk import Desk
    from ..deliver.unsubscribe import load_secret_key

    project = app.project
    return Desk(project, open_state(project), key or load_secret_key(project.state_dir))


def _subscribe_pages(app: App, key: bytes) -> Any:
    """The sign-up pages, or None when the project has no email channel to join."""
    from ..errors import ConfigError
    from ..web.subscribe import SubscribePages, make_subscribe_app

    try:
        desk = _desk(app, key)
    except ConfigError:
        return None
    pages = SubscribePages(site=app.project.config.site, wording=desk.wording, key=key,
                           templates=app.project.templates_dir, min_seconds=desk.min_seconds)
    return make_subscribe_app(pages, desk, app.now)


def _bounce_hooks(app: App, key: bytes) -> Any:
    """The bounce webhooks of the providers configured, or None."""
    from ..deliver.bounce_webhooks import webhook_handlers
    from ..deliver.bounces import BounceRules, Bounces
    from ..deliver.engine import open_state
    from ..env import secret
    from ..web.bounce_hooks import make_bounce_app

    raw = app.project.config.raw
    mailgun = secret("mailgun", "webhook_key")
    handlers = webhook_handlers(Bounces(open_state(app.project), key, BounceRules.from_raw(raw)),
                                raw.get("bounces") or {}, app.now,
                                mailgun.reveal().encode() if mailgun else None)
    return make_bounce_app(handlers) if handlers else None


@subscribers.command("add")
@click.argument("email")
@click.option("--name", default="", help="Their first name (for the greeting).")
@click.option("--confirm", "double", is_flag=True, required=True,
              help="Send a confirmation email; they join when they confirm (double opt-in).")
@click.pass_obj
def subscribers_add(app: App, email: str, name: str, double: bool) -> None:
    """Invite EMAIL (someone who asked in person): they get a link to confirm."""
    from ..errors import TrustpublishError

    desk = _desk(app)
    if app.dry_run:
        app.info(f"Dry run: a confirmation email would go to {email}.")
        return
    if not desk.request(email, name, ip="", form="subscribers add", now=app.now()):
        raise TrustpublishError(f"no confirmation sent to {email!r}",
                                hint="it is not a valid address, is already subscribed, or "
                                     "was invited too often today")
    app.info(f"Sent a confirmation email to {email} (channel {desk.channel}); they join when "
             "they confirm.")


@subscribers.command("show")
@click.argument("email")
@click.pass_obj
def subscribers_show(app: App, email: str) -> None:
    """Everything kept about EMAIL: status, channels and consent records."""
    from ..deliver.engine import open_state
    from ..deliver.signups import Signups
    from ..deliver.subscribers import Subscribers
    from ..errors import TrustpublishError

    db = open_state(app.project)
    person = Subscribers(db).get(email.strip().lower())
    consents = Signups(db, b"").consents(email)
    if person is None and not consents:
        raise TrustpublishError(f"no subscriber {email!r}",
                                hint="`trustpublish subscribers list` lists them")
    data = {**(person.as_dict() if person else {"email": email.strip().lower()}),
            "consents": [c.as_dict() for c in consents]}
    if app.as_json:
        app.print_json(data)
        return
    for key in ("email", "name", "status", "channels", "consent_source", "consent_at"):
        if key in data:
            value = data[key]
            click.echo(f"{key}: {' '.join(value) if isinstance(value, list) else value}")
    for n, consent in enumerate(data["consents"], start=1):
        click.echo(f"consent {n}: {consent['source']}, asked {consent['requested_at']}, "
                   f"confirmed {consent['confirmed_at']} ({consent['channel']})")
        click.echo(f"  wording: {consent['wording']}")


@subscribers.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def subscribers_forget(app: App, email: str, yes: bool) -> None:
    """Erase EMAIL's data for good (right to be forgotten); only a one-way hash stays on the
    suppression list, so no later import can add them again."""
    from ..deliver.engine import open_state
    from ..deliver.signups import Signups

    if not yes and not app.dry_run:
        click.confirm(f"Erase everything about {email}?", abort=True)
    if app.dry_run:
        app.info(f"Dry run: {email} would be erased.")
        return
    known = Signups(open_state(app.project), b"").forget(email, app.now())
    app.info(f"Erased {email}" + ("" if known else " (nothing was stored about it)")
             + "; a one-way hash stays on the suppression list.")


@click.command()
@click.pass_obj
def snippet(app: App) -> None:
    """Print an HTML sign-up form to paste into the clinic's website."""
    from ..render.templating import render

    desk = _desk(app)
    click.echo(render("web/snippet.html.j2", {
        "site": app.project.config.site, "action": f"{desk.base_url}/subscribe",
        "wording": desk.wording}, templates=app.project.templates_dir), nl=False)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep 127.0.0.1 behind the clinic's web server).")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535))
@click.pass_obj
def serve(app: App, host: str, port: int) -> None:
    """Run the one-click unsubscribe endpoint (/unsubscribe) and the preview site (/preview/)."""
    from ..deliver.unsubscribe import TokenSigner, Unsubscribe, load_secret_key
    from ..web.serve import make_app
    from ..web.serve import serve as make_server

    project = app.project
    store = _store(app)

    def unsubscribe(request: Unsubscribe) -> bool:
        return store.suppress(request.email, reason="unsubscribed", source="one-click link",
                              channel=request.channel, now=app.now())

    key = load_secret_key(project.state_dir)
    signer = TokenSigner(key)
    pages = _subscribe_pages(app, key)
    wsgi = make_app(signer, unsubscribe, site_title=project.config.site.title,
                    dist_dir=project.dist_dir, language=project.config.site.language,
                    subscribe=pages, bounces=_bounce_hooks(app, key))
    try:
        server = make_server(wsgi, host, port)
    except OSError as exc:
        from ..errors import TrustpublishError

        raise TrustpublishError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                                hint="choose another --port, or stop what is using it") from None
    app.info(f"Serving http://{host}:{server.server_port}/subscribe, /unsubscribe and /preview/ "
             "(Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
