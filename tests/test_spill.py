"""The parsed records' temporary file (workspace/spill.py): what goes in comes out, the
file is private and unnamed, and without a usable temporary folder the records stay in
memory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from trustpublish.workspace.spill import RecordFile


def _record(store: RecordFile, key: str) -> tuple[bytes, bytes]:
    return store.part(key, 0), store.part(key, 1)


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
        assert key in store and _record(store, key) == records[key]
    assert "/posts/missing.md" not in store
    with pytest.raises(KeyError):
        store.part("/posts/missing.md", 0)
    opened = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
              if os.path.exists(f"/proc/self/fd/{fd}")]
    assert any(str(tmp_path) in target for target in opened)
    store.close()
    assert "/posts/1.md" not in store
    with pytest.raises(KeyError):
        store.part("/posts/1.md", 0)


def test_without_a_temporary_folder_the_records_stay_in_memory(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    store, records = RecordFile(), _records(20)
    for key, record in records.items():
        store.put(key, record)
    assert all(_record(store, key) == record for key, record in records.items())


def test_a_part_is_read_alone_each_time_it_is_asked_for(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    store, records = RecordFile(), _records(50)
    for key, record in records.items():
        store.put(key, record)
    assert store.reads == 0
    for key, (first, second) in records.items():
        assert store.part(key, 1) == second and store.part(key, 0) == first
    assert store.reads == 2 * len(records)  # nothing read is kept: every ask is a read
    assert _record(store, "/posts/7.md") == records["/posts/7.md"]
    assert store.reads == 2 * len(records) + 2
    with pytest.raises(KeyError):
        store.part("/posts/missing.md", 0)


def test_parts_of_records_kept_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    store, records = RecordFile(), _records(5)
    for key, record in records.items():
        store.put(key, record)
    assert [store.part(k, 0) for k in records] == [r[0] for r in records.values()]
    assert [store.part(k, 1) for k in records] == [r[1] for r in records.values()]
    assert store.reads == 10
    with pytest.raises(KeyError):
        store.part("/posts/missing.md", 1)
