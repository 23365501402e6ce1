"""The check every command runs before it starts: a database URL for the state
(``state.url`` or ``TRUSTPUBLISH_STATE_URL``) names a driver that is installed.

Apart from :mod:`.check` (which lists it with the others) so that a ``build`` does not
load every check to run this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["check_state"]


def check_state(project: "Project") -> tuple[()]:
    """``state.url`` (or ``TRUSTPUBLISH_STATE_URL``) is a database URL whose driver is installed."""
    from ..env import checked_value

    from_env = checked_value("TRUSTPUBLISH_STATE_URL")
    state = project.config.raw.get("state") or {}
    if not from_env and "url" not in state:
        return ()  # the local SQLite file: nothing to check (and no database driver to load)
    from ..deliver.db import check_state_url

    if from_env:
        check_state_url(from_env, key_path="TRUSTPUBLISH_STATE_URL")
    else:
        config = project.config
        check_state_url(state["url"], file=config.path, key_path="state.url",
                        line=config.lines.line_of("state.url"))
    return ()
