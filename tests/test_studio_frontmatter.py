"""Exact front-matter edits (trustpublish.actions.frontmatter): the studio's buttons.

Twenty real-world post files (comments, odd quoting, CRLF, BOM, block lists, flow maps,
trailing spaces, no final newline...) go through approve → back to draft and come back
byte for byte; the reader agrees with every intermediate state.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trustpublish.actions.frontmatter import (
    StaleFile,
    add_to_list,
    fingerprint,
    set_flow_list,
    set_mapping,
    set_scalar,
)
from trustpublish.content.readers import read_post
from trustpublish.errors import ContentError
from trustpublish.plan.config import Defaults

BODY = "\n## A section\n\nSome calm words about therapy and trust.\n"

# (name, front matter lines) — the status line comes in every style people write it.
FILES: list[tuple[str, str]] = [
    ("plain", "title: Plain\ndate: 2025-01-21\nstatus: draft\n"),
    ("double-quoted", 'title: "Double: quoted"\ndate: 2025-01-21\nstatus: "draft"\n'),
    ("single-quoted", "title: 'It''s single'\ndate: 2025-01-21\nstatus: 'draft'\n"),
    ("comment-after", "title: Comment\ndate: 2025-01-21\nstatus: draft   # ask Ana first\n"),
    ("comment-lines", "# written by Ben\ntitle: Lines\n# status was review\ndate: 2025-01-21\n"
                      "status: draft\n# end\n"),
    ("status-first", "status: draft\ntitle: First\ndate: 2025-01-21\n"),
    ("space-before-colon", "title: Space\ndate: 2025-01-21\nstatus :   draft\n"),
    ("hash-in-title", "title: 'Issue #4: \"trust\"'\ndate: 2025-01-21\nstatus:     draft #x: y\n"),
    ("trailing-spaces", "title: Trailing   \ndate: 2025-01-21\nstatus: draft   \n"),
    ("review", "title: In review\ndate: 2025-01-21\nstatus: review\n"),
    ("uppercase-draft", "title: Upper\ndate: 2025-01-21\nstatus: Draft\n"),
    ("block-list", "title: Lists\ndate: 2025-01-21\ntags:\n  - trust\n  - therapy\n"
                   "status: draft\nprivacy_ok:\n  - \"phone:3125550100\"\n"),
    ("flow-list", "title: Flow\ndate: 2025-01-21\ntags: [trust, 'status: x']\nstatus: draft\n"),
    ("literal-block", "title: Block\ndate: 2025-01-21\nsummary: |\n  status: not this one\n"
                      "  second line\nstatus: draft\n"),
    ("folded-summary", "title: Folded\ndate: 2025-01-21\nsummary: >-\n  A long\n  summary\n"
                       "status: draft # short\n"),
    ("unicode", "title: Vertrauen in der Therapie — ein Überblick\ndate: 2025-01-21\n"
                "author: Zoë Ñúñez\nstatus: draft\n"),
    ("blank-lines", "\ntitle: Blank\n\ndate: 2025-01-21\n\nstatus: draft\n\n"),
    ("rule-in-body", "title: Rule\ndate: 2025-01-21\nstatus: draft\n"),
    ("datetime", "title: Time\ndate: 2025-01-21T09:30:00-06:00\npublish_after: 2025-02-01\n"
                 "status: draft\nchannels: [mastodon, bluesky]\n"),
    ("quoted-key", 'title: Quoted key\ndate: 2025-01-21\n"status": draft\n'),
]


def _variants() -> list[tuple[str, bytes]]:
    out = []
    for n, (name, front) in enumerate(FILES):
        tail = "\n---\n\nstatus: approved (not front matter)\n" if name == "rule-in-body" else ""
        text = "---\n" + front + "---\n" + BODY + tail
        if n % 3 == 1:
            text = text.replace("\n", "\r\n")
        if n % 4 == 2:
            text = "\ufeff" + text
        if n % 5 == 3:
            text = text.rstrip("\r\n")  # no final newline
        out.append((f"{n:02d}-{name}.md", text.encode("utf-8")))
    return out


VARIANTS = _variants()


def _status(path: Path) -> str:
    return read_post(path, Defaults()).status


def test_the_twenty_files_cover_crlf_bom_and_no_final_newline() -> None:
    assert len(VARIANTS) == 20
    raws = [raw for _, raw in VARIANTS]
    assert sum(b"\r\n" in r for r in raws) >= 5
    assert sum(r.startswith(b"\xef\xbb\xbf") for r in raws) >= 4
    assert sum(not r.endswith(b"\n") for r in raws) >= 3


@pytest.mark.parametrize(("name", "raw"), VARIANTS, ids=[n for n, _ in VARIANTS])
def test_approve_then_back_to_draft_is_byte_identical(tmp_path: Path, name: str,
                                                      raw: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    start_status = "review" if "review" in name else "draft"
    assert _status(path) == start_status

    approved = set_scalar(path, "status", "approved", expected=fingerprint(raw))
    after = path.read_bytes()
    assert _status(path) == "approved"
    # exactly one line changed, and it is the line the edit reports
    old_lines, new_lines = raw.split(b"\n"), after.split(b"\n")
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    assert changed == [approved.line - 1]
    assert b"approved" in new_lines[approved.line - 1]
    assert after.startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
    assert after.count(b"\r\n") == raw.count(b"\r\n")

    set_scalar(path, "status", start_status, expected=approved.fingerprint)
    if name.endswith("uppercase-draft.md"):
        # "Draft" reads as draft; writing back the canonical word changes only its case
        assert path.read_bytes() == raw.replace(b"status: Draft", b"status: draft")
    else:
        assert path.read_bytes() == raw
    assert _status(path) == start_status


@pytest.mark.parametrize(("name", "raw"), VARIANTS, ids=[n for n, _ in VARIANTS])
def test_hold_then_release_is_byte_identical(tmp_path: Path, name: str, raw: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    held = set_mapping(path, "hold", {"mastodon": ["a-section"]}, expected=fingerprint(raw))
    after = path.read_bytes()
    assert read_post(path, Defaults()).hold == (("mastodon", ("a-section",)),)
    # exactly one line was added (the one the edit reports), before the closing `---`
    old_lines, new_lines = raw.split(b"\n"), after.split(b"\n")
    assert new_lines[:held.line - 1] + new_lines[held.line:] == old_lines
    assert new_lines[held.line - 1].rstrip(b"\r") == b"hold: {mastodon: [a-section]}"
    assert new_lines[held.line].rstrip(b"\r") == b"---"
    more = set_mapping(path, "hold", {"mastodon": ["a-section"], "bluesky": ["yes"]},
                       expected=held.fingerprint)
    assert more.after == 'hold: {mastodon: [a-section], bluesky: ["yes"]}'  # "yes" stays text
    assert dict(read_post(path, Defaults()).hold) == {"mastodon": ("a-section",),
                                                      "bluesky": ("yes",)}
    set_mapping(path, "hold", {}, expected=more.fingerprint)
    assert path.read_bytes() == raw
    assert read_post(path, Defaults()).hold == ()


def test_a_block_hold_is_rewritten_on_one_line_and_comments_elsewhere_stay(
        tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    raw = (b"---\ntitle: T\ndate: 2025-01-21\nhold:   # keep out\n  mastodon:\n"
           b"    - first\n# after\nstatus: draft\n---\n" + BODY.encode())
    path.write_bytes(raw)
    edit = set_mapping(path, "hold", {"mastodon": ["first", "second"]})
    assert path.read_bytes() == raw.replace(b"hold:   # keep out\n  mastodon:\n    - first\n",
                                            b"hold: {mastodon: [first, second]}   # keep out\n")
    assert edit.line == 4
    set_mapping(path, "hold", {})
    assert path.read_bytes() == raw.replace(
        b"hold:   # keep out\n  mastodon:\n    - first\n", b"")


# TOML front matter (Hugo's +++ fences), read by the readers with tomllib.
TOML_FILES: list[tuple[str, str]] = [
    ("toml-plain", 'title = "Plain TOML"\ndate = 2025-01-21\nstatus = "draft"\n'),
    ("toml-literal-comment", "title = 'It is literal'\ndate = 2025-01-21\n"
                             "status = 'draft'   # ask Ana\n"),
    ("toml-table", 'title = "Table"\ndate = 2025-01-21T09:30:00-06:00\nstatus = "draft"\n'
                   'tags = ["trust", "therapy"]\n\n[params]\nstatus = "not this one"\n'),
    ("toml-spacing", '# from Hugo\ntitle="Tight"\ndate=2025-01-21\n\nstatus  =  "draft"\n'
                     'privacy_ok = []\n'),
    ("toml-unicode", 'title = "Vertrauen — ein Überblick"\nauthor = "Zoë"\n'
                     'date = 2025-01-21\nstatus = "review"\n[extra]\nx = 1\n'),
]


def _toml_variants() -> list[tuple[str, bytes]]:
    out = []
    for n, (name, front) in enumerate(TOML_FILES):
        text = "+++\n" + front + "+++\n" + BODY
        if n in (1, 2, 4):
            text = text.replace("\n", "\r\n")
        if n in (2, 3):
            text = "\ufeff" + text
        out.append((f"{name}.md", text.encode("utf-8")))
    return out


TOML_VARIANTS = _toml_variants()


def test_the_toml_files_cover_crlf_and_bom() -> None:
    raws = [raw for _, raw in TOML_VARIANTS]
    assert sum(b"\r\n" in r for r in raws) >= 2
    assert sum(r.startswith(b"\xef\xbb\xbf") for r in raws) >= 2
    assert any(r.startswith(b"\xef\xbb\xbf") and b"\r\n" in r for r in raws)


@pytest.mark.parametrize(("name", "raw"), TOML_VARIANTS, ids=[n for n, _ in TOML_VARIANTS])
def test_toml_front_matter_round_trips_every_button(tmp_path: Path, name: str,
                                                   raw: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    start = "review" if "unicode" in name else "draft"
    assert _status(path) == start
    # approve, request review, back: one line changes, then the bytes come back
    approved = set_scalar(path, "status", "approved", expected=fingerprint(raw))
    assert _status(path) == "approved"
    old_lines, new_lines = raw.split(b"\n"), path.read_bytes().split(b"\n")
    assert [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b] == [
        approved.line - 1]
    assert len(old_lines) == len(new_lines)
    review = set_scalar(path, "status", "review", expected=approved.fingerprint)
    assert _status(path) == "review"
    set_scalar(path, "status", start, expected=review.fingerprint)
    assert path.read_bytes() == raw
    # hold and release: one added line, then the bytes come back
    held = set_mapping(path, "hold", {"mastodon": ["a-section"], "my channel": ["x"]})
    assert held.after == 'hold = { mastodon = ["a-section"], "my channel" = ["x"] }'
    assert dict(read_post(path, Defaults()).hold) == {"mastodon": ("a-section",),
                                                      "my channel": ("x",)}
    set_mapping(path, "hold", {})
    assert path.read_bytes() == raw
    # approve a privacy finding: the list gets the key (an absent list is added)
    add_to_list(path, "privacy_ok", "phone:3125550100")
    assert read_post(path, Defaults()).privacy_ok == ("phone:3125550100",)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
    assert path.read_bytes().count(b"\r\n") >= raw.count(b"\r\n")
    if b"\r\n" in raw:
        assert b"\n" not in path.read_bytes().replace(b"\r\n", b"")


def test_a_toml_key_goes_before_the_first_table(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    raw = (b'+++\r\ntitle = "T"\r\ndate = 2025-01-21\r\n[params]\r\nstatus = "x"\r\n'
           b"+++\r\n" + BODY.encode())
    path.write_bytes(raw)
    edit = set_scalar(path, "status", "approved")
    assert edit.line == 4
    assert path.read_bytes() == raw.replace(b"[params]", b'status = "approved"\r\n[params]')
    assert _status(path) == "approved"
    table = tmp_path / "t.md"
    raw = b'+++\ntitle = "T"\ndate = 2025-01-21\n[hold]\nmastodon = ["a"]\n+++\n' + BODY.encode()
    table.write_bytes(raw)
    with pytest.raises(ContentError, match=r"\[hold\] table"):
        set_mapping(table, "hold", {"mastodon": ["a", "b"]})
    assert table.read_bytes() == raw


def test_a_missing_status_line_is_added_before_the_closing_marker(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    raw = b"---\r\ntitle: No status\r\ndate: 2025-01-21\r\n---\r\n" + BODY.encode()
    path.write_bytes(raw)
    edit = set_scalar(path, "status", "approved")
    assert edit.line == 4 and edit.before == ""
    assert path.read_bytes() == raw.replace(b"---\r\n\n", b"status: approved\r\n---\r\n\n")
    assert _status(path) == "approved"


def test_a_file_changed_since_the_page_was_loaded_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    raw = VARIANTS[0][1]
    path.write_bytes(raw)
    seen = fingerprint(raw)
    path.write_bytes(raw.replace(b"Plain", b"Edited elsewhere"))
    with pytest.raises(StaleFile) as info:
        set_scalar(path, "status", "approved", expected=seen)
    assert "changed on disk since this page was loaded" in info.value.message
    assert path.read_bytes() == raw.replace(b"Plain", b"Edited elsewhere")


def test_privacy_ok_is_added_in_the_style_already_used(tmp_path: Path) -> None:
    flow = tmp_path / "flow.md"
    flow.write_bytes(b"---\ntitle: T\ndate: 2025-01-21\nprivacy_ok: [\"email:a@b.c\"]  # ok\n"
                     b"---\n" + BODY.encode())
    edit = add_to_list(flow, "privacy_ok", "phone:3125550100")
    assert edit.after == 'privacy_ok: ["email:a@b.c", "phone:3125550100"]  # ok'
    assert read_post(flow, Defaults()).privacy_ok == ("email:a@b.c", "phone:3125550100")

    block = tmp_path / "block.md"
    raw = VARIANTS[11][1]  # the block-list file
    block.write_bytes(raw)
    edit = add_to_list(block, "privacy_ok", "name:jane roe")
    assert b'  - "phone:3125550100"\r\n  - "name:jane roe"\r\n' in block.read_bytes() \
        or b'  - "phone:3125550100"\n  - "name:jane roe"\n' in block.read_bytes()
    assert read_post(block, Defaults()).privacy_ok == ("phone:3125550100", "name:jane roe")
    again = add_to_list(block, "privacy_ok", "name:jane roe")
    assert not again.changed

    absent = tmp_path / "absent.md"
    absent.write_bytes(b"---\ntitle: T\ndate: 2025-01-21\n---\n" + BODY.encode())
    add_to_list(absent, "privacy_ok", "phone:3125550100")
    assert b'privacy_ok: ["phone:3125550100"]\n---\n' in absent.read_bytes()


def test_edits_that_cannot_be_exact_are_refused_and_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    raw = b"---\ntitle: T\ndate: 2025-01-21\nstatus: draft\nstatus: review\n---\n" + BODY.encode()
    path.write_bytes(raw)
    with pytest.raises(ContentError) as info:
        set_scalar(path, "status", "approved")
    assert "appears 2 times" in info.value.message and info.value.line == 5
    assert path.read_bytes() == raw

    html = tmp_path / "p.html"
    html.write_bytes(b"<html><body><h1>T</h1></body></html>")
    with pytest.raises(ContentError, match="no front matter"):
        set_scalar(html, "status", "approved")


def test_a_channels_list_is_rewritten_on_its_own_line_only(tmp_path: Path) -> None:
    path = tmp_path / "p.md"
    raw = (b"---\r\ntitle: T\r\ndate: 2025-01-21\r\nchannels: [mastodon, bluesky]  # both\r\n"
           b"---\r\n" + BODY.encode())
    path.write_bytes(raw)
    set_flow_list(path, "channels", ["bluesky"])
    assert path.read_bytes() == raw.replace(b"[mastodon, bluesky]", b"[bluesky]")
    assert read_post(path, Defaults()).channels == ("bluesky",)
    set_flow_list(path, "channels", ["mastodon", "bluesky"])
    assert path.read_bytes() == raw

    block = tmp_path / "b.md"
    raw = b"---\ntitle: T\ndate: 2025-01-21\nchannels:\n  - mastodon\n---\n" + BODY.encode()
    block.write_bytes(raw)
    with pytest.raises(ContentError, match="one-line"):
        set_flow_list(block, "channels", ["bluesky"])
    assert block.read_bytes() == raw
