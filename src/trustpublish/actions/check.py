"""``trustpublish check``: every problem in a project, each with file, line and fix.

A check is a function ``(project) -> Iterable[Problem]`` registered in ``CHECKS``;
later features (templates, channel budgets, privacy guard) add their own. A check
that raises a TrustpublishError is reported as a problem, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ContentError, TrustpublishError
from ..render.social import fit_excerpt

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["Problem", "CHECKS", "run_checks", "problem_from_error"]


@dataclass(frozen=True)
class Problem:
    """One finding. ``severity`` is ``error`` (blocks publishing) or ``warning``."""

    kind: str
    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None
    severity: str = "error"

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "file": self.file, "line": self.line,
                "message": self.message, "hint": self.hint, "severity": self.severity}


def problem_from_error(exc: TrustpublishError) -> Problem:
    """A Problem carrying the error's file and line (message without the location prefix)."""
    file = getattr(exc, "file", None) or getattr(exc, "template", None)
    line = getattr(exc, "line", None)
    message = exc.message
    prefix = f"{file}:{line}: " if line else f"{file}: "
    if file is not None and message.startswith(prefix):
        message = message[len(prefix):]
    return Problem(kind=exc.kind, message=message, file=str(file) if file else None,
                   line=line, hint=exc.hint)


def check_posts(project: "Project") -> Iterable[Problem]:
    """Every post that cannot be read."""
    for error in project.errors:
        yield problem_from_error(error)


def check_excerpts(project: "Project") -> Iterable[Problem]:
    """Approved posts must give at least one excerpt."""
    for post in project.posts:
        if post.approved and not project.excerpts(post):
            yield Problem("Content error", "the post gives no excerpts (no text paragraphs)",
                          str(post.source), 1, "write some paragraphs under the headings")


def check_channel_budgets(project: "Project") -> Iterable[Problem]:
    """Every approved excerpt fits every configured social channel (docs/guarantees.md)."""
    return budget_problems(project)


def check_privacy(project: "Project") -> Iterable[Problem]:
    """The privacy guard: patient-identifying details block a post until fixed or approved."""
    for post in project.posts:
        for finding in project.blocking_findings(post):
            yield Problem(
                "Privacy", f"possible {finding.kind} {finding.text!r}: this post will not be "
                "published until it is removed or approved", str(post.source), finding.line,
                f"if it is not about a patient (e.g. the clinic's own number), add "
                f"`privacy_ok: [\"{finding.key}\"]` to the front matter")


def check_post_channels(project: "Project") -> Iterable[Problem]:
    """A post's ``channels:`` names only channels defined in schedule.yaml."""
    return post_channel_problems(project)


CHECKS: list[Callable[["Project"], Iterable[Problem]]] = [check_posts, check_excerpts,
                                                          check_privacy, check_channel_budgets,
                                                          check_post_channels]


def run_checks(project: "Project") -> list[Problem]:
    """Run every registered check and collect the problems."""
    problems: list[Problem] = []
    for check in CHECKS:
        try:
            problems.extend(check(project))
        except TrustpublishError as exc:
            problems.append(problem_from_error(exc))
    return problems


def check_config_only(config_path: Path) -> tuple["Project | None", list[Problem]]:
    """Load the project; a broken schedule.yaml is a problem, and posts are still read."""
    from ..content.readers import Defaults, read_posts
    from ..workspace.project import Project

    try:
        return Project.load(config_path), []
    except ConfigError as exc:
        problems = [problem_from_error(exc)]
        result = read_posts(config_path.parent / "posts", Defaults())
        problems += [problem_from_error(e) for e in result.errors]
        return None, problems
    except ContentError as exc:  # pragma: no cover - defensive
        return None, [problem_from_error(exc)]


#: channel types whose text is fitted (email and feeds have no text budget)
SOCIAL_TYPES = ("mastodon", "bluesky", "linkedin", "facebook", "telegram", "discord", "slack",
                "webhook")


def budget_problems(project: "Project") -> list[Any]:
    """A Problem for every approved excerpt that does not fit a configured social channel."""
    problems: list[Any] = []
    social = {name: cfg for name, cfg in project.config.channels.items()
              if cfg.get("type") in SOCIAL_TYPES}
    for post in project.posts:
        if not post.approved:
            continue
        targets = [n for n in social if post.channels is None or n in post.channels]
        for excerpt in project.excerpts(post):
            for name in targets:
                fitted = fit_excerpt(excerpt, name, social[name], tags=post.tags,
                                     templates=project.templates_dir,
                                     state_dir=project.state_dir)
                if not fitted.fits:
                    worst = max(fitted.counts)
                    problems.append(Problem(
                        "Too long", f"excerpt {excerpt.id} is {worst} {fitted.counted_as} for "
                        f"channel {name} (limit {fitted.limit}) even after cutting",
                        str(post.source), None,
                        f"shorten templates/social/{social[name]['type']}.txt.j2 or the tags"))
    return problems


def post_channel_problems(project: Any) -> list[Any]:
    """Problems for posts whose ``channels:`` list names a channel schedule.yaml lacks."""
    import difflib

    known = list(project.config.channels)
    problems = []
    for post in project.posts:
        for name in post.channels or ():
            if name not in known:
                guess = difflib.get_close_matches(name, known, n=1)
                problems.append(Problem(
                    "Content error", f"channels: {name!r} is not a channel in schedule.yaml",
                    str(post.source), 1, (f"did you mean `{guess[0]}`? " if guess else "")
                    + f"channels: {', '.join(known)}"))
    return problems
