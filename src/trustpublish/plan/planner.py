"""Slots + approved excerpts + what the ledger already holds → the plan (pure).

Each channel has its own queue: the excerpts of approved posts, in post order
(post date, then slug; excerpts in their order in the post), limited to the
channels a post names in ``channels:`` (when it names any). A slot takes the next
excerpt(s) of its channel's queue whose post may be published at the slot's time
(``publish_after``); an excerpt that must wait keeps its place for later slots.
A slot of a ``digest`` channel (email) takes ``excerpts_per_issue`` excerpts
(default 2) and becomes one digest issue, numbered per channel; other channels take
one excerpt. What kind each channel is (``post``, ``digest``, ``feed``) is given as
data by the caller, from the channel classes (docs/channels.md). A slot the ledger already recorded keeps what it recorded, so a
restart never reassigns; excerpts taken by a recorded slot (unless it was missed)
leave the queue. A slot that finds nothing to send is planned as ``empty``.

Holding and skipping (recorded in the project files, see the README): a post's
``hold:`` keeps named excerpts out of named channels (:attr:`Candidate.held`): that
channel's queue leaves them out, every other channel's keeps them, and removing the
hold puts them back in their place. A slot marked ``skipped`` by its timetable entry's
``skip:`` is planned as ``skipped`` and takes nothing, so the next slot takes what it
would have taken. A recorded slot keeps what it recorded, held or skipped or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..content.model import Excerpt, Post
from .issues import excerpts_per_issue, issue_id

if TYPE_CHECKING:  # the timetable loads when a plan is made (a remembered plan needs none)
    from .timetable import Entry, Slot

__all__ = ["Candidate", "Queue", "Recorded", "PlannedDelivery", "candidates", "plan", "issue_item",
           "take_count", "held_from", "plan_window"]


@dataclass(frozen=True)
class Candidate:
    """An excerpt that may be scheduled; ``held`` names the channels its post's ``hold:``
    keeps it out of."""

    excerpt_id: str
    post_slug: str
    publish_after: dt.datetime | None
    channels: tuple[str, ...] | None
    held: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Recorded:
    """A slot as the ledger recorded it."""

    channel: str
    when: dt.datetime
    item: str
    excerpts: tuple[str, ...]
    state: str
    issue_number: int | None = None


@dataclass(frozen=True)
class PlannedDelivery:
    """What one slot sends. ``item`` is an excerpt id or a digest issue id ("" when empty)."""

    when: dt.datetime
    channel: str
    item: str
    state: str
    excerpts: tuple[str, ...] = ()
    entry: str = ""
    issue_number: int | None = None
    local: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"when": (self.local or self.when).isoformat(), "channel": self.channel,
                "item": self.item or None, "state": self.state, "excerpts": list(self.excerpts),
                "entry": self.entry}


class Queue(Iterable[Candidate]):
    """Candidates in post order, made only as far as someone reads them.

    ``source`` yields them once; every iteration of the queue replays what was made and
    continues from there, so each channel's queue in :func:`plan` can stop as soon as
    its slots are filled without making (splitting) the candidates behind them.
    """

    def __init__(self, source: Iterable[Candidate]) -> None:
        self._source = iter(source)
        self._made: list[Candidate] = []
        self.exhausted = False  # the source has been read to its end

    def _more(self) -> bool:
        made = None if self.exhausted else next(self._source, None)
        if made is None:
            self.exhausted = True
            return False
        self._made.append(made)
        return True

    def __iter__(self) -> Iterator[Candidate]:
        index = 0
        while index < len(self._made) or self._more():
            yield self._made[index]
            index += 1

    @property
    def made(self) -> int:
        """How many candidates have been made so far (how far the queue was read)."""
        return len(self._made)

    def head(self, count: int) -> list[Candidate]:
        """The first ``count`` candidates (fewer when the queue is shorter)."""
        while len(self._made) < count and self._more():
            pass
        return self._made[:count]


def candidates(posts: Iterable[Post], excerpts_of: Any,
               allowed: Callable[[Post], bool] = lambda p: p.approved) -> Queue:
    """Queue material: excerpts of the ``allowed`` posts (default: approved) in post order.

    ``excerpts_of(post)`` is called for a post only when the queue is read that far."""
    ordered = sorted((p for p in posts if allowed(p)), key=lambda p: (p.date, p.slug))
    return Queue(Candidate(e.id, p.slug, p.publish_after, p.channels, held_from(p, e.id))
                 for p in ordered for e in excerpts_of(p))


def _queue_of(channel: str, queue: Iterable[Candidate], gone: set[str]) -> Iterator[Candidate]:
    """The candidates of ``queue`` that ``channel`` may take, in order."""
    for candidate in queue:
        if candidate.excerpt_id not in gone and channel not in candidate.held and (
                candidate.channels is None or channel in candidate.channels):
            yield candidate


class _ChannelQueue:
    """One channel's waiting candidates: read from the shared queue only as far as its
    slots take, so the excerpts of posts no slot reaches are never made."""

    def __init__(self, source: Iterator[Candidate]) -> None:
        self._source = source
        self._waiting: list[Candidate] = []

    def take(self, when: dt.datetime, want: int) -> list[Candidate]:
        """The first ``want`` waiting candidates that may be published at ``when``, in
        queue order (they leave the queue; those that must wait keep their place)."""
        taken: list[Candidate] = []
        index = 0
        while len(taken) < want:
            if index == len(self._waiting):
                made = next(self._source, None)
                if made is None:
                    break
                self._waiting.append(made)
            candidate = self._waiting[index]
            if candidate.publish_after is None or candidate.publish_after <= when:
                taken.append(self._waiting.pop(index))
            else:
                index += 1
        return taken


def held_from(post: Post, excerpt_id: str) -> frozenset[str]:
    """The channels ``post``'s ``hold:`` keeps ``excerpt_id`` out of (named by its full id
    ``slug/anchor`` or by its anchor alone)."""
    if not post.hold:
        return frozenset()
    anchor = excerpt_id.split("/", 1)[-1]
    return frozenset(channel for channel, refs in post.hold
                     if excerpt_id in refs or anchor in refs)


def issue_item(channel: str, number: int) -> str:
    """The item id of digest issue ``number`` of an email channel (``newsletter-0001``)."""
    return issue_id(channel, number)


def take_count(options: Mapping[str, Any], name: str = "", kind: str = "post") -> int:
    """Excerpts a slot takes: ``excerpts_per_issue`` (default 2) for a digest, else 1."""
    if kind == "digest":
        return excerpts_per_issue(name, options)
    return 1


def plan(slots: Sequence[Slot], queue: Iterable[Candidate], channels: Mapping[str, Mapping[str, Any]],
         recorded: Sequence[Recorded] = (), *, kinds: Mapping[str, str]) -> list[PlannedDelivery]:
    """The plan for ``slots`` (sorted by time); recorded slots keep their recorded item and state.

    ``queue`` is read once per channel, and only as far as that channel's slots take
    (pass a :class:`Queue` to make candidates on demand).

    ``kinds`` maps channel names to their kind (``Project.channel_kinds()``); a channel
    missing from it is a ``post`` channel.
    """
    by_slot = {(r.channel, r.when): r for r in recorded}
    issues: dict[str, int] = {}
    consumed: dict[str, set[str]] = {}
    for r in recorded:
        if r.state != "missed":
            consumed.setdefault(r.channel, set()).update(r.excerpts)
        if r.issue_number:
            issues[r.channel] = max(issues.get(r.channel, 0), r.issue_number)
    if isinstance(queue, Iterator):  # read once per channel: a one-pass iterator is kept
        queue = Queue(queue)
    queues: dict[str, _ChannelQueue] = {}
    result: list[PlannedDelivery] = []
    for slot in slots:
        name, options = slot.channel, channels.get(slot.channel, {})
        done = by_slot.get((name, slot.when))
        if done is not None:
            result.append(PlannedDelivery(slot.when, name, done.item, done.state, done.excerpts,
                                          slot.entry, done.issue_number, slot.local))
            continue
        if options.get("enabled", True) is False or slot.skipped:
            result.append(PlannedDelivery(slot.when, name, "", "skipped", (), slot.entry, None, slot.local))
            continue
        if name not in queues:
            queues[name] = _ChannelQueue(_queue_of(name, queue, consumed.get(name, set())))
        kind = kinds.get(name, "post")
        taken = queues[name].take(slot.when, take_count(options, name, kind))
        if not taken:
            result.append(PlannedDelivery(slot.when, name, "", "empty", (), slot.entry, None, slot.local))
            continue
        ids = tuple(c.excerpt_id for c in taken)
        number = None
        if kind == "digest":
            number = issues.get(name, 0) + 1
            issues[name] = number
            item = issue_item(name, number)
        else:
            item = ids[0]
        result.append(PlannedDelivery(slot.when, name, item, "planned", ids, slot.entry, number, slot.local))
    return result


def plan_window(entries: Sequence[Entry], zone: Any, queue: Iterable[Candidate],
                channels: Mapping[str, Mapping[str, Any]], recorded: Sequence[Recorded],
                *, kinds: Mapping[str, str], start: dt.datetime, end: dt.datetime,
                now: dt.datetime) -> list[PlannedDelivery]:
    """The planned deliveries of the timetable ``entries`` in [start, end).

    Slots are planned from ``now`` when ``start`` is later, so the window shows what
    the slots before it will have taken (slots take excerpts in time order)."""
    from .timetable import expand

    slots = expand(list(entries), zone, min(start, now), end)
    return [p for p in plan(slots, queue, channels, recorded, kinds=kinds) if p.when >= start]


def excerpt_index(posts: Iterable[Post], excerpts_of: Any) -> dict[str, tuple[Post, Excerpt]]:
    """Excerpt id → (post, excerpt) for every post (approved or not)."""
    return {e.id: (p, e) for p in posts for e in excerpts_of(p)}
