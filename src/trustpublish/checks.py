"""``trustpublish check``: every problem in a project, each with file, line and fix.

A check is a function ``(project) -> Iterable[Problem]`` registered in ``CHECKS``;
later features (templates, channel budgets, privacy guard) add their own. A check
that raises a TrustpublishError is reported as a problem, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, ContentError, TrustpublishError

if TYPE_CHECKING:
    from .project import Project

__all__ = ["Problem", "CHECKS", "run_checks", "problem_from_error", "PrivacyRow", "privacy_report"]


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
    """Every approved excerpt fits every configured social channel (PRODUCT §4)."""
    from .channels.compose import budget_problems

    return budget_problems(project)


def _field_line(source: Path, field: str, cache: dict[Path, list[str]]) -> int:
    """The line of ``field:`` in a post's front matter (1 when it is not written there)."""
    if source not in cache:
        try:
            cache[source] = source.read_text(encoding="utf-8", errors="replace").splitlines()[:80]
        except OSError:
            cache[source] = []
    for number, text in enumerate(cache[source], start=1):
        if text.startswith(f"{field}:"):
            return number
    return 1


@dataclass(frozen=True)
class PrivacyRow:
    """One finding of the privacy report; ``approved_by`` is empty when it blocks."""

    file: str
    line: int
    field: str
    kind: str
    confidence: str
    text: str
    key: str
    approved_by: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field, "kind": self.kind,
                "confidence": self.confidence, "text": self.text, "key": self.key,
                "blocking": not self.approved_by, "approved_by": self.approved_by or None}


def privacy_report(project: "Project") -> list[PrivacyRow]:
    """Every privacy finding in every post, approved ones included, for a person to review."""
    from .privacy import approval_keys, blocking_findings, rules_for, scan_post

    rules = rules_for(project.config)
    rows: list[PrivacyRow] = []
    lines: dict[Path, list[str]] = {}
    for post in project.posts:
        findings = scan_post(post, rules)
        if not findings:
            continue
        blocking = set(blocking_findings(post, rules))
        in_post = {k for a in post.privacy_ok for k in approval_keys(a, rules.region)}
        for f in findings:
            line = f.line or _field_line(post.source, f.field, lines)
            by = "" if f in blocking else ("privacy_ok" if f.key in in_post else "site")
            rows.append(PrivacyRow(str(post.source), line, f.field, f.kind, f.confidence,
                                   f.text, f.key, by))
    return rows


def _privacy_hint(kind: str, key: str) -> str:
    approve = f"add `privacy_ok: [\"{key}\"]` to the front matter"
    if kind == "name":
        return (f"if this is not a client (an author you cite, a staff member), {approve}, or "
                "add the name to `privacy.allow` in schedule.yaml for every post")
    return f"if it is not about a patient (e.g. the clinic's own number), {approve}"


def check_privacy(project: "Project") -> Iterable[Problem]:
    """The privacy guard: patient-identifying details block a post until fixed or approved."""
    from .privacy import blocking_findings, rules_for

    rules = rules_for(project.config)
    lines: dict[Path, list[str]] = {}
    for post in project.posts:
        for finding in blocking_findings(post, rules):
            where = "" if finding.field == "body" else f" in `{finding.field}`"
            yield Problem(
                "Privacy", f"possible {finding.kind} {finding.text!r}{where}: this post will "
                "not be published until it is removed or approved", str(post.source),
                finding.line or _field_line(post.source, finding.field, lines),
                _privacy_hint(finding.kind, finding.key))


def check_post_channels(project: "Project") -> Iterable[Problem]:
    """A post's ``channels:`` names only channels defined in schedule.yaml."""
    from .planner import post_channel_problems

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
    from .project import Project
    from .readers import Defaults, read_posts

    try:
        return Project.load(config_path), []
    except ConfigError as exc:
        problems = [problem_from_error(exc)]
        result = read_posts(config_path.parent / "posts", Defaults())
        problems += [problem_from_error(e) for e in result.errors]
        return None, problems
    except ContentError as exc:  # pragma: no cover - defensive
        return None, [problem_from_error(exc)]
