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
from .state_check import check_state

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["Problem", "CHECKS", "run_checks", "problem_from_error", "PrivacyRow", "privacy_report"]


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
        words = project.excerpt_words(post)  # from the content cache: the file is not read
        if not words:
            yield Problem("Content error", "the post gives no excerpts (no text paragraphs)",
                          str(post.source), 1, "write some paragraphs under the headings")
        if max(words, default=0) <= limit:
            continue
        for excerpt in project.excerpts(post):
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
    from ..plan.privacy_rules import approval_keys, blocking_findings, rules_for, scan_post

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
    lines: dict[Path, list[str]] = {}
    for post in project.posts:
        for finding in project.blocking_findings(post):
            where = "" if finding.field == "body" else f" in `{finding.field}`"
            yield Problem(
                "Privacy", f"possible {finding.kind} {finding.text!r}{where}: this post will "
                "not be published until it is removed or approved", str(post.source),
                finding.line or _field_line(post.source, finding.field, lines),
                _privacy_hint(finding.kind, finding.key))


def check_post_images(project: "Project") -> Iterable[Problem]:
    """A post's local ``image:`` (not a URL) must be a file: adapters upload it."""
    import re

    from ..channels.api import image_candidates

    for post in project.posts:
        if not post.approved or not post.image:
            continue
        candidates = image_candidates(project.root, post.image)
        if not candidates or any(c.is_file() for c in candidates):
            continue
        try:
            source = post.source.read_text(encoding="utf-8")
            match = re.search(r"^\s*image\s*:", source, re.MULTILINE)
            line = source.count("\n", 0, match.start()) + 1 if match else 1
        except OSError:
            line = 1
        yield Problem("Content error", f"image: {post.image!r} is not a file (looked in "
                      f"{', '.join(str(c) for c in candidates[:2])})", str(post.source), line,
                      "put the picture there, or give its full https:// address")


def _key_line(path: Path, key: str) -> int:
    """The 1-based line of top-level front-matter ``key`` (YAML ``key:`` or TOML ``key =``)."""
    import re

    try:
        source = path.read_text(encoding="utf-8-sig")
    except OSError:
        return 1
    match = re.search(rf"^{re.escape(key)}[ \t]*[:=]", source, re.MULTILINE)
    return source.count("\n", 0, match.start()) + 1 if match else 1


def check_post_holds(project: "Project") -> Iterable[Problem]:
    """A post's ``hold:`` names channels of schedule.yaml and excerpts of that post."""
    import difflib

    known = list(project.config.channels)
    for post in project.posts:
        if not post.hold:
            continue
        line = _key_line(post.source, "hold")
        try:
            ids = [e.id for e in project.excerpts(post)]
        except TrustpublishError:
            continue  # reported by check_posts / check_excerpts
        anchors = [i.split("/", 1)[-1] for i in ids]
        for channel, refs in post.hold:
            if channel not in known:
                guess = difflib.get_close_matches(channel, known, n=1)
                yield Problem("Content error", f"hold: {channel!r} is not a channel in "
                              "schedule.yaml", str(post.source), line,
                              (f"did you mean `{guess[0]}`? " if guess else "")
                              + f"channels: {', '.join(known)}")
            for ref in refs:
                if ref in ids or ref in anchors:
                    continue
                guess = difflib.get_close_matches(ref.split("/", 1)[-1], anchors, n=1)
                yield Problem("Content error", f"hold.{channel}: {ref!r} is not an excerpt of "
                              "this post", str(post.source), line,
                              (f"did you mean `{guess[0]}`? " if guess else "")
                              + f"its excerpts: {', '.join(anchors[:8])}"
                              + (" …" if len(anchors) > 8 else "")
                              + f" (`trustpublish split {post.source.name}` lists them)")


def check_post_channels(project: "Project") -> Iterable[Problem]:
    """A post's ``channels:`` names only channels defined in schedule.yaml."""
    return post_channel_problems(project)


def check_environment(project: "Project") -> Iterable[Problem]:
    """``TRUSTPUBLISH_*`` values with CR/LF or other control characters (named, never shown)."""
    from ..env import check_environment as refuse_control_characters

    refuse_control_characters()
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
        yield from _skip_problems(project, entry)


def _skip_problems(project: "Project", entry: Any) -> Iterable[Problem]:
    """A warning for each ``skip:`` time that is not a slot of its entry (it skips nothing)."""
    import datetime as dt

    from ..plan.timetable import expand, is_slot_of, skip_instant, wall_text

    config, zone = project.config, project.config.zone
    for i, text in enumerate(entry.skips):
        when = skip_instant(text, zone)
        if is_slot_of(entry, when, zone):
            continue
        where = f"timetable[{entry.index}].skip[{i}]"
        plain = type(entry)(entry.index, entry.name, entry.channel, entry.kind, entry.spec)
        near = expand([plain], zone, when - dt.timedelta(days=8), when + dt.timedelta(days=8))
        best = min(near, key=lambda s: abs(s.when - when), default=None)
        yield Problem("Timetable", f"{where}: {text!r} is not a slot of {entry.name} (it "
                      "skips nothing)", str(config.path), config.lines.line_of(where),
                      (f"did you mean \"{wall_text(best.when, zone)}\"? " if best else "")
                      + "write the slot's wall time in site.timezone, or remove it "
                      f"(`trustpublish skip {entry.channel} {text} --release`)",
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
                                                          check_post_channels, check_dkim,
                                                          check_post_images, check_post_holds]


def run_checks(project: "Project") -> list[Problem]:
    """Run every registered check and collect the problems."""
    project.split_every_post()  # the excerpt checks read every post's excerpts
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


def budget_problems(project: "Project") -> list[Any]:
    """A Problem for every approved excerpt that does not fit a configured channel of kind
    ``post`` (digests and feeds have no text budget), counted by the channel class's rules.

    Fitting cuts the text down to at most an ellipsis, so an excerpt fails only when even
    "…" with its link, title and tags is over the limit: that one render is tried first,
    and the full fitting (a dozen renders) runs only to describe a failure. Each post's
    result is kept in the content cache under the inputs it was made from (the post's
    content, schedule.yaml, the templates, the channels' learned limits, the code), so
    ``check`` reads and splits only the posts whose inputs changed.
    """
    import datetime as dt
    import hashlib

    from .outputs import input_key

    problems: list[Any] = []
    social = project.channels_of_kind("post")
    rules = {name: project.text_rules(name) for name in social}
    context = input_key(project, "budget", dt.datetime.fromtimestamp(0, dt.timezone.utc), [],
                        {name: _identity(rule) for name, rule in rules.items()})
    index = project.index
    for post in project.posts:
        if not post.approved:
            continue
        key = hashlib.sha256(f"{context}\0{index.entry(post).get('sha', '')}".encode()
                             ).hexdigest()[:32]
        known = index.remembered(post, "budget", key)
        if known is None:
            known = [p.as_dict() for p in _post_budget(project, post, social, rules)]
            index.remember(post, "budget", key, known)
        problems.extend(Problem(**found) for found in known)
    return problems


def _identity(rules: Any) -> list[Any]:
    """A channel's text rules as stable JSON: values as they are, each function by where
    its code lives (module, owner, name, and the module file's size and time, so an
    edited plugin counts as new rules)."""
    import dataclasses
    import sys

    from .outputs import file_stamp

    out: list[Any] = []
    for field in dataclasses.fields(rules):
        value = getattr(rules, field.name)
        if callable(value):
            func = getattr(value, "__func__", value)
            module = getattr(func, "__module__", None) or ""
            file = getattr(sys.modules.get(module), "__file__", None)
            value = [module, getattr(getattr(value, "__self__", None), "__qualname__", ""),
                     getattr(func, "__qualname__", ""), file_stamp(Path(file)) if file else None]
        out.append([field.name, value if value is None or isinstance(
            value, (str, int, float, bool, list, tuple)) else repr(value)])
    return out


def _post_budget(project: "Project", post: Any, social: dict[str, dict[str, Any]],
                 rules: dict[str, Any]) -> list[Problem]:
    """:func:`budget_problems` of one post (its excerpts split and fitted now)."""
    from ..render.social import ELLIPSIS, fit_excerpt, fit_text

    problems = []
    templates = project.templates_dir
    targets = [n for n in social if post.channels is None or n in post.channels]
    for excerpt in project.excerpts(post) if targets else ():
        for name in targets:
            least = fit_text([ELLIPSIS], rules[name], name, social[name],
                             link=excerpt.link(name), title=excerpt.title, tags=post.tags,
                             templates=templates)
            if least.fits:
                continue
            fitted = fit_excerpt(excerpt, name, social[name], rules=rules[name],
                                 tags=post.tags, templates=templates)
            if not fitted.fits:
                worst = max(fitted.counts)
                problems.append(Problem(
                    "Too long", f"excerpt {excerpt.id} is {worst} {fitted.counted_as} for "
                    f"channel {name} (limit {fitted.limit}) even after cutting",
                    str(post.source), None,
                    f"shorten templates/{rules[name].templates[0]} or the tags"))
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
