"""``trustpublish build``."""

from __future__ import annotations

import click

from .app import App


@click.command()
@click.option("--only", multiple=True, help="Build only these outputs (e.g. --only feeds).")
@click.pass_obj
def build(app: App, only: tuple[str, ...]) -> None:
    """Write every output (feeds, email previews, the preview site) into dist/."""
    from ..actions.build import BUILDERS, build_all

    unknown = [o for o in only if o not in BUILDERS]
    if unknown:
        raise click.UsageError(f"unknown output {unknown[0]!r}; known: {', '.join(BUILDERS)}")
    app.warn_unreadable_posts()
    written = build_all(app.project, app.now(), list(only) or None)
    if app.as_json:
        app.print_json({k: [str(p) for p in v] for k, v in written.items()})
        return
    root = app.project.root
    for name, paths in written.items():
        for path in paths:
            try:
                shown = path.relative_to(root)
            except ValueError:
                shown = path
            app.info("[green]wrote[/green] {}  ({})", shown, name)
    if not any(written.values()):
        app.info("nothing to build")
