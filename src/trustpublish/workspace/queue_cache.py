"""The planner's queue material, from the content index (kept for its callers).

Planning needs, per post, only its slug, whether it is publishable (approved and
clear of the privacy guard), ``publish_after``, ``channels``, ``hold`` and excerpt ids: all in
the content index's entries, so a post file that did not change is not read (see
:mod:`.index`; there is no separate queue cache any more).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..plan.planner import Candidate, held_from

if TYPE_CHECKING:
    from .project import Project

__all__ = ["load_candidates"]


def load_candidates(project: "Project") -> list[Candidate]:
    """Candidates in post order (date, slug) of the publishable posts."""
    return [Candidate(excerpt_id, post.slug, post.publish_after, post.channels,
                      held_from(post, excerpt_id))
            for post in project.posts if project.publishable(post)
            for excerpt_id in project.excerpt_ids(post)]
