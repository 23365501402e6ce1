"""``trustpublish preview``: build the next email digest (or the whole preview site) and open it."""

from __future__ import annotations

import click

from .app import App, plain


@click.command()
@click.option("--channel", default=None, help="Only this email channel (default: all).")
@click.option("--no-open", is_flag=True, help="Only build and print the path; open no browser.")
@click.option("--site", "whole_site", is_flag=True,
              help="Build and open the preview site: every delivery of the next 4 weeks.")
@click.pass_obj
def preview(app: App, channel: str | None, no_open: bool, whole_site: bool) -> None:
    """Build the next digest of each email channel into dist/email/ and open it in a browser.

    With --site, build dist/preview/index.html (a calendar of the coming weeks' emails and
    posts, each as it will look) and open that instead.
    """
    from ..actions.email_previews import build_previews, email_channels
    from ..errors import TrustpublishError

    project = app.project
    if whole_site:
        from ..actions.preview_site import build_preview_site

        index = build_preview_site(project, app.now())[0]
        click.echo(str(index))
        if not no_open:
            import webbrowser

            webbrowser.open(index.resolve().as_uri())
        return
    channels = email_channels(project)
    if channel is not None and channel not in channels:
        known = ", ".join(channels) or "none"
        raise TrustpublishError(f"no email channel {channel!r}",
                                hint=f"email channels in schedule.yaml: {known}")
    results = [(rendered, files) for rendered, files in build_previews(project, app.now())
               if channel is None or rendered.issue.channel == channel]
    if not results:
        raise TrustpublishError("no digest to preview: no approved post has excerpts for an "
                                "email channel",
                                hint="set `status: approved` in a post's front matter and check "
                                     "its `channels:` list")
    pages = [files[0] for _, files in results]
    if app.as_json:
        app.print_json([{"channel": r.issue.channel, "issue": r.issue_id, "subject": r.subject,
                         "files": [str(f) for f in files]} for r, files in results])
    else:
        for rendered, files in results:
            click.echo(plain(f"{rendered.issue.channel}: {rendered.subject}"))
            for path in files:
                click.echo(f"  {path}")
    if not no_open:
        import webbrowser

        for page in pages:
            webbrowser.open(page.resolve().as_uri())
