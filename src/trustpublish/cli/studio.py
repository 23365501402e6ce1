"""``trustpublish studio``: serve the studio and print its one-time login link.

``trustpublish studio users add|list|remove`` manages the named users (argon2id hashes in
``state/studio-users.json``) for use behind a reverse proxy on a LAN.
"""

from __future__ import annotations

import sys

import click

from .app import App


@click.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep 127.0.0.1 unless a reverse proxy is in front).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port).")
@click.option("--as", "as_user", default=None, metavar="NAME",
              help="Log the link in as this named user (default: you, as approver).")
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure (when a reverse proxy serves the studio over HTTPS).")
@click.option("--open/--no-open", "open_browser", default=False,
              help="Open the login link in a browser.")
@click.pass_context
def studio(ctx: click.Context, host: str, port: int, as_user: str | None, secure_cookies: bool,
           open_browser: bool) -> None:
    """The local web app: calendar, posts and approvals, deliveries, subscribers, status."""
    if ctx.invoked_subcommand is not None:
        return
    import getpass

    from ..errors import ConfigError
    from ..web.studio import Studio, StudioSettings, make_server
    from ..web.studio.users import User

    app: App = ctx.obj
    if app.dry_run:
        raise click.UsageError("the studio has no --dry-run: every button changes the project; "
                               "use `trustpublish --dry-run run --once` to see what would be sent")
    project = app.project
    web = Studio(StudioSettings(config_path=project.config.path, clock=app.now,
                                secure_cookies=secure_cookies))
    if as_user:
        user = web.users.get(as_user)
        if user is None:
            raise ConfigError(f"no studio user {as_user!r}",
                              hint="add one with `trustpublish studio users add NAME --role ...`")
    else:
        user = User(getpass.getuser() or "owner", "approver")
    if host not in ("127.0.0.1", "localhost", "::1") and not secure_cookies:
        click.echo("warning: the studio is reachable from other computers; serve it through an "
                   "HTTPS reverse proxy and add --secure-cookies", err=True)
    server = make_server(web, host, port)
    shown_host = host if host not in ("0.0.0.0", "::") else "127.0.0.1"
    base = f"http://{shown_host}:{server.server_port}"
    link = web.login_link(base, user)
    click.echo(f"Studio for {project.config.site.title} at {base}/ (Ctrl-C stops it)")
    click.echo(f"Log in as {user.name} ({user.role}) with this one-time link:")
    click.echo(f"  {link}", nl=True)
    sys.stdout.flush()
    if open_browser:
        import webbrowser

        webbrowser.open(link)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@studio.group()
def users() -> None:
    """Named studio users (for a studio behind a reverse proxy on the LAN)."""


def _store(app: App):  # type: ignore[no-untyped-def]
    from ..web.studio.users import UserStore

    return UserStore(app.project.state_dir)


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["editor", "approver"]), required=True,
              help="editor: edit drafts, request review; approver: also approve, publish, resolve.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def users_add(app: App, name: str, role: str, password_stdin: bool) -> None:
    """Add (or replace) user NAME; the password is stored as an argon2id hash only."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = _store(app).add(name, role, password)
    app.info(f"Studio user {user.name} ({user.role}) saved.")


@users.command("list")
@click.pass_obj
def users_list(app: App) -> None:
    """List the studio users and their roles (never their passwords)."""
    found = _store(app).list()
    if app.as_json:
        app.print_json([{"name": u.name, "role": u.role} for u in found])
        return
    for user in found:
        click.echo(f"{user.name}\t{user.role}")
    if not found:
        app.info("No studio users yet: `trustpublish studio users add NAME --role approver`.")


@users.command("remove")
@click.argument("name")
@click.pass_obj
def users_remove(app: App, name: str) -> None:
    """Remove user NAME (their open sessions end when the studio restarts)."""
    from ..errors import ConfigError

    if not _store(app).remove(name):
        raise ConfigError(f"no studio user {name!r}", hint="`trustpublish studio users list`")
    app.info(f"Studio user {name} removed.")
