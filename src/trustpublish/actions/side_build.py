"""Run some builders in a forked process while this one runs the others.

A first build of many posts ends with a second or two of rendering on one core: the
feeds (every post, every archive page) and the email previews (premailer) take about as
long as each other. So, for a project of at least :data:`FORK_FROM` posts, where
``fork`` is available and this process runs no other thread, the email preview and the
preview site are built by a child process (a copy of this one, made after the posts were
parsed and the plan made) while this process writes the feeds.

What the child adds that outlives it comes back through a pipe and is taken in here:
the content index's changes (output records, the previews' excerpts, posts split,
:meth:`~trustpublish.workspace.index.ContentIndex.changes_since`), the plans it made and
how far they read the queue. So the cache and the next build are exactly what they
would have been without the fork. The files each side writes are its own. An error in
the child is raised here, as it would have been raised by the builder itself.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["FORK_FROM", "SIDE", "can_fork", "SideBuild"]

#: at least this many posts before the side builders get a process of their own
FORK_FROM = 48
#: the builders that may run beside the others (their outputs are their own)
SIDE = ("email", "preview")

Builder = Callable[["Project", dt.datetime], list[Path]]


def can_fork() -> bool:
    """``fork`` is available and safe (Linux, no other thread in this process)."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


class SideBuild:
    """Builders run in a child process; :meth:`join` gives their files."""

    def __init__(self, project: "Project", now: dt.datetime, builders: dict[str, Builder]):
        self.project, self.now, self.builders = project, now, builders
        self._pid = 0
        self._pipe = -1

    def start(self) -> None:
        """Make what both sides share (the plan, the email issues' excerpts), then fork."""
        import gc

        from .email_previews import email_channels, next_issue
        from .planning import build_plan
        from ..render.preview import PREVIEW_DAYS

        project = self.project
        build_plan(project, self.now, PREVIEW_DAYS)
        for name, config in email_channels(project).items():
            next_issue(project, name, config, self.now)
        mark = project.index.mark()
        plans = set(project.memo)
        made = len(project.memo.get("plans-made", []))
        read, write = os.pipe()
        gc.freeze()  # the collector would copy every shared page it touches
        try:
            self._pid = os.fork()
        finally:
            gc.unfreeze()
        if self._pid == 0:  # the child: build, report, leave without unwinding
            os.close(read)
            self._child(write, mark, plans, made)
        os.close(write)
        self._pipe = read

    def _child(self, pipe: int, mark: dict[str, Any], plans: set[Any], made: int) -> None:
        project = self.project
        try:
            written = {name: builder(project, self.now) for name, builder in self.builders.items()}
            queue = project.memo.get("queue")
            payload: Any = ("ok", written, project.index.changes_since(mark), {
                "plans": {k: v for k, v in project.memo.items()
                          if k not in plans and isinstance(k, tuple) and k[0] == "build-plan"},
                "made": project.memo.get("plans-made", [])[made:],
                "reach": (queue.made, queue.exhausted) if queue is not None else (0, False)})
            data = pickle.dumps(payload)
        except BaseException as exc:  # raised again in the parent
            try:
                data = pickle.dumps(("error", exc))
            except Exception:
                data = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(pipe, view):]
        finally:
            os._exit(0)

    def join(self) -> dict[str, list[Path]]:
        """Wait for the child; take in what it added; its files by builder name."""
        with os.fdopen(self._pipe, "rb") as pipe:
            data = pipe.read()
        os.waitpid(self._pid, 0)
        if not data:
            raise RuntimeError("the process building the previews ended without a result")
        result = pickle.loads(data)  # noqa: S301 - our own child, through our own pipe
        if result[0] == "error":
            raise result[1]
        _, written, changes, planning = result
        project = self.project
        project.index.apply_changes(changes)
        project.memo.update(planning["plans"])
        project.memo.setdefault("plans-made", []).extend(planning["made"])
        made, exhausted = planning["reach"]
        if made:  # this process's queue read as far as the child's plans read it
            from ..workspace.queue_cache import load_candidates

            load_candidates(project).head(made + 1 if exhausted else made)
        return dict(written)
