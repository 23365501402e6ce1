"""A parsed post's record (workspace/parse.py ``Full``): its blocks are decoded when first
used and kept while the object lives; its feed HTML is read from the record each time and
never kept, so a post's content lives only while a stage uses it."""

from __future__ import annotations

from pathlib import Path

from support import SAMPLE
from trustpublish.workspace import parse
from trustpublish.workspace.project import Project


def _record() -> tuple[parse.Settings, tuple[bytes, bytes]]:
    project = Project.load(SAMPLE / "schedule.yaml")
    try:
        settings = project.index.settings
        post = next(iter(sorted((SAMPLE / "posts").glob("*.md"))))
        entry, record = parse.parse_one(str(post), None, settings)
    finally:
        project.close()
    assert record is not None and entry["sha"]
    return settings, record


def _counted() -> tuple[parse.Full, list[int], tuple[bytes, bytes]]:
    """A lazy record over a real parse, the parts it read (0 blocks, 1 feed) in order, and
    the record."""
    _, record = _record()
    asked: list[int] = []

    def load(which: int) -> bytes:
        asked.append(which)
        return record[which]

    return parse.Full(load=load), asked, record


def test_the_feed_part_is_read_each_time_and_not_kept() -> None:
    full, asked, _ = _counted()
    html, summary = full.feed()
    assert html.startswith("<") and summary and asked == [1]
    assert full.feed() == (html, summary) and asked == [1, 1]  # read again: nothing kept
    assert not full.decoded
    assert not any(v == html or (isinstance(v, tuple) and html in v) for v in vars(full).values())


def test_the_blocks_are_decoded_once_and_kept_while_the_object_lives() -> None:
    full, asked, record = _counted()
    assert not full.decoded and asked == []
    blocks = full.blocks
    assert blocks and full.decoded and asked == [0]
    assert [b.text for b in full.blocks] == [b.text for b in blocks] and asked == [0]
    assert full == parse.decode_full(record)


def test_a_post_read_later_computes_its_feed_once(tmp_path: Path) -> None:
    from trustpublish.content.readers import read_post

    settings, record = _record()
    path = next(iter(sorted((SAMPLE / "posts").glob("*.md"))))
    post = read_post(path, settings.defaults, path.read_bytes())
    full = parse.Full(tuple(post.body), post=post, settings=settings)
    assert full.feed() is full.feed()  # computed once, kept
    assert full.feed() == parse.decode_full(record).feed()
