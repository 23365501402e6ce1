"""The Jinja2 environment: the project's ``templates/`` first, the package defaults second.

Autoescaping is on for ``.html`` templates, undefined variables are errors, and any
template failure becomes a :class:`~trustpublish.errors.RenderError` naming the
template file and line. Rendering is pure: callers pass every value (including the
time) in the context.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ..errors import RenderError

__all__ = ["environment", "render", "template_error", "DEFAULTS_DIR", "renderer"]

DEFAULTS_DIR = Path(__file__).parent.parent / "templates"


@lru_cache(maxsize=8)
def environment(project_templates: Path | None = None) -> jinja2.Environment:
    """A cached environment for one project templates folder (None: defaults only)."""
    loaders: list[jinja2.BaseLoader] = []
    if project_templates is not None and Path(project_templates).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(project_templates)))
    loaders.append(jinja2.FileSystemLoader(str(DEFAULTS_DIR)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2"),
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def template_error(exc: Exception, name: str, *, post: str | None = None) -> RenderError:
    """Translate a Jinja2 exception into a RenderError with the template file and line."""
    line = getattr(exc, "lineno", None)
    filename = getattr(exc, "filename", None) or name
    if isinstance(exc, jinja2.UndefinedError):
        # The line of an undefined variable is in the traceback frames of the template.
        import traceback

        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith(name) or frame.filename == filename:
                filename, line = frame.filename, frame.lineno
                break
        return RenderError(f"unknown variable: {exc.message}", template=filename, line=line,
                           post=post, hint="check the spelling; `trustpublish templates vars` "
                                           "lists what each template receives")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return RenderError(f"template syntax error: {exc.message}", template=filename, line=line,
                           post=post, hint="check that every {% tag %} is closed")
    if isinstance(exc, jinja2.TemplateNotFound):
        return RenderError(f"template not found: {exc.name}", template=name, post=post)
    return RenderError(f"{type(exc).__name__}: {exc}", template=filename, line=line, post=post)


def renderer(name: str | list[str], *, templates: Path | None = None,
             post: str | None = None) -> Any:
    """A function ``context -> str`` for template ``name``, loaded once (for callers that
    render one template many times, like fitting a text to a budget). Errors as render()."""
    shown = name if isinstance(name, str) else " or ".join(name)
    try:
        template = environment(templates).get_or_select_template(name)
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        raise template_error(exc, shown, post=post) from exc

    def run(context: dict[str, Any]) -> str:
        try:
            return template.render(context)
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            raise template_error(exc, shown, post=post) from exc

    return run


def render(name: str | list[str], context: dict[str, Any], *, templates: Path | None = None,
           post: str | None = None) -> str:
    """Render template ``name`` (or the first that exists of a list) with ``context``.

    Errors become RenderError naming the template file and line.
    """
    try:
        return environment(templates).get_or_select_template(name).render(context)
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        shown = name if isinstance(name, str) else " or ".join(name)
        raise template_error(exc, shown, post=post) from exc
