"""The planner's queue material, from the content index (kept for its callers).

Planning needs, per post, only its slug, whether it is publishable (approved and
clear of the privacy guard), ``publish_after``, ``channels``, ``hold`` and excerpt ids: all in
the content index's entries, so a post file that did not change is not read (see
:mod:`.index`; there is no separate queue cache any more). The queue is made lazily,
so only the posts the planner reaches are split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..plan.planner import Candidate, Queue, held_from

if TYPE_CHECKING:
    from .project import Project

__all__ = ["load_candidates", "queue_head"]


def load_candidates(project: "Project") -> Queue:
    """Candidates in post order (date, slug) of the publishable posts, made as far as
    they are read (a post is split only when its candidates are reached). One queue per
    project: it is made from the content index, which does not change in a project's
    life, and it shows how far every plan of this command read (:attr:`Queue.made`)."""
    queue = project.memo.get("queue")
    if queue is None:
        queue = project.memo["queue"] = Queue(
            Candidate(excerpt_id, post.slug, post.publish_after, post.channels,
                      held_from(post, excerpt_id))
            for post in project.posts if project.publishable(post)
            for excerpt_id in project.excerpt_ids(post))
    return queue


def queue_head(project: "Project", reach: tuple[int, bool]) -> list[Any]:
    """The queue as far as a plan read it, as JSON values (equal heads: equal plans).

    ``reach`` is (:attr:`Queue.made`, :attr:`Queue.exhausted`) after that plan. A planner
    that stopped before the end of the queue saw only its first ``made`` candidates, so
    posts behind them (and their text) do not matter; one that read to the end also
    saw that nothing followed, so one candidate more is compared. Only the posts inside
    that head are split: a build with a remembered plan splits no more than the build
    that made it (an edited post that had been split is split again when parsed)."""
    made, exhausted = reach
    return [[c.excerpt_id, c.post_slug, c.publish_after, c.channels, sorted(c.held)]
            for c in load_candidates(project).head(made + 1 if exhausted else made)]
