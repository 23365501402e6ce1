"""Posts as a reviewer sees them, and the review actions (status, privacy approvals).

Shared by the studio and any command: :func:`post_rows` and :func:`post_view` read a
project; :func:`change_status` and :func:`approve_finding` edit the post's front matter
exactly (:mod:`trustpublish.actions.frontmatter`), refuse when the file changed since
``expected`` was taken, and return the :class:`~trustpublish.actions.frontmatter.Edit`
(file and line) for the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..content.model import STATUSES, Excerpt, Post
from ..plan.planner import held_from
from ..plan.privacy_rules import Finding, blocking_findings, rules_for, scan_post
from ..errors import ContentError, TrustpublishError
from .check import Problem, run_checks
from .frontmatter import Edit, add_to_list, fingerprint, set_flow_list, set_scalar

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["PostRow", "PostView", "post_rows", "post_view", "change_status", "approve_finding",
           "read_errors", "editable", "set_channels"]


@dataclass(frozen=True)
class PostRow:
    """One line of the posts list."""

    slug: str
    title: str
    file: str
    status: str
    date: str
    excerpts: int
    findings: int
    editable: bool


@dataclass
class PostView:
    """Everything the post page shows. ``version`` is the file's fingerprint at read time."""

    post: Post
    file: str
    version: str
    editable: bool
    excerpts: list[Excerpt]
    problems: list[Problem] = field(default_factory=list)
    blocking: list[Finding] = field(default_factory=list)
    approved_findings: list[Finding] = field(default_factory=list)
    held: dict[str, list[str]] = field(default_factory=dict)  # excerpt id → channels held from


def editable(post: Post) -> bool:
    """Only Markdown posts with front matter can be changed in place (.txt/.html: import)."""
    return post.source.suffix.lower() in (".md", ".markdown")


def _relative(project: "Project", path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def post_rows(project: "Project") -> list[PostRow]:
    """Every readable post, newest first, with its excerpt and blocking-finding counts."""
    rules = rules_for(project.config)
    rows = []
    for post in sorted(project.posts, key=lambda p: (p.date, p.slug), reverse=True):
        try:
            count = len(project.excerpts(post))
        except TrustpublishError:
            count = 0
        rows.append(PostRow(post.slug, post.title, _relative(project, post.source), post.status,
                            post.date.date().isoformat(), count,
                            len(blocking_findings(post, rules)), editable(post)))
    return rows


def read_errors(project: "Project") -> list[Problem]:
    """The posts that cannot be read, as problems with file and line."""
    from .check import problem_from_error

    problems = [problem_from_error(e) for e in project.errors]
    return [replace(p, file=_relative(project, Path(p.file))) if p.file else p for p in problems]


def _find(project: "Project", slug: str) -> Post:
    for post in project.posts:
        if post.slug == slug:
            return post
    raise TrustpublishError(f"no post {slug!r}", hint="it may have been renamed; reload the list")


def post_view(project: "Project", slug: str) -> PostView:
    """The post ``slug`` with its excerpts, check problems (file:line) and privacy findings."""
    post = _find(project, slug)
    source = post.source.resolve()
    problems = []
    for problem in run_checks(project):
        if problem.file and Path(problem.file).resolve() == source:
            problems.append(replace(problem, file=_relative(project, Path(problem.file))))
    rules = rules_for(project.config)
    blocking = blocking_findings(post, rules)
    keys = {f.key for f in blocking}
    try:
        excerpts = project.excerpts(post)
    except TrustpublishError:
        excerpts = []
    return PostView(post=post, file=_relative(project, post.source),
                    version=fingerprint(post.source), editable=editable(post),
                    excerpts=excerpts, problems=problems, blocking=blocking,
                    approved_findings=[f for f in scan_post(post, rules) if f.key not in keys],
                    held={e.id: [c for c in project.config.channels
                                 if c in held_from(post, e.id)] for e in excerpts})


def change_status(project: "Project", slug: str, status: str, *, expected: str | None) -> Edit:
    """Set the post's ``status:`` (draft, review or approved) in place."""
    if status not in STATUSES:
        raise ContentError(f"unknown status {status!r}", hint=f"use one of {', '.join(STATUSES)}")
    post = _find(project, slug)
    if not editable(post):
        raise ContentError("only Markdown posts can be approved", file=post.source,
                           hint="run `trustpublish import FILE` to turn it into a Markdown post")
    return set_scalar(post.source, "status", status, expected=expected)


def approve_finding(project: "Project", slug: str, key: str, *, expected: str | None) -> Edit:
    """Add one privacy finding's key to the post's ``privacy_ok:`` list in place."""
    post = _find(project, slug)
    rules = rules_for(project.config)
    if key not in {f.key for f in scan_post(post, rules)}:
        raise ContentError(f"the post has no privacy finding {key!r}", file=post.source,
                           hint="reload the page: the text may have changed")
    if not editable(post):
        raise ContentError("only Markdown posts can be changed here", file=post.source,
                           hint="run `trustpublish import FILE` to turn it into a Markdown post")
    return add_to_list(post.source, "privacy_ok", key, expected=expected)


def set_channels(project: "Project", slug: str, channels: list[str], *,
                 expected: str | None) -> Edit:
    """Keep the post to ``channels`` only (its ``channels:`` list), holding it out of the rest.

    The planner never gives a post's excerpts to a channel its list leaves out; slots the
    ledger already recorded keep what they recorded.
    """
    known = list(project.config.channels)
    unknown = [c for c in channels if c not in known]
    if unknown:
        raise ContentError(f"no channel {unknown[0]!r} in schedule.yaml",
                           hint=f"channels: {', '.join(known)}")
    if not channels:
        raise ContentError("a post needs at least one channel",
                           hint="send it back to draft to keep it out of every channel")
    post = _find(project, slug)
    if not editable(post):
        raise ContentError("only Markdown posts can be changed here", file=post.source,
                           hint="run `trustpublish import FILE` to turn it into a Markdown post")
    ordered = [c for c in known if c in channels]
    return set_flow_list(post.source, "channels", ordered, expected=expected)
