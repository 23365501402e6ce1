"""A content-addressed cache of parsed posts and excerpts, so unchanged work is not redone.

Values are keyed by a hash of their inputs (the file's bytes, the site defaults,
the split options) *and* of the source code that computes them, so a change to
either invalidates the entry. The cache lives in ``state/cache/content.pickle``;
it is only a speed-up: a missing, stale or unreadable file is ignored and rebuilt.
Entries not used in a run are dropped when it is saved, so it never grows stale.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..files import digest, ensure_dir

__all__ = ["ContentCache", "code_fingerprint", "digest"]

_FORMAT = 1


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the modules whose output is cached (readers, markup, split, text, model)."""
    here = Path(__file__).parent.parent / "content"
    files = sorted([*here.joinpath("readers").glob("*.py"),
                    *(here / name for name in ("markup.py", "split.py", "text.py", "model.py"))])
    h = hashlib.sha256(str(_FORMAT).encode())
    for file in files:
        h.update(file.read_bytes())
    return h.hexdigest()[:16]


class ContentCache:
    """A dict persisted with pickle; ``get``/``put`` by key, ``save`` when done."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._old: dict[str, Any] = {}
        self._new: dict[str, Any] = {}
        self._dirty = False
        if path is not None and path.is_file():
            try:
                with path.open("rb") as handle:
                    stored = pickle.load(handle)
                if stored.get("code") == code_fingerprint():
                    self._old = stored["entries"]
            except Exception:  # noqa: BLE001 - a broken cache is only a missed speed-up
                self._old = {}

    def get(self, key: str) -> Any | None:
        if key in self._new:
            return self._new[key]
        if key in self._old:
            self._new[key] = self._old[key]
            return self._new[key]
        return None

    def put(self, key: str, value: Any) -> None:
        self._new[key] = value
        self._dirty = True

    def save(self, *, prune: bool = False) -> None:
        """Write the cache atomically; ``prune`` (at the end of a run) drops unused entries."""
        if self.path is None or not (self._dirty or (prune and set(self._old) - set(self._new))):
            return
        entries = self._new if prune else {**self._old, **self._new}
        try:
            ensure_dir(self.path.parent, private=True)  # state modes: 0700 folder, 0600 file
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".cache-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump({"code": code_fingerprint(), "entries": entries}, handle,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            self._old, self._dirty = dict(entries), False
        except OSError:
            pass  # read-only state folder: run without the cache
