"""Hold one excerpt out of one channel, or skip one slot: recorded in the project files.

Shared by the studio and the ``trustpublish hold`` / ``trustpublish skip`` commands:

* :func:`hold_excerpt` adds (or, with ``release``, removes) the excerpt's anchor under the
  channel in the post's ``hold:`` front matter (exact in-place edit,
  :func:`~trustpublish.actions.frontmatter.set_mapping`): the planner leaves that excerpt
  out of that channel's queue only;
* :func:`skip_slot` adds (or removes) the slot's wall time in ``skip:`` of the timetable
  entry that makes the slot (:func:`~trustpublish.actions.schedule_edit.set_entry_list`):
  the slot sends nothing and the next slot takes what it would have taken. A slot the
  ledger already recorded cannot be skipped or released (history is never changed).

Both refuse a file changed since ``expected`` was taken, and return the
:class:`~trustpublish.actions.frontmatter.Edit` (file and line) for the audit log;
:func:`record` writes that audit entry.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import TYPE_CHECKING

from ..errors import ConfigError, ContentError, TrustpublishError
from ..plan.timetable import expand, is_slot_of, parse_timetable, wall_text
from .audit import AuditLog
from .frontmatter import Edit, fingerprint, set_mapping
from .schedule_edit import set_entry_list

if TYPE_CHECKING:
    from ..deliver.ledger import Ledger
    from ..workspace.project import Project

__all__ = ["hold_excerpt", "skip_slot", "slot_entry", "schedule_version", "record", "relative"]


def _channel(project: "Project", channel: str) -> None:
    known = list(project.config.channels)
    if channel not in known:
        guess = difflib.get_close_matches(channel, known, n=1)
        raise ConfigError(f"no channel {channel!r} in schedule.yaml",
                          hint=(f"did you mean `{guess[0]}`? " if guess else "")
                          + f"channels: {', '.join(known)}")


def relative(project: "Project", path: object) -> str:
    """``path`` relative to the project folder (for messages and the audit log)."""
    from pathlib import Path

    try:
        return str(Path(str(path)).resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def hold_excerpt(project: "Project", excerpt_id: str, channel: str, *, release: bool = False,
                 expected: str | None = None) -> Edit:
    """Keep ``excerpt_id`` (``slug/anchor``) out of ``channel`` (``release``: let it back in)."""
    from .review import editable

    _channel(project, channel)
    excerpt = project.excerpt(excerpt_id)  # a clear error (with did-you-mean) when unknown
    post = project.post(excerpt.post_slug)
    anchor = excerpt.id.split("/", 1)[-1]
    if not editable(post):
        raise ContentError("only Markdown posts can be changed here", file=post.source,
                           hint="run `trustpublish import FILE` to turn it into a Markdown post")
    mapping = {name: list(refs) for name, refs in post.hold}
    refs = [r for r in mapping.get(channel, []) if r not in (anchor, excerpt_id)]
    if not release:
        refs.append(anchor)
    mapping[channel] = refs
    return set_mapping(post.source, "hold", mapping, expected=expected)


def slot_entry(project: "Project", channel: str, when: dt.datetime) -> int:
    """The index of the timetable entry whose slot ``channel`` has at ``when`` (a clear error
    when there is none)."""
    _channel(project, channel)
    config = project.config
    entries = parse_timetable(config.timetable, list(config.channels))
    for entry in entries:
        if entry.channel == channel and is_slot_of(entry, when, config.zone):
            return entry.index
    local = wall_text(when, config.zone)
    week = dt.timedelta(days=8)
    near = expand([e for e in entries if e.channel == channel], config.zone, when - week,
                  when + week)
    best = min(near, key=lambda s: abs(s.when - when), default=None)
    raise ConfigError(f"{channel} has no slot at {local} ({config.site.timezone})",
                      file=config.path,
                      hint=(f"did you mean {wall_text(best.when, config.zone)}? " if best else "")
                      + "`trustpublish plan` lists the slots; write the wall time in "
                        "site.timezone, like 2026-12-08T09:00")


def _skip_naming(project: "Project", channel: str, when: dt.datetime) -> int | None:
    """The index of ``channel``'s timetable entry whose ``skip:`` names ``when`` (releasing
    works even for a skip that names no slot, which ``check`` warns about)."""
    from ..plan.timetable import skip_instant

    config = project.config
    for entry in parse_timetable(config.timetable, list(config.channels)):
        if entry.channel == channel and any(skip_instant(t, config.zone) == when
                                            for t in entry.skips):
            return entry.index
    return None


def schedule_version(project: "Project") -> str:
    """The fingerprint of schedule.yaml (forms carry it, like a post's version)."""
    return fingerprint(project.config.path)


def skip_slot(project: "Project", ledger: "Ledger", channel: str, when: dt.datetime, *,
              release: bool = False, expected: str | None = None) -> Edit:
    """Skip ``channel``'s slot at ``when`` (``release``: send it again) in schedule.yaml."""
    config = project.config
    index = _skip_naming(project, channel, when) if release else None
    if index is None:
        index = slot_entry(project, channel, when)
    local = wall_text(when, config.zone)
    for slot in ledger.slots(channel):
        if slot.when == when:
            state = "missed" if slot.state == "missed" else (
                "skipped" if slot.state == "skipped" else "recorded")
            raise TrustpublishError(
                f"the {channel} slot at {local} is already {state} in the ledger; a recorded "
                "slot keeps what it recorded, so it cannot be "
                + ("released" if release else "skipped"),
                hint="skip a later slot, or hold the excerpt out of the channel instead")
    raw = config.timetable[index]
    current = raw.get("skip") or []
    values = [str(v) for v in (current if isinstance(current, list) else [current])]
    from ..plan.timetable import skip_instant

    kept = [v for v in values if skip_instant(v, config.zone) != when]
    if not release:
        kept.append(local)
    if release and kept == values:
        return Edit(config.path, config.lines.line_of(f"timetable[{index}]") or 1, "", "",
                    fingerprint(config.path), changed=False)
    return set_entry_list(config.path, index, "skip", kept, expected=expected)


def record(project: "Project", *, user: str, action: str, target: str, edit: Edit,
           now: dt.datetime, detail: str = "") -> None:
    """Append the change to the audit log (who, what, when, file and line)."""
    if not edit.changed:
        return
    AuditLog(project.state_dir).record(user=user, action=action, target=target,
                                       detail=detail or edit.after.strip(), now=now,
                                       file=relative(project, edit.path), line=edit.line)
