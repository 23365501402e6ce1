"""Parsed posts' records kept in a private temporary file instead of in memory.

A parse gives, per post, an encoded record (its blocks, excerpts and feed HTML, see
:mod:`.parse`) that later stages of the same process may need: the feeds read every
published post's once, the previews a few posts' blocks. Kept as ``bytes`` objects they
would stay in the process's memory for the whole command (about 25 KB per post of
2,000 words); kept here they cost the operating system's page cache instead, and one
``pread`` of the part needed each time it is used (nothing read is kept here).

The file is an unnamed temporary file (:func:`tempfile.TemporaryFile`: created with
mode 0600 and unlinked at once on Linux, so no other process can open it) that goes
away when this process closes it or ends. When no temporary file can be made (no
writable temporary folder), the records stay in memory: only memory depends on it.
"""

from __future__ import annotations

import os
import tempfile
from typing import IO

__all__ = ["RecordFile"]

Record = tuple[bytes, bytes]


class RecordFile:
    """Key → record (two byte strings), written once and read any number of times.

    Reading keeps nothing: each :meth:`part` reads the file again
    (:attr:`reads` counts them), so the bytes read live only as long as the caller holds
    them (in the in-memory fallback the records themselves stay, of course).
    """

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._at: dict[str, tuple[int, int, int]] = {}  # key → (offset, len part 1, len part 2)
        self._end = 0
        self._memory: dict[str, Record] | None = None  # when no file can be made
        self.reads = 0  # records or parts read back (from the file or from memory)

    def __contains__(self, key: object) -> bool:
        return key in self._at or (self._memory is not None and key in self._memory)

    def put(self, key: str, record: Record) -> None:
        """Keep ``record`` under ``key`` (a key is put at most once per process)."""
        if self._memory is None:
            try:
                if self._file is None:
                    self._file = tempfile.TemporaryFile(prefix="trustpublish-")
                first, second = record
                os.pwrite(self._file.fileno(), first + second, self._end)
                self._at[key] = (self._end, len(first), len(second))
                self._end += len(first) + len(second)
                return
            except OSError:
                self._memory = {}
        self._memory[key] = record

    def part(self, key: str, which: int) -> bytes:
        """Part ``which`` (0 or 1) of the record kept under ``key`` (KeyError if none): one
        read of that part's bytes only."""
        at = self._at.get(key)
        if at is None:
            if self._memory is None:
                raise KeyError(key)
            self.reads += 1
            return self._memory[key][which]
        offset, first, second = at
        return self._read(offset, first) if which == 0 else self._read(offset + first, second)

    def _read(self, offset: int, size: int) -> bytes:
        assert self._file is not None
        self.reads += 1
        data = os.pread(self._file.fileno(), size, offset)
        if len(data) != size:
            raise OSError(f"temporary record file cut short at {offset}")
        return data

    def close(self) -> None:
        """Drop every record (the file goes away)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._at.clear()
        self._memory = None
