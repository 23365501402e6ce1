"""The parsed records' temporary file (workspace/spill.py): what goes in comes out, the
file is private and unnamed, and without a usable temporary folder the records stay in
memory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from trustpublish.workspace.spill import RecordFile


def _records(n: int) -> dict[str, tuple[bytes, bytes]]:
    return {f"/posts/{i}.md": (os.urandom(i * 37 % 5000), bytes([i % 256]) * (i * 11 % 700))
            for i in range(n)}


def test_records_come_back_as_they_went_in_from_an_unnamed_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    store, records = RecordFile(), _records(300)
    for key, record in records.items():
        store.put(key, record)
    assert list(tmp_path.iterdir()) == []  # unlinked at once: no other process can open it
    for key in reversed(list(records)):
        assert key in store and store.get(key) == records[key]
    assert store.get("/posts/missing.md") is None and "/posts/missing.md" not in store
    opened = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
              if os.path.exists(f"/proc/self/fd/{fd}")]
    assert any(str(tmp_path) in target for target in opened)
    store.close()
    assert store.get("/posts/1.md") is None


def test_without_a_temporary_folder_the_records_stay_in_memory(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    store, records = RecordFile(), _records(20)
    for key, record in records.items():
        store.put(key, record)
    assert all(store.get(key) == record for key, record in records.items())
