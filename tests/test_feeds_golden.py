"""Golden feeds with the clock pinned. Regenerate with `make goldens`
(``TRUSTPUBLISH_UPDATE_GOLDENS=1``) after an intended change, and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import make_project
from support.feeds import DRAFT, FIRST, SECOND, THIRD, build, feed_files

GOLDEN = Path(__file__).parent / "goldens" / "feeds"
UPDATE = os.environ.get("TRUSTPUBLISH_UPDATE_GOLDENS") == "1"

CHANNELS = """\
channels:
  site-feed: {type: feed, title: "Harborview tips"}
timetable:
  - {channel: site-feed, at: ["2026-03-01T12:30", "2026-03-02T12:30", "2026-03-09T12:30"]}
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("golden")
    schedule = make_project(root, posts={"a.md": FIRST, "b.md": SECOND, "c.md": THIRD, "d.md": DRAFT},
                            rest="feeds: {limit: 2}\n" + CHANNELS)
    build(schedule)
    return feed_files(root)


def test_golden_file_set(outputs: dict[str, bytes]) -> None:
    assert sorted(outputs) == [
        "archive/atom-1.xml", "archive/feed-1.json", "archive/rss-1.xml", "atom.xml",
        "channels/site-feed/atom.xml", "channels/site-feed/feed.json",
        "channels/site-feed/rss.xml", "feed.json", "rss.xml"]


@pytest.mark.parametrize("name", [
    "rss.xml", "atom.xml", "feed.json", "archive/atom-1.xml", "archive/rss-1.xml",
    "archive/feed-1.json", "channels/site-feed/atom.xml", "channels/site-feed/rss.xml",
    "channels/site-feed/feed.json"])
def test_golden_feed(outputs: dict[str, bytes], name: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(outputs[name])
    assert golden.is_file(), f"missing golden {golden}; run `make goldens`"
    assert outputs[name].decode() == golden.read_text(encoding="utf-8")
