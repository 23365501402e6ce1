"""Exact, in-place edits of a post's YAML front matter (the studio's buttons; CLI-shareable).

Contract:

* only the one line (or the one inserted line) that carries the changed key is touched;
  every other byte of the file stays as it was: comments, quoting style, key order,
  blank lines, the byte-order mark, CRLF or LF line ends, the body;
* a scalar keeps its quoting style (``status: "draft"`` → ``status: "approved"``) and its
  trailing comment (``status: draft  # ask Ana`` → ``status: approved  # ask Ana``), so
  approve followed by back-to-draft gives the file back byte for byte;
* the edit is checked by parsing the new front matter: every other key must read exactly
  as before and the changed key must read as intended, or nothing is written;
* ``expected`` is the :func:`fingerprint` of the file as the caller last saw it: when the
  file changed on disk since then the edit is refused (:class:`StaleFile`);
* the write is atomic (:func:`trustpublish.files.write_atomic`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ContentError
from ..files import write_atomic

__all__ = ["Edit", "StaleFile", "fingerprint", "set_scalar", "add_to_list", "set_flow_list",
           "STATUS_KEY"]

STATUS_KEY = "status"
_BOM = b"\xef\xbb\xbf"
_KEY = re.compile(r"""^(?P<key>[A-Za-z_][\w-]*|"[^"]*"|'[^']*')[ \t]*:(?=[ \t]|$)""")
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_][\w .-]*$")
_LOCK = threading.Lock()


class StaleFile(ContentError):
    """The file changed on disk since the page (or command) that asks for the edit read it."""


@dataclass(frozen=True)
class Edit:
    """What an edit did: the file, the 1-based line changed, the line before and after."""

    path: Path
    line: int
    before: str
    after: str
    fingerprint: str
    changed: bool = True


def fingerprint(data: bytes | Path) -> str:
    """The SHA-256 of the file's bytes (the 'version' a page carries in its forms)."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    return hashlib.sha256(raw).hexdigest()


@dataclass
class _Doc:
    bom: bool
    lines: list[str]  # each with its own line end (the last may have none)
    close: int  # index of the closing `---` line

    def encode(self) -> bytes:
        return (_BOM if self.bom else b"") + "".join(self.lines).encode("utf-8")

    def front(self) -> str:
        return "".join(self.lines[1:self.close])

    def eol(self) -> str:
        first = self.lines[0]
        return "\r\n" if first.endswith("\r\n") else "\n"


def _split(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _content(line: str) -> str:
    return line.rstrip("\n").rstrip("\r")


def _parse(path: Path, raw: bytes) -> _Doc:
    bom = raw.startswith(_BOM)
    try:
        text = raw[len(_BOM):].decode("utf-8") if bom else raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentError("the file is not UTF-8", file=path,
                           hint="save it as UTF-8 in your editor") from None
    lines = _split(text)
    if not lines or _content(lines[0]).rstrip() != "---":
        raise ContentError("no front matter to edit", file=path, line=1,
                           hint="only Markdown posts starting with a `---` line can be changed "
                                "here; run `trustpublish import FILE` for .txt/.html")
    for index in range(1, len(lines)):
        if _content(lines[index]).rstrip() == "---":
            return _Doc(bom, lines, index)
    raise ContentError("the front matter is not closed", file=path, line=1,
                       hint="add a `---` line after the last front-matter field")


def _load(path: Path, text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ContentError(f"front matter is not valid YAML: {exc}", file=path,
                           hint="fix it in an editor first") from None
    if not isinstance(data, dict):
        raise ContentError("front matter must be `key: value` lines", file=path, line=2)
    return data


def _find(doc: _Doc, key: str, path: Path) -> int | None:
    found = []
    for index in range(1, doc.close):
        match = _KEY.match(_content(doc.lines[index]))
        if match and match.group("key").strip("\"'") == key:
            found.append(index)
    if len(found) > 1:
        raise ContentError(f"`{key}` appears {len(found)} times in the front matter", file=path,
                           line=found[1] + 1, hint="remove the duplicate in an editor")
    return found[0] if found else None


def _value_span(line: str, start: int) -> tuple[int, int, str]:
    """(start, end, style) of the scalar after the colon; style is '"', "'" or ''."""
    i = start
    while i < len(line) and line[i] in " \t":
        i += 1
    if i < len(line) and line[i] in "\"'":
        quote, j = line[i], i + 1
        while j < len(line):
            if quote == '"' and line[j] == "\\":
                j += 2
                continue
            if line[j] == quote:
                if quote == "'" and j + 1 < len(line) and line[j + 1] == "'":
                    j += 2
                    continue
                return i, j + 1, quote
            j += 1
        return i, len(line), quote
    comment = re.search(r"[ \t]#", line[i:])
    end = i + comment.start() if comment else len(line)
    while end > i and line[end - 1] in " \t":
        end -= 1
    return i, end, ""


def _format(value: str, style: str) -> str:
    if style == '"' or (not style and not _PLAIN_SAFE.match(value)):
        return json.dumps(value, ensure_ascii=False)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    return value


def _read_checked(path: Path, expected: str | None) -> tuple[bytes, _Doc]:
    raw = path.read_bytes()
    if expected is not None and fingerprint(raw) != expected:
        raise StaleFile(f"{path.name} changed on disk since this page was loaded; nothing was "
                        "changed", file=path,
                        hint="reload the page to see the file as it is now, then try again")
    return raw, _parse(path, raw)


def _commit(path: Path, raw: bytes, doc: _Doc, old: dict[str, Any], key: str, want: Any,
            index: int, before: str) -> Edit:
    new = _load(path, doc.front())
    expected_meta = dict(old)
    expected_meta[key] = want
    if new != expected_meta:
        raise ContentError(f"could not change `{key}` without touching anything else; nothing "
                           "was changed", file=path, line=index + 1,
                           hint=f"set `{key}` in an editor")
    data = doc.encode()
    if path.read_bytes() != raw:
        raise StaleFile(f"{path.name} changed on disk while it was being edited; nothing was "
                        "changed", file=path, hint="reload the page and try again")
    write_atomic(path, data)
    return Edit(path, index + 1, before, _content(doc.lines[index]), fingerprint(data))


def set_scalar(path: Path, key: str, value: str, *, expected: str | None = None) -> Edit:
    """Set top-level ``key`` to the string ``value`` (added before the closing ``---`` when absent).

    Raises :class:`StaleFile` when ``expected`` is given and the file no longer matches it,
    :class:`~trustpublish.errors.ContentError` when the edit cannot be made exactly.
    """
    with _LOCK:
        raw, doc = _read_checked(path, expected)
        old = _load(path, doc.front())
        if old.get(key) == value:
            index = _find(doc, key, path) or doc.close
            line = _content(doc.lines[index])
            return Edit(path, index + 1, line, line, fingerprint(raw), changed=False)
        index = _find(doc, key, path)
        if index is None:
            index = doc.close
            doc.lines.insert(index, f"{key}: {_format(value, '')}{doc.eol()}")
            doc.close += 1
            return _commit(path, raw, doc, old, key, value, index, "")
        line = doc.lines[index]
        body = _content(line)
        match = _KEY.match(body)
        assert match is not None
        start, end, style = _value_span(body, match.end())
        if start == end and index + 1 < doc.close and doc.lines[index + 1][:1] in " \t":
            raise ContentError(f"`{key}` is written over several lines", file=path,
                               line=index + 1, hint=f"write `{key}: {value}` on one line")
        spacer = "" if start > match.end() else " "
        doc.lines[index] = (body[:start] + spacer + _format(value, style) + body[end:]
                            + line[len(body):])
        return _commit(path, raw, doc, old, key, value, index, body)


def add_to_list(path: Path, key: str, item: str, *, expected: str | None = None) -> Edit:
    """Append ``item`` to the top-level list ``key`` (``privacy_ok``), keeping its style.

    A one-line flow list ``[a, b]`` gets ``, "item"`` before its ``]``; a block list gets
    one more ``- "item"`` line with the indentation of its items; an absent key becomes
    ``key: ["item"]`` before the closing ``---``. Already present: nothing is written.
    """
    with _LOCK:
        raw, doc = _read_checked(path, expected)
        old = _load(path, doc.front())
        current = old.get(key)
        if current is None:
            current = []
        if not isinstance(current, list):
            raise ContentError(f"`{key}` is not a list", file=path,
                               hint=f"write it as {key}: [\"first\", \"second\"]")
        if item in current:
            index = _find(doc, key, path) or doc.close
            line = _content(doc.lines[index])
            return Edit(path, index + 1, line, line, fingerprint(raw), changed=False)
        want = [*current, item]
        quoted = json.dumps(item, ensure_ascii=False)
        index = _find(doc, key, path)
        if index is None:
            index = doc.close
            doc.lines.insert(index, f"{key}: [{quoted}]{doc.eol()}")
            doc.close += 1
            return _commit(path, raw, doc, old, key, want, index, "")
        line = doc.lines[index]
        body = _content(line)
        match = _KEY.match(body)
        assert match is not None
        rest = body[match.end():]
        stripped = re.sub(r"[ \t]+#.*$", "", rest).rstrip()
        if stripped.strip().startswith("[") and stripped.endswith("]"):
            close = match.end() + len(stripped) - 1
            inside = body[match.end():close].strip().lstrip("[").strip()
            glue = f", {quoted}" if inside else quoted
            doc.lines[index] = body[:close] + glue + body[close:] + line[len(body):]
            return _commit(path, raw, doc, old, key, want, index, body)
        if stripped.strip():
            raise ContentError(f"`{key}` is written in a way this editor does not change",
                               file=path, line=index + 1,
                               hint=f"add {quoted} to `{key}` in an editor")
        last = index
        for j in range(index + 1, doc.close):
            text = _content(doc.lines[j])
            if re.match(r"^[ \t]*- ", text) or (text[:1] in " \t" and text.strip()):
                last = j
            elif text.strip() and not text.lstrip().startswith("#"):
                break
        item_line = next((_content(doc.lines[j]) for j in range(index + 1, last + 1)
                          if re.match(r"^[ \t]*- ", _content(doc.lines[j]))), "  - x")
        indent = item_line[: len(item_line) - len(item_line.lstrip(" \t"))]
        doc.lines.insert(last + 1, f"{indent}- {quoted}{doc.eol()}")
        doc.close += 1
        return _commit(path, raw, doc, old, key, want, last + 1, "")


def set_flow_list(path: Path, key: str, items: list[str], *,
                  expected: str | None = None) -> Edit:
    """Set top-level ``key`` to the list ``items``, written as a one-line flow list.

    An existing one-line ``key: [...]`` keeps its trailing comment; an absent key is added
    before the closing ``---``; a block list (``- item`` lines) is refused (edit by hand).
    """
    with _LOCK:
        raw, doc = _read_checked(path, expected)
        old = _load(path, doc.front())
        if old.get(key) == items:
            index = _find(doc, key, path) or doc.close
            line = _content(doc.lines[index])
            return Edit(path, index + 1, line, line, fingerprint(raw), changed=False)
        flow = "[" + ", ".join(_format(i, "") for i in items) + "]"
        index = _find(doc, key, path)
        if index is None:
            index = doc.close
            doc.lines.insert(index, f"{key}: {flow}{doc.eol()}")
            doc.close += 1
            return _commit(path, raw, doc, old, key, items, index, "")
        line = doc.lines[index]
        body = _content(line)
        match = _KEY.match(body)
        assert match is not None
        rest = body[match.end():]
        stripped = re.sub(r"[ \t]+#.*$", "", rest).rstrip()
        if not (stripped.strip().startswith("[") and stripped.endswith("]")):
            raise ContentError(f"`{key}` is not written as a one-line [list]", file=path,
                               line=index + 1, hint=f"write it as {key}: {flow} in an editor")
        start = match.end() + (len(stripped) - len(stripped.lstrip()))
        end = match.end() + len(stripped)
        doc.lines[index] = body[:start] + flow + body[end:] + line[len(body):]
        return _commit(path, raw, doc, old, key, items, index, body)
