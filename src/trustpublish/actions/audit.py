"""The audit log: every change made through the studio (who, what, when, file and line).

One JSON object per line in ``state/audit.jsonl`` (append-only, one ``write`` per entry,
flushed and fsynced), so ``git``, backups and ``grep`` all read it. ``trustpublish audit``
prints it. Entries never hold secrets: the studio logs user names, actions, ids and file
positions only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import StateError

__all__ = ["AuditEntry", "AuditLog", "AUDIT_NAME"]

AUDIT_NAME = "audit.jsonl"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class AuditEntry:
    """One change. ``at`` is ISO 8601 UTC; ``file``/``line`` name what changed on disk."""

    at: str
    user: str
    action: str
    target: str
    detail: str = ""
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


class AuditLog:
    """The audit log of one project (``state_dir/audit.jsonl``)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / AUDIT_NAME

    def record(self, *, user: str, action: str, target: str, now: dt.datetime,
               detail: str = "", file: str | None = None, line: int | None = None
               ) -> AuditEntry:
        """Append one entry (durably) and return it."""
        entry = AuditEntry(at=now.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
                           user=user, action=action, target=target, detail=detail,
                           file=file, line=line)
        data = (json.dumps(entry.as_dict(), ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _LOCK:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def __iter__(self) -> Iterator[AuditEntry]:
        """Entries oldest first. A damaged line is a StateError naming the file and line."""
        try:
            handle = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            return
        with handle:
            for number, text in enumerate(handle, 1):
                if not text.strip():
                    continue
                try:
                    raw = json.loads(text)
                    yield AuditEntry(**{k: raw.get(k) for k in AuditEntry.__dataclass_fields__
                                        if k in raw})
                except (ValueError, TypeError) as exc:
                    raise StateError(f"{self.path}:{number}: not an audit entry ({exc})",
                                     hint="the file is append-only; restore it from a backup "
                                          "or remove the damaged line") from None

    def latest(self, limit: int = 200, *, user: str | None = None) -> list[AuditEntry]:
        """The newest ``limit`` entries (optionally of one user), newest first."""
        entries = [e for e in self if user is None or e.user == user]
        return list(reversed(entries))[:limit]
