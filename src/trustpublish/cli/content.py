"""Content commands: init, check, split, import."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import click

from .app import App, cell

pass_app = click.make_pass_decorator(App)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into a folder that already has schedule.yaml.")
@click.pass_obj
def init(app: App, directory: Path, force: bool) -> None:
    """Create DIRECTORY with schedule.yaml, posts/ (a sample post) and templates/."""
    from ..errors import TrustpublishError

    if (directory / "schedule.yaml").exists() and not force:
        raise TrustpublishError(f"{directory / 'schedule.yaml'} already exists",
                                hint="choose an empty folder, or pass --force to overwrite")
    sample = resources.files("trustpublish").joinpath("sample")
    with resources.as_file(sample) as sample_dir:
        directory.mkdir(parents=True, exist_ok=True)
        for item in ("schedule.yaml", "posts", "templates", ".env.example"):
            src = Path(sample_dir) / item
            if src.is_dir():
                shutil.copytree(src, directory / item, dirs_exist_ok=True)
            elif src.exists():
                shutil.copy2(src, directory / item)
    app.info("Created a trustpublish project in [bold]{}[/bold].", directory)
    app.info(f"Next: cd {directory} && trustpublish check && trustpublish plan")


@click.command()
@click.option("--fatal", is_flag=True,
              help="Treat warnings as errors (for CI). Notes never fail.")
@click.option("--privacy-report", is_flag=True,
              help="List every privacy finding (approved ones too) with kind and confidence.")
@click.pass_obj
def check(app: App, fatal: bool, privacy_report: bool) -> None:
    """Check schedule.yaml, every post and every template. Exit 1 when a problem is found."""
    from ..actions.check import check_config_only, run_checks
    from ..workspace.project import find_config

    path = Path(app.config_path) if app.config_path else find_config()
    project, problems = check_config_only(path)
    if privacy_report:
        _privacy_report(app, project, problems)
        return
    if project is not None:
        app.project = project  # type: ignore[misc]
        click.get_current_context().call_on_close(project.close)  # keep what it computed
        problems = run_checks(project)
    failing = [p for p in problems
               if p.severity == "error" or (fatal and p.severity == "warning")]
    if app.as_json:
        app.print_json({"ok": not failing, "problems": [p.as_dict() for p in problems]})
    else:
        for p in problems:
            where = f"{p.file}:{p.line}: " if p.file and p.line else (f"{p.file}: " if p.file else "")
            colour = "red" if p in failing else ("cyan" if p.severity == "note" else "yellow")
            app.line(f"[{colour}]{{}}[/{colour}]: {{}}{{}}", p.kind, where, p.message)
            if p.hint:
                app.line(f"  hint: {p.hint}")
        if project is not None:
            n = len(project.posts)
            posts = f"{n} post{'s' * (n != 1)}"
            if failing:
                app.info(f"{posts} read; {len(failing)} problem{'s' * (len(failing) != 1)} to fix.")
            else:
                app.info("[green]OK[/green]: schedule.yaml and {} look good.", posts)
    if failing:
        raise SystemExit(1)


def _privacy_report(app: App, project: object, problems: list) -> None:
    """``check --privacy-report``: every finding for a person to review; exit 1 if any blocks."""
    from ..actions.check import privacy_report

    if project is None:  # schedule.yaml is broken: say so like `check` does
        for p in problems:
            app.console.print(f"[red]{p.kind}[/red]: {p.file}:{p.line}: {p.message}",
                              soft_wrap=True)
        raise SystemExit(1)
    rows = privacy_report(project)  # type: ignore[arg-type]
    blocking = [r for r in rows if not r.approved_by]
    unread = len(project.errors)  # type: ignore[attr-defined]
    if unread:
        app.err.print(f"{unread} post file{'s' * (unread != 1)} could not be read and "
                      f"{'were' if unread != 1 else 'was'} not scanned; run `trustpublish check`")
    if app.as_json:
        app.print_json({"ok": not blocking, "findings": [r.as_dict() for r in rows]})
    elif not rows:
        n = len(project.posts)  # type: ignore[attr-defined]
        app.info(f"[green]OK[/green]: the privacy guard found nothing in {n} "
                 f"post{'s' * (n != 1)}.")
    else:
        from rich.table import Table

        table = Table(title="Privacy findings", show_lines=False)
        for column in ("where", "field", "kind", "confidence", "text", "status", "approve with"):
            table.add_column(column, overflow="fold")
        root = Path.cwd()
        for r in rows:
            try:
                where = f"{Path(r.file).relative_to(root)}:{r.line}"
            except ValueError:
                where = f"{r.file}:{r.line}"
            status = f"approved ({r.approved_by})" if r.approved_by else "[red]blocks[/red]"
            table.add_row(where, r.field, r.kind, r.confidence, r.text, status, r.key)
        app.console.print(table)
        app.info(f"{len(rows)} finding{'s' * (len(rows) != 1)}, {len(blocking)} blocking.")
    if blocking:
        raise SystemExit(1)


@click.command()
@click.argument("post")
@click.pass_obj
def split(app: App, post: str) -> None:
    """Show the excerpts POST (a slug or a file) is cut into."""
    project = app.project
    the_post = project.post(post)
    excerpts = project.excerpts(the_post)
    if app.as_json:
        app.print_json([
            {"id": e.id, "title": e.title, "position": e.position, "total": e.total,
             "words": e.words, "text": e.text, "teaser": e.teaser, "url": e.url,
             "anchor": e.anchor}
            for e in excerpts
        ])
        return
    from rich.table import Table

    table = Table(title=cell(f"{the_post.title} — {len(excerpts)} excerpts"), show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("id", overflow="fold", min_width=24)
    table.add_column("title")
    table.add_column("words", justify="right")
    table.add_column("teaser")
    lo, hi = project.config.split.min_words, project.config.split.max_words
    for e in excerpts:
        words = cell(e.words)
        if not lo <= e.words <= hi:
            words.stylize("yellow")
        table.add_row(cell(e.position), cell(e.id.split("/", 1)[1]), cell(e.title), words,
                      cell(e.teaser))
    app.table(table)


@click.command("import")
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the Markdown post (default: posts/<slug>.md).")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the Markdown instead of writing it.")
@click.pass_obj
def import_(app: App, source: str, output: Path | None, to_stdout: bool) -> None:
    """Convert SOURCE (a .txt or .html file, or an http(s) URL) into a Markdown post."""
    from ..actions.importer import import_source
    from ..content.readers.markdown import write_markdown

    defaults = None
    posts_dir = Path("posts")
    try:
        project = app.project
        defaults, posts_dir = project.config.defaults, project.posts_dir
    except Exception:  # noqa: BLE001 - import also works outside a project
        pass
    post = import_source(source, defaults)
    markdown = write_markdown(post)
    if to_stdout:
        click.echo(markdown, nl=False)
        return
    target = output or posts_dir / f"{post.slug}.md"
    if target.exists():
        from ..errors import TrustpublishError

        raise TrustpublishError(f"{target} already exists",
                                hint="pass -o NEW_FILE.md, or --stdout to see the result")
    if app.dry_run:
        app.info(f"would write {target} ({len(post.body)} blocks)")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(markdown, encoding="utf-8")
    app.info("Wrote [bold]{}[/bold] (status: draft). Review it, then set `status: approved`.",
             target)
