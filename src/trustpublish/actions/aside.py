"""One builder in a forked child while this process runs the others (first builds).

A build that has just parsed many posts ends with work for one core: the feeds, then
the email previews and the preview site. Then the feeds are built in a child forked
from this process (it sees the same project: posts, parsed records, settings) while
this process builds the rest. The child flushes its files to the disk and sends back
the files and what the content index learned (:meth:`~trustpublish.workspace.index.
ContentIndex.changes_since`). If it fails in any way (an error, a crash, a kill), this
process runs the builder itself, so nothing is missing and an error reads as always.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..workspace.project import Project

__all__ = ["Aside", "FORK_FROM", "worth_it"]

#: posts parsed by this run from which a builder is worth a process of its own
FORK_FROM = 200


def worth_it(project: "Project", names: list[str]) -> bool:
    """True when ``feeds`` and another builder run after a large parse, on a machine
    with another core, in a process with no other thread (forking one is unsafe)."""
    import threading

    return ("feeds" in names and len(names) > 1 and hasattr(os, "fork")
            and (os.cpu_count() or 1) > 1 and threading.active_count() == 1
            and project.index.parsed >= FORK_FROM)


class Aside:
    """``builder(project, now)`` running in a forked child; :meth:`result` gives its files."""

    def __init__(self, project: "Project", now: dt.datetime,
                 builder: Callable[["Project", dt.datetime], list[Path]]) -> None:
        import gc
        import sys

        self.project, self.now, self.builder = project, now, builder
        mark = project.index.mark()
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # the child's collector leaves the shared objects (and their pages) alone
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(read)
            self._child(write, mark)
        os.close(write)
        self._pipe = read

    def _child(self, out: int, mark: Any) -> None:
        import marshal

        from ..files import synced_together

        status = 1
        try:
            with synced_together(own=True):
                files = self.builder(self.project, self.now)
            data = marshal.dumps({"files": [str(p) for p in files],
                                  "changes": self.project.index.changes_since(mark)})
            with os.fdopen(out, "wb") as pipe:
                pipe.write(data)
            status = 0
        except BaseException:  # reported by the parent building it again
            pass
        finally:
            os._exit(status)

    def result(self) -> list[Path]:
        """The child's files (its index changes taken into this process's index); if the
        child failed, the builder's files from running it here."""
        import marshal

        with os.fdopen(self._pipe, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if os.waitstatus_to_exitcode(status) == 0 and data:
            try:
                report = marshal.loads(data)
            except (ValueError, EOFError, TypeError):
                report = None
            if isinstance(report, dict):
                self.project.index.take(report["changes"])
                return [Path(p) for p in report["files"]]
        return self.builder(self.project, self.now)

    def abandon(self) -> None:
        """Stop the child (this process is failing): kill it and reap it."""
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        try:
            os.close(self._pipe)
        except OSError:
            pass
