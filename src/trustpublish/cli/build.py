"""``trustpublish build``."""

from __future__ import annotations

from pathlib import Path

import click

from .app import App


@click.command()
@click.option("--only", multiple=True, help="Build only these outputs (e.g. --only feeds).")
@click.pass_obj
def build(app: App, only: tuple[str, ...]) -> None:
    """Write every output (feeds, email previews, the preview site) into dist/.

    Lists the files this build wrote and counts the ones already up to date (a file
    whose bytes would not change is left as it is; ``-v`` lists those too).
    """
    from ..actions.build import BUILDERS, build_all

    unknown = [o for o in only if o not in BUILDERS]
    if unknown:
        raise click.UsageError(f"unknown output {unknown[0]!r}; known: {', '.join(BUILDERS)}")
    app.warn_unreadable_posts()
    before = _stamps(app.project.dist_dir)
    written = build_all(app.project, app.now(), list(only) or None)
    if app.as_json:
        app.print_json({k: [str(p) for p in v] for k, v in written.items()})
        return
    root = app.project.root
    kept = 0
    for name, paths in written.items():
        for path in paths:
            try:
                shown = path.relative_to(root)
            except ValueError:
                shown = path
            if _stamp(path) != before.get(str(path)):
                app.info("[green]wrote[/green] {}  ({})", shown, name)
            else:
                kept += 1
                if app.verbosity > 0:
                    app.info("up to date {}  ({})", shown, name)
    if kept:
        app.info("{} already up to date{}", f"{kept} file" + ("s" if kept > 1 else ""),
                 "" if app.verbosity > 0 else " (-v lists them)")
    if not any(written.values()):
        app.info("nothing to build")


def _stamp(path: Path) -> tuple[int, int] | None:
    """A file's (inode, mtime): every write (always a new file moved into place, see
    :func:`trustpublish.files.write_atomic`) changes it; None if missing."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns


def _stamps(folder: Path) -> dict[str, tuple[int, int] | None]:
    """Path → :func:`_stamp` of every file under ``folder``, before a build."""
    import os

    return {str(path): _stamp(path) for top, _, names in os.walk(folder)
            for path in (Path(top) / name for name in names)}
