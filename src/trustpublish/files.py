"""Files on disk: the one atomic-write helper and the one content hash.

* :func:`write_atomic` writes through a temporary file in the same folder and
  ``os.replace``, so a reader never sees half a file and a crash leaves the old one;
* :func:`write_if_changed` does that only when the bytes differ, so unchanged
  outputs keep their modification time (feed readers and rsync notice nothing);
* :func:`synced_together` lets a batch of outputs reach the disk together at its end
  instead of one file at a time;
* :func:`digest` is the stable hash every cache key is made of.

File modes are explicit, never left to the umask: published output (``dist/``) is
:data:`PUBLIC_FILE` (0644) in :data:`PUBLIC_DIR` folders (0755), so a web server
running as another user can read it; private data (``state/``: the database with
subscribers, caches, the secret key; ``outbox/``: messages with addresses) is
:data:`PRIVATE_FILE` (0600) in :data:`PRIVATE_DIR` folders (0700).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from stat import S_ISREG
from typing import Any

__all__ = ["write_atomic", "write_if_changed", "synced_together", "digest", "code_key",
           "ensure_dir", "PUBLIC_FILE", "PUBLIC_DIR", "PRIVATE_FILE", "PRIVATE_DIR"]

#: the files written inside :func:`synced_together`, not yet flushed to the disk
_UNSYNCED: ContextVar[list[str] | None] = ContextVar("unsynced", default=None)

PUBLIC_FILE, PUBLIC_DIR = 0o644, 0o755
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


def _dir_mode_for(mode: int) -> int:
    return PRIVATE_DIR if mode & 0o077 == 0 else PUBLIC_DIR


def ensure_dir(path: Path, *, private: bool, fix_existing: bool = True) -> Path:
    """Create ``path`` (and missing parents) and give it the private or public folder mode.

    Parents created on the way get the same mode; an existing ``path`` is corrected
    (a state folder made 0755 by an older version becomes 0700) unless
    ``fix_existing`` is false (a folder the user chose, e.g. for a database file).
    Returns ``path``.
    """
    mode = PRIVATE_DIR if private else PUBLIC_DIR
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    path.mkdir(parents=True, exist_ok=True)
    for folder in {*missing, *([path] if fix_existing else [])}:
        try:
            os.chmod(folder, mode)
        except OSError:
            pass  # not ours (a shared folder): leave it
    return path


def write_atomic(path: Path, data: bytes, *, mode: int = PUBLIC_FILE) -> None:
    """Write ``data`` to ``path`` so readers never see a half-written file.

    The file gets ``mode`` (default 0644, for published output; pass
    :data:`PRIVATE_FILE` for state). A folder created for it gets the matching mode.
    It is on the disk when this returns, or, for published output written inside
    :func:`synced_together`, when that block ends (state is never left for later).
    """
    if not path.parent.is_dir():
        ensure_dir(path.parent, private=_dir_mode_for(mode) == PRIVATE_DIR)
    unsynced = _UNSYNCED.get() if mode & 0o077 else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if unsynced is None:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if unsynced is not None:
        unsynced.append(str(path))


def _sync(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return  # written, then removed in the same batch
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def synced_together() -> Iterator[None]:
    """Inside this block, :func:`write_atomic` (and :func:`write_if_changed`) do not wait
    for the disk after each published file (state files, private, still do); when the
    block ends, normally or by an error, every
    file written in it is flushed, several at once (the disk takes them in one go).

    For a batch of outputs whose record is saved after the batch (``build``: the
    content cache notes each output's size and time when the command ends). Readers
    still never see half a file; a crash inside the block can leave a file just
    written empty on the disk, but no saved record ever names such a file as written,
    so the next run writes it again. Blocks may nest (the outer one flushes).
    """
    if _UNSYNCED.get() is not None:
        yield
        return
    unsynced: list[str] = []
    token = _UNSYNCED.set(unsynced)
    try:
        yield
    finally:
        _UNSYNCED.reset(token)
        _sync_all(list(dict.fromkeys(unsynced)))  # a file written twice is flushed once


#: files up to which :func:`_sync_all` flushes one by one (about a millisecond each),
#: and the threads it uses for more
_SYNC_ALONE, _SYNC_THREADS = 8, 8


def _sync_all(paths: list[str]) -> None:
    """Flush ``paths``: a few (an edit) one by one, more from several threads at once.
    The first error (other than a file removed meanwhile) is raised once all are done."""
    if len(paths) <= _SYNC_ALONE:
        for path in paths:
            _sync(path)
        return
    import threading

    errors: list[BaseException] = []

    def flush(share: list[str]) -> None:
        for path in share:
            try:
                _sync(path)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                errors.append(exc)

    threads = [threading.Thread(target=flush, args=(paths[i::_SYNC_THREADS],))
               for i in range(_SYNC_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def write_if_changed(path: Path, data: bytes, *, mode: int = PUBLIC_FILE) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly it; True if written.

    An unchanged file keeps its bytes and time but gets ``mode`` if it had another.
    """
    try:
        if path.read_bytes() == data:
            if path.stat().st_mode & 0o777 != mode:
                os.chmod(path, mode)
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data, mode=mode)
    return True


def code_key(files: Iterable[Path], seed: str = "") -> str:
    """The key of the code in ``files``: SHA-256 of ``seed`` and each existing file's name,
    size and modification time (ns), in sorted order. That is the rule Python itself uses
    to tell a stale ``.pyc`` from its source: an edit or a reinstall changes it, and
    nothing is read but each file's status (a build keys several caches by ~120 files)."""
    h = hashlib.sha256(seed.encode())
    for file in sorted(files):
        try:
            stat = os.stat(file)
        except OSError:
            continue
        if S_ISREG(stat.st_mode):
            h.update(f"{file.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return h.hexdigest()


def digest(*parts: Any) -> str:
    """A stable hash of ``parts`` (bytes used as is, anything else by its repr)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()
