"""The exact schedule.yaml edit behind ``skip`` (trustpublish.actions.schedule_edit): the
entry's ``skip:`` is added, changed and removed in flow and block entries, with comments,
odd spacing, CRLF and a byte-order mark, and the rest of the file stays byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustpublish.actions.frontmatter import StaleFile, fingerprint
from trustpublish.actions.schedule_edit import set_entry_list
from trustpublish.content.yamlsource import load_yaml
from trustpublish.errors import ConfigError

SAMPLE = (Path(__file__).resolve().parents[1] / "src/trustpublish/sample/schedule.yaml"
          ).read_text(encoding="utf-8")
BLOCK = ("# top comment\ntimetable:\n  - channel: a   # first\n    weekly: ['MON 10:00']  # c\n"
         "\n  # between\n  -   channel: b\n      cron: \"0 9 * * *\"\n      name: daily\n"
         "run: {grace: 1h}\n")
FILES = {
    "sample": SAMPLE,
    "sample-crlf-bom": "\ufeff" + SAMPLE.replace("\n", "\r\n"),
    "block": BLOCK,
    "block-crlf": BLOCK.replace("\n", "\r\n"),
    "block-last-no-newline": BLOCK.replace("run: {grace: 1h}\n", "").rstrip("\n"),
    "flow-spacing": "timetable:\n-  { channel: a ,weekly: [\"MON 10:00\"] }   # spaced\n",
}


def _data(path: Path) -> dict:
    return load_yaml(path.read_bytes().decode("utf-8-sig"))[0]


@pytest.mark.parametrize("name", list(FILES))
def test_skip_is_added_changed_and_removed_byte_for_byte(tmp_path: Path, name: str) -> None:
    raw = FILES[name].encode("utf-8")
    path = tmp_path / "schedule.yaml"
    for index in range(len(_data_of(raw)["timetable"])):
        path.write_bytes(raw)
        first = set_entry_list(path, index, "skip", ["2026-12-08T09:00"],
                               expected=fingerprint(raw))
        data = _data(path)
        assert data["timetable"][index]["skip"] == ["2026-12-08T09:00"]
        expected = _data_of(raw)
        expected["timetable"][index]["skip"] = ["2026-12-08T09:00"]
        assert data == expected
        old, new = raw.split(b"\n"), path.read_bytes().split(b"\n")
        assert len(new) - len(old) in (0, 1)  # one line changed, or one line added
        assert b"skip" in new[first.line - 1]
        assert path.read_bytes().startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
        if b"\r\n" in raw:
            assert b"\n" not in path.read_bytes().replace(b"\r\n", b"")
        two = set_entry_list(path, index, "skip", ["2026-12-08T09:00", "2026-12-10T17:00"],
                             expected=first.fingerprint)
        assert _data(path)["timetable"][index]["skip"] == ["2026-12-08T09:00",
                                                           "2026-12-10T17:00"]
        set_entry_list(path, index, "skip", [], expected=two.fingerprint)
        assert path.read_bytes() == raw


def _data_of(raw: bytes) -> dict:
    return load_yaml(raw.decode("utf-8-sig"))[0]


def test_an_existing_skip_written_by_hand_is_changed_in_place(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    raw = (b"timetable:\n- {skip: '2026-01-01T10:00', channel: a, weekly: MON 10:00}\n"
           b"- channel: b\n  skip:\n    - \"2026-01-02T09:00\"  # by hand\n  cron: 0 9 * * *\n")
    path.write_bytes(raw)
    set_entry_list(path, 0, "skip", [])
    assert path.read_bytes().startswith(b"timetable:\n- {channel: a, weekly: MON 10:00}\n")
    set_entry_list(path, 1, "skip", ["2026-01-02T09:00", "2026-01-03T09:00"])
    assert path.read_bytes().endswith(
        b'- channel: b\n  skip: ["2026-01-02T09:00", "2026-01-03T09:00"]\n  cron: 0 9 * * *\n')
    # a block list whose items sit at the key's own indentation
    path.write_bytes(b"timetable:\n- channel: b\n  skip:\n  - '2026-01-02T09:00'\n"
                     b"  cron: 0 9 * * *\n")
    set_entry_list(path, 0, "skip", [])
    assert path.read_bytes() == b"timetable:\n- channel: b\n  cron: 0 9 * * *\n"


def test_a_stale_file_and_an_edit_that_cannot_be_exact_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    seen = fingerprint(path.read_bytes())
    path.write_text(SAMPLE.replace("Harborview", "Lakeview"), encoding="utf-8")
    with pytest.raises(StaleFile, match="changed on disk"):
        set_entry_list(path, 0, "skip", ["2026-12-08T09:00"], expected=seen)
    assert path.read_text(encoding="utf-8") == SAMPLE.replace("Harborview", "Lakeview")
    # a flow entry spread over two lines is not edited blindly
    odd = b"timetable:\n  - {channel: a,\n     cron: '0 9 * * *'}\n"
    path.write_bytes(odd)
    with pytest.raises(ConfigError, match="without touching anything else"):
        set_entry_list(path, 0, "skip", ["2026-12-08T09:00"])
    assert path.read_bytes() == odd
