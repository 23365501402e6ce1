"""Files on disk: the one atomic-write helper and the one content hash.

* :func:`write_atomic` writes through a temporary file in the same folder and
  ``os.replace``, so a reader never sees half a file and a crash leaves the old one;
* :func:`write_if_changed` does that only when the bytes differ, so unchanged
  outputs keep their modification time (feed readers and rsync notice nothing);
* :func:`digest` is the stable hash every cache key is made of.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_atomic", "write_if_changed", "digest"]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly it; True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


def digest(*parts: Any) -> str:
    """A stable hash of ``parts`` (bytes used as is, anything else by its repr)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()
