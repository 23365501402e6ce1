"""Published outputs written in a batch reach the disk together when the batch ends.

``os.fsync`` is wrapped with a recorder (it still flushes): each call notes the path
of the file it flushed, read from /proc/self/fd.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trustpublish.files import PRIVATE_FILE, synced_together, write_atomic, write_if_changed


@pytest.fixture
def flushed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = os.fsync

    def recording(fd: int) -> None:
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return seen


def test_outside_a_batch_each_file_is_flushed_before_it_is_in_place(tmp_path: Path,
                                                                     flushed: list[str]) -> None:
    write_atomic(tmp_path / "a.xml", b"a")
    assert len(flushed) == 1 and Path(flushed[0]).name.startswith(".tmp-")  # before the rename


def test_a_batch_flushes_its_outputs_when_it_ends(tmp_path: Path, flushed: list[str]) -> None:
    names = [tmp_path / "dist" / f"page-{i}.xml" for i in range(5)]
    with synced_together():
        for i, path in enumerate(names):
            write_atomic(path, f"page {i}".encode())
        assert write_if_changed(names[0], b"page 0 changed")
        assert not write_if_changed(names[1], b"page 1")  # same bytes: not written again
        # readers see every file whole at once; none has waited for the disk yet
        assert [p.read_bytes() for p in names[1:]] == [f"page {i}".encode() for i in range(1, 5)]
        assert flushed == []
        write_atomic(tmp_path / "state" / "record.json", b"{}", mode=PRIVATE_FILE)
        assert len(flushed) == 1  # state is flushed at once, never left for later
    assert sorted(flushed[1:]) == sorted(str(p) for p in names)  # each once


def test_an_error_inside_the_batch_still_flushes_what_was_written(tmp_path: Path,
                                                                  flushed: list[str]) -> None:
    path = tmp_path / "feed.xml"
    with pytest.raises(RuntimeError), synced_together():
        write_atomic(path, b"<rss/>")
        (tmp_path / "gone.xml").write_bytes(b"")
        write_atomic(tmp_path / "gone.xml", b"x")
        os.unlink(tmp_path / "gone.xml")  # removed before the end: nothing to flush
        raise RuntimeError("builder failed")
    assert flushed == [str(path)]


def test_nested_batches_flush_once_at_the_outer_end(tmp_path: Path, flushed: list[str]) -> None:
    with synced_together():
        with synced_together():
            write_atomic(tmp_path / "a.xml", b"a")
        assert flushed == []
        write_atomic(tmp_path / "b.xml", b"b")
    assert sorted(flushed) == [str(tmp_path / "a.xml"), str(tmp_path / "b.xml")]


def test_a_large_batch_is_flushed_from_several_threads_each_file_once(
        tmp_path: Path, flushed: list[str]) -> None:
    names = [tmp_path / f"page-{i}.xml" for i in range(30)]
    with synced_together():
        for path in names:
            write_atomic(path, path.name.encode())
    assert sorted(flushed) == sorted(str(p) for p in names)


def test_a_disk_error_in_a_large_batch_reaches_the_caller(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    names = [tmp_path / f"page-{i}.xml" for i in range(20)]
    real, seen = os.fsync, []

    def failing(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        seen.append(path)
        if path.endswith("page-7.xml"):
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output"), synced_together():
        for path in names:
            write_atomic(path, b"x")
    assert sorted(seen) == sorted(str(p) for p in names)  # the others were still flushed


def test_the_code_key_changes_with_any_file_and_reads_none(tmp_path: Path) -> None:
    from trustpublish.files import code_key

    one, two = tmp_path / "one.py", tmp_path / "two.py"
    one.write_text("A = 1\n")
    two.write_text("B = 2\n")
    # a missing file and a folder count for nothing
    files = [one, two, tmp_path / "gone.py", tmp_path]
    key = code_key(files, seed="1.0")
    assert key == code_key([two, one], seed="1.0")  # order does not matter
    assert key != code_key(files, seed="1.1")  # the version is part of it
    stamp = one.stat()
    one.write_text("A = 2\n")  # same size; only the modification time tells
    os.utime(one, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1))
    assert code_key(files, seed="1.0") != key
    os.utime(one, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert code_key(files, seed="1.0") == key  # what Python's .pyc check would also miss
    before = two.stat()
    two.write_text("B = 22\n")
    os.utime(two, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert code_key(files, seed="1.0") != key  # a new size, at the same time
