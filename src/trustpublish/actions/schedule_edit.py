"""Exact, in-place edits of one timetable entry's list in schedule.yaml (``skip:``).

Contract of :func:`set_entry_list`:

* only the entry's own ``skip`` text changes: inside a one-line flow entry
  (``- {channel: mastodon, weekly: [...]}``) the ``, skip: [...]`` part is added, rewritten
  or removed; in a block entry (``- channel: mastodon`` and indented keys) the one
  ``skip: [...]`` line is added (after the entry's last line, with its keys' indentation),
  rewritten or removed. Every other byte stays: comments, quoting, spacing, the
  byte-order mark, CRLF or LF line ends. Adding a list and removing it again gives the
  file back byte for byte;
* the edit is checked by parsing the new file: everything must read exactly as before
  except ``timetable[i].<key>``, or nothing is written (a clear error says to edit by hand);
* ``expected`` is the :func:`~trustpublish.actions.frontmatter.fingerprint` of the file as
  the caller last saw it: a file changed on disk since then is refused
  (:class:`~trustpublish.actions.frontmatter.StaleFile`); the write is atomic.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from pathlib import Path
from typing import Any

from ..content.yamlsource import YamlSyntaxError, load_yaml
from ..errors import ConfigError
from ..files import write_atomic
from .frontmatter import Edit, StaleFile, fingerprint, line_content, split_lines

__all__ = ["set_entry_list"]

_BOM = b"\xef\xbb\xbf"
_LOCK = threading.Lock()
_COMMENT = re.compile(r"[ \t]+#.*$")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i, ensure_ascii=False) for i in items) + "]"


def _value_end(body: str, start: int) -> int:
    """End of the flow value starting at ``start`` (a ``[...]`` list, a quoted or a plain
    scalar) inside a flow mapping."""
    i = start
    if i < len(body) and body[i] == "[":
        depth, quote = 0, ""
        while i < len(body):
            ch = body[i]
            if quote:
                if ch == "\\" and quote == '"':
                    i += 2
                    continue
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return len(body)
    if i < len(body) and body[i] in "\"'":
        j = body.find(body[i], i + 1)
        return len(body) if j < 0 else j + 1
    match = re.compile(r"[^,}]*").match(body, i)
    assert match is not None
    return match.end() - (len(match.group(0)) - len(match.group(0).rstrip()))


def _edit_flow(body: str, key: str, items: list[str]) -> str | None:
    """The one-line flow entry ``body`` with ``key`` set to ``items`` (removed when empty)."""
    code = _COMMENT.sub("", body).rstrip()
    if not code.endswith("}"):
        return None
    found = re.search(rf"([,{{][ \t]*){re.escape(key)}[ \t]*:[ \t]*", code)
    if found is None:
        if not items:
            return body
        close = len(code) - 1
        before = code[:close].rstrip()
        gap = code[len(before):close]
        return before + f", {key}: {_flow(items)}" + gap + body[close:]
    start, value_start = found.start(), found.end()
    end = _value_end(code, value_start)
    if items:
        return body[:value_start] + _flow(items) + body[end:]
    if code[start] == ",":  # ", skip: [...]" → ""
        return body[:start] + body[end:]
    rest = re.compile(r"[ \t]*,[ \t]*").match(body, end)  # "{skip: [...], a: b}" → "{a: b}"
    return body[:start + 1] + body[rest.end() if rest else end:]


def _entry_span(lines: list[str], first: int) -> tuple[int, int]:
    """(index of the entry's ``- `` line, index after its last non-blank line)."""
    dash = _indent(line_content(lines[first]))
    end = first + 1
    last = first + 1
    while end < len(lines):
        text = line_content(lines[end])
        if text.strip() and not text.lstrip().startswith("#"):
            if _indent(text) <= dash:
                break
            last = end + 1
        end += 1
    return first, last


def _edit_block(lines: list[str], first: int, key: str, items: list[str],
                eol: str) -> int | None:
    """Edit a block entry in place; the index of the line changed (or removed/added)."""
    start, stop = _entry_span(lines, first)
    head = line_content(lines[start])
    key_col = _indent(head) + 2 + _indent(head[_indent(head) + 2:])
    for index in range(start, stop):
        text = line_content(lines[index])
        match = re.match(rf"^([ \t]*(?:-[ \t]+)?){re.escape(key)}[ \t]*:[ \t]*", text)
        if not match:
            continue
        code = _COMMENT.sub("", text).rstrip()
        value = code[match.end():]
        if not value:  # a block list below: replace it whole
            end = index + 1
            while end < stop and (_indent(line_content(lines[end])) > _indent(text)
                                  or re.match(r"^[ \t]*- ", line_content(lines[end]))
                                  and _indent(line_content(lines[end])) == _indent(text)):
                end += 1
            if not items:
                del lines[index:end]
                return index
            lines[index:end] = [match.group(0).rstrip() + " " + _flow(items) + eol]
            return index
        if not items:
            if match.group(1).lstrip().startswith("-"):
                return None  # the key shares its line with the item's dash
            last_without_eol = index == len(lines) - 1 and not lines[index].endswith("\n")
            del lines[index]
            if last_without_eol and index > 0:  # the file keeps ending without a newline
                lines[index - 1] = line_content(lines[index - 1])
            return index
        lines[index] = (text[:match.end()] + _flow(items) + text[len(code):]
                        + lines[index][len(text):])
        return index
    if not items:
        return start
    added = " " * key_col + f"{key}: {_flow(items)}"
    if not lines[stop - 1].endswith("\n"):  # the file's last line, with no final newline
        lines[stop - 1] += eol
        lines.insert(stop, added)
    else:
        lines.insert(stop, added + eol)
    return stop


def set_entry_list(path: Path, index: int, key: str, items: list[str], *,
                   expected: str | None = None) -> Edit:
    """Set ``timetable[index].<key>`` to ``items`` (removed when empty); see the module doc."""
    with _LOCK:
        raw = path.read_bytes()
        if expected is not None and fingerprint(raw) != expected:
            raise StaleFile(f"{path.name} changed on disk since this page was loaded; nothing "
                            "was changed", file=path,
                            hint="reload the page to see the file as it is now, then try again")
        bom = raw.startswith(_BOM)
        text = raw[len(_BOM):].decode("utf-8") if bom else raw.decode("utf-8")
        where = f"timetable[{index}].{key}"
        try:
            data, line_map = load_yaml(text)
        except YamlSyntaxError as exc:
            raise ConfigError(f"schedule.yaml does not parse: {exc}", file=path,
                              line=exc.line, hint="fix it in an editor first") from None
        entries = (data or {}).get("timetable") or []
        if not 0 <= index < len(entries) or not isinstance(entries[index], dict):
            raise ConfigError(f"there is no timetable[{index}]", file=path,
                              hint="reload the page: the timetable may have changed")
        current = entries[index].get(key)
        wanted = list(items)
        if (current or []) == wanted or (isinstance(current, str) and [current] == wanted):
            line = line_map.line_of(where) or line_map.line_of(f"timetable[{index}]") or 1
            return Edit(path, line, "", "", fingerprint(raw), changed=False)
        lines = split_lines(text)
        eol = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
        first = (line_map.line_of(f"timetable[{index}]") or 1) - 1
        body = line_content(lines[first])
        before = ""
        changed: int | None
        if re.match(r"^[ \t]*-[ \t]*\{", body):  # a one-line flow entry: edit inside it
            new = _edit_flow(body, key, wanted)
            changed = None if new is None else first
            if new is not None:
                before = body
                lines[first] = new + lines[first][len(body):]
        else:
            changed = _edit_block(lines, first, key, wanted, eol)
        expected_data = copy.deepcopy(data)
        if wanted:
            expected_data["timetable"][index][key] = wanted
        else:
            expected_data["timetable"][index].pop(key, None)
        result = "".join(lines)
        parsed: Any = None
        if changed is not None:
            try:
                parsed = load_yaml(result)[0]
            except YamlSyntaxError:
                parsed = None
        if changed is None or parsed != expected_data:
            raise ConfigError(f"could not change `{where}` without touching anything else; "
                              "nothing was changed", file=path,
                              line=line_map.line_of(f"timetable[{index}]"),
                              hint=f"write `{key}: {_flow(wanted)}` in that entry in an editor")
        data_out = (_BOM if bom else b"") + result.encode("utf-8")
        if path.read_bytes() != raw:
            raise StaleFile(f"{path.name} changed on disk while it was being edited; nothing "
                            "was changed", file=path, hint="reload the page and try again")
        write_atomic(path, data_out)
        after = line_content(lines[changed]) if wanted else ""
        return Edit(path, changed + 1, before, after, fingerprint(data_out))
