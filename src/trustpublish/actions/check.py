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
from ..render.social import ELLIPSIS, fit_excerpt, fit_text

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["Problem", "CHECKS", "run_checks", "problem_from_error"]


@dataclass(frozen=True)
class Problem:
    """One finding. ``severity`` is ``error`` (blocks publishing), ``warning`` (fails
    ``check --fatal`` only) or ``note`` (information: never fails a run, not even with
    ``--fatal``)."""

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
    """Approved posts must give at least one excerpt; an excerpt over ``max_words`` (one
    list item, table row or line that cannot be cut) is a warning."""
    limit = project.config.split.max_words
    for post in project.posts:
        if not post.approved:
            continue
        excerpts = project.excerpts(post)
        if not excerpts:
            yield Problem("Content error", "the post gives no excerpts (no text paragraphs)",
                          str(post.source), 1, "write some paragraphs under the headings")
        for excerpt in excerpts:
            if excerpt.words > limit:
                line = next((b.line for b in excerpt.blocks if b.kind != "heading" and b.line),
                            None)
                yield Problem(
                    "Excerpt", f"excerpt {excerpt.id} has {excerpt.words} words (max {limit}): "
                    "it is one block that cannot be cut", str(post.source), line,
                    "break that list item, row or paragraph into shorter ones",
                    severity="warning")


def check_notes(project: "Project") -> Iterable[Problem]:
    """What the readers noticed but did not refuse (fields of other tools, no date yet)."""
    for post in project.posts:
        for line, message in post.notes:
            yield Problem("Note", message, str(post.source), line, severity="note")


def check_channel_budgets(project: "Project") -> Iterable[Problem]:
    """Every approved excerpt fits every configured social channel (docs/guarantees.md)."""
    return budget_problems(project)


def check_privacy(project: "Project") -> Iterable[Problem]:
    """The privacy guard: patient-identifying details block a post until fixed or approved."""
    from ..content.privacy import blocking_findings, rules_for

    rules = rules_for(project.config)
    for post in project.posts:
        for finding in blocking_findings(post, rules):
            yield Problem(
                "Privacy", f"possible {finding.kind} {finding.text!r}: this post will not be "
                "published until it is removed or approved", str(post.source), finding.line,
                f"if it is not about a patient (e.g. the clinic's own number), add "
                f"`privacy_ok: [\"{finding.key}\"]` to the front matter")


def check_post_channels(project: "Project") -> Iterable[Problem]:
    """A post's ``channels:`` names only channels defined in schedule.yaml."""
    return post_channel_problems(project)


def check_environment(project: "Project") -> Iterable[Problem]:
    """``TRUSTPUBLISH_*`` values with CR/LF or other control characters (named, never shown)."""
    from ..env import check_environment as refuse_control_characters

    refuse_control_characters()
    return ()


def check_state(project: "Project") -> Iterable[Problem]:
    """``state.url`` (or ``TRUSTPUBLISH_STATE_URL``) is a database URL whose driver is installed."""
    from ..deliver.db import check_state_url
    from ..env import checked_value

    if checked_value("TRUSTPUBLISH_STATE_URL"):
        check_state_url(checked_value("TRUSTPUBLISH_STATE_URL"),
                        key_path="TRUSTPUBLISH_STATE_URL")
    elif "url" in (project.config.raw.get("state") or {}):
        config = project.config
        check_state_url(config.raw["state"]["url"], file=config.path, key_path="state.url",
                        line=config.lines.line_of("state.url"))
    return ()


def check_timetable(project: "Project") -> Iterable[Problem]:
    """A warning for each timetable entry that can never fire (``0 9 31 2 *``)."""
    import datetime as dt

    from ..plan.timetable import never_fires, parse_timetable

    config = project.config
    now = dt.datetime.now(dt.timezone.utc)  # only bounds the search; any start would do
    for entry in parse_timetable(config.timetable, list(config.channels)):
        if never_fires(entry, now):
            where = f"timetable[{entry.index}].cron"
            yield Problem("Timetable", f"{where}: {entry.spec[0]!r} never fires (no such date "
                          "in any year)", str(config.path), config.lines.line_of(where),
                          "check the day and month fields, e.g. February has no 30th or 31st",
                          severity="warning")


def check_dkim(project: "Project") -> Iterable[Problem]:
    """For each email channel that signs with DKIM: the key loads, and the DNS record to publish."""
    from ..channels.dkim import signer_for

    for name, options in project.config.channels.items():
        signer = signer_for(name, options, project.root)
        if signer is not None:
            yield Problem("DKIM", f"channel {name} signs its mail: publish this TXT record at "
                          f"{signer.record_name}: \"{signer.dns_record()}\"",
                          str(project.config.path), project.config.lines.line_of(
                              f"channels.{name}.dkim"), severity="note")


CHECKS: list[Callable[["Project"], Iterable[Problem]]] = [check_environment, check_state,
                                                          check_timetable, check_posts,
                                                          check_notes, check_excerpts,
                                                          check_privacy, check_channel_budgets,
                                                          check_post_channels, check_dkim]


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
    """A Problem for every approved excerpt that does not fit a configured social channel.

    Fitting cuts the text down to at most an ellipsis, so an excerpt fails only when even
    "…" with its link, title and tags is over the limit: that one render is tried first,
    and the full fitting (a dozen renders) runs only to describe a failure. This keeps
    ``check`` fast on long posts (thousands of excerpts).
    """
    problems: list[Any] = []
    social = {name: cfg for name, cfg in project.config.channels.items()
              if cfg.get("type") in SOCIAL_TYPES}
    templates, state_dir = project.templates_dir, project.state_dir  # resolved once
    for post in project.posts:
        if not post.approved:
            continue
        targets = [n for n in social if post.channels is None or n in post.channels]
        for excerpt in project.excerpts(post):
            for name in targets:
                least = fit_text([ELLIPSIS], str(social[name].get("type", "")), name,
                                 social[name], link=excerpt.link(name), title=excerpt.title,
                                 tags=post.tags, templates=templates, state_dir=state_dir)
                if least.fits:
                    continue
                fitted = fit_excerpt(excerpt, name, social[name], tags=post.tags,
                                     templates=templates, state_dir=state_dir)
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
