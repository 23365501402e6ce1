"""Golden files for the seed's first digest issue (clock pinned).

Regenerate after an intended change with ``make goldens`` (or
``TRUSTPUBLISH_UPDATE_GOLDENS=1 pytest -k golden``) and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.digest import sample_project, seed_issue

from trustpublish.render.digest import preview_recipient

GOLDENS = Path(__file__).parent / "goldens" / "email"
UPDATE = os.environ.get("TRUSTPUBLISH_UPDATE_GOLDENS") == "1"


@pytest.mark.parametrize("part", ["html", "txt"])
def test_golden_seed_issue(tmp_path: Path, part: str) -> None:
    rendered = seed_issue(sample_project(tmp_path), count=3)
    html, text = rendered.fill(preview_recipient(rendered.issue, name="Sample Reader"))
    actual = html if part == "html" else text
    golden = GOLDENS / f"seed-issue-1.{part}"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.is_file(), f"missing {golden}; run `make goldens`"
    assert actual == golden.read_text(encoding="utf-8"), (
        f"{golden.name} differs; if the change is intended run `make goldens` and review the diff")
