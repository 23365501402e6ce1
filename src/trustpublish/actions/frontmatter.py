"""Exact, in-place edits of a post's front matter (the studio's buttons; CLI-shareable).

YAML front matter (between ``---`` lines) and Hugo's TOML front matter (between ``+++``
lines, read with :mod:`tomllib` like the readers do) are both edited as text. In TOML a
new top-level key goes before the first ``[table]`` header (or the closing ``+++``) and
every string is quoted (TOML has no plain scalars).

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
           "set_mapping", "STATUS_KEY", "split_lines", "line_content"]

STATUS_KEY = "status"
_BOM = b"\xef\xbb\xbf"
_KEY = re.compile(r"""^(?P<key>[A-Za-z_][\w-]*|"[^"]*"|'[^']*')[ \t]*:(?=[ \t]|$)""")
_TOML_KEY = re.compile(r"""^[ \t]*(?P<key>[A-Za-z0-9_-]+|"[^"]*"|'[^']*')[ \t]*=""")
_TOML_TABLE = re.compile(r"^[ \t]*\[")
_TOML_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
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
    close: int  # index of the closing `---` (or `+++`) line
    toml: bool = False

    def encode(self) -> bytes:
        return (_BOM if self.bom else b"") + "".join(self.lines).encode("utf-8")

    def front(self) -> str:
        return "".join(self.lines[1:self.close])

    def eol(self) -> str:
        first = self.lines[0]
        return "\r\n" if first.endswith("\r\n") else "\n"

    def key_match(self, index: int) -> re.Match[str] | None:
        return (_TOML_KEY if self.toml else _KEY).match(line_content(self.lines[index]))

    def top_end(self) -> int:
        """Index after the top-level keys: TOML's first ``[table]`` header, else the close."""
        if self.toml:
            for index in range(1, self.close):
                if _TOML_TABLE.match(line_content(self.lines[index])):
                    return index
        return self.close

    def key_line(self, key: str, value: str) -> str:
        return f"{key} = {value}{self.eol()}" if self.toml else f"{key}: {value}{self.eol()}"


def split_lines(text: str) -> list[str]:
    """``text`` as lines that keep their endings (the last one may have none)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def line_content(line: str) -> str:
    """``line`` without its line ending (LF or CRLF)."""
    return line.rstrip("\n").rstrip("\r")


def _parse(path: Path, raw: bytes) -> _Doc:
    bom = raw.startswith(_BOM)
    try:
        text = raw[len(_BOM):].decode("utf-8") if bom else raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentError("the file is not UTF-8", file=path,
                           hint="save it as UTF-8 in your editor") from None
    lines = split_lines(text)
    fence = line_content(lines[0]).rstrip() if lines else ""
    if fence not in ("---", "+++"):
        raise ContentError("no front matter to edit", file=path, line=1,
                           hint="only Markdown posts starting with a `---` (or `+++`) line can "
                                "be changed here; run `trustpublish import FILE` for .txt/.html")
    for index in range(1, len(lines)):
        if line_content(lines[index]).rstrip() == fence:
            return _Doc(bom, lines, index, toml=fence == "+++")
    raise ContentError("the front matter is not closed", file=path, line=1,
                       hint=f"add a `{fence}` line after the last front-matter field")


def _load(path: Path, doc: _Doc) -> dict[str, Any]:
    text = doc.front()
    if doc.toml:
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ContentError(f"front matter is not valid TOML: {exc}", file=path,
                               hint="fix it in an editor first") from None
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
    for index in range(1, doc.top_end()):
        match = doc.key_match(index)
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


def _plain_ok(value: str) -> bool:
    """True when ``value`` written bare reads back as the same string in YAML (not ``no``)."""
    if not _PLAIN_SAFE.match(value):
        return False
    try:
        return bool(yaml.safe_load(value) == value)
    except yaml.YAMLError:
        return False


def _format(value: str, style: str, toml: bool = False) -> str:
    if toml:  # TOML strings are always quoted; a literal '...' string cannot hold a quote
        if style == "'" and "'" not in value and "\n" not in value:
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=False)
    if style == '"' or (not style and not _plain_ok(value)):
        return json.dumps(value, ensure_ascii=False)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    return value


def _flow(items: list[str], toml: bool) -> str:
    return "[" + ", ".join(_format(i, "", toml) for i in items) + "]"


def _flow_mapping(mapping: dict[str, list[str]], toml: bool) -> str:
    if toml:
        parts = [f"{k if _TOML_BARE.match(k) else json.dumps(k)} = {_flow(v, True)}"
                 for k, v in mapping.items()]
        return "{ " + ", ".join(parts) + " }"
    return "{" + ", ".join(f"{_format(k, '')}: {_flow(v, False)}"
                           for k, v in mapping.items()) + "}"


def _read_checked(path: Path, expected: str | None) -> tuple[bytes, _Doc]:
    raw = path.read_bytes()
    if expected is not None and fingerprint(raw) != expected:
        raise StaleFile(f"{path.name} changed on disk since this page was loaded; nothing was "
                        "changed", file=path,
                        hint="reload the page to see the file as it is now, then try again")
    return raw, _parse(path, raw)


def _unchanged(path: Path, raw: bytes, doc: _Doc, key: str) -> Edit:
    """The answer when ``key`` already reads as wanted: nothing is written."""
    index = _find(doc, key, path) or doc.top_end()
    line = line_content(doc.lines[index])
    return Edit(path, index + 1, line, line, fingerprint(raw), changed=False)


def _insert(path: Path, raw: bytes, doc: _Doc, old: dict[str, Any], key: str, value: str,
            want: Any) -> Edit:
    """Add ``key`` (written ``value``) as a new line after the other top-level keys."""
    index = doc.top_end()
    doc.lines.insert(index, doc.key_line(key, value))
    doc.close += 1
    return _commit(path, raw, doc, old, key, want, index, "")


def _one_line(doc: _Doc, index: int) -> tuple[str, str, re.Match[str], str]:
    """(line, its content, the key match, the value without a trailing comment) of line
    ``index``."""
    line = doc.lines[index]
    body = line_content(line)
    match = doc.key_match(index)
    assert match is not None
    stripped = re.sub(r"[ \t]+#.*$", "", body[match.end():]).rstrip()
    return line, body, match, stripped


def _is_flow_list(stripped: str) -> bool:
    return stripped.strip().startswith("[") and stripped.endswith("]")


def _commit(path: Path, raw: bytes, doc: _Doc, old: dict[str, Any], key: str, want: Any,
            index: int, before: str) -> Edit:
    """Check the edited front matter reads as ``old`` with ``key`` set to ``want`` (removed
    when ``want`` is None), then write it atomically, unless the file changed meanwhile."""
    try:
        new = _load(path, doc)
    except ContentError:
        new = None
    expected_meta = dict(old)
    if want is None:
        expected_meta.pop(key, None)
    else:
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
    after = line_content(doc.lines[index]) if want is not None else ""
    return Edit(path, index + 1, before, after, fingerprint(data))


def set_scalar(path: Path, key: str, value: str, *, expected: str | None = None) -> Edit:
    """Set top-level ``key`` to the string ``value`` (added after the other top-level keys
    when absent).

    Raises :class:`StaleFile` when ``expected`` is given and the file no longer matches it,
    :class:`~trustpublish.errors.ContentError` when the edit cannot be made exactly.
    """
    with _LOCK:
        raw, doc = _read_checked(path, expected)
        old = _load(path, doc)
        if old.get(key) == value:
            return _unchanged(path, raw, doc, key)
        index = _find(doc, key, path)
        if index is None:
            return _insert(path, raw, doc, old, key, _format(value, "", doc.toml), value)
        line, body, match, _rest = _one_line(doc, index)
        start, end, style = _value_span(body, match.end())
        if start == end and index + 1 < doc.close and doc.lines[index + 1][:1] in " \t":
            raise ContentError(f"`{key}` is written over several lines", file=path,
                               line=index + 1, hint=f"write `{key}: {value}` on one line")
        spacer = "" if start > match.end() else " "
        doc.lines[index] = (body[:start] + spacer + _format(value, style, doc.toml) + body[end:]
                            + line[len(body):])
        return _commit(path, raw, doc, old, key, value, index, body)


def add_to_list(path: Path, key: str, item: str, *, expected: str | None = None) -> Edit:
    """Append ``item`` to the top-level list ``key`` (``privacy_ok``), keeping its style.

    A one-line flow list ``[a, b]`` gets ``, "item"`` before its ``]``; a YAML block list
    gets one more ``- "item"`` line with the indentation of its items; an absent key becomes
    ``key: ["item"]`` (TOML: ``key = ["item"]``) after the other top-level keys. Already
    present: nothing is written.
    """
    with _LOCK:
        raw, doc = _read_checked(path, expected)
        old = _load(path, doc)
        current = old.get(key)
        if current is None:
            current = []
        if not isinstance(current, list):
            raise ContentError(f"`{key}` is not a list", file=path,
                               hint=f"write it as {key}: [\"first\", \"second\"]")
        if item in current:
            return _unchanged(path, raw, doc, key)
        want = [*current, item]
        quoted = json.dumps(item, ensure_ascii=False)
        index = _find(doc, key, path)
        if index is None:
            return _insert(path, raw, doc, old, key, f"[{quoted}]", want)
        line, body, match, stripped = _one_line(doc, index)
        if _is_flow_list(stripped):
            close = match.end() + len(stripped) - 1
            inside = body[match.end():close].strip().lstrip("[").strip()
            glue = f", {quoted}" if inside else quoted
            doc.lines[index] = body[:close] + glue + body[close:] + line[len(body):]
            return _commit(path, raw, doc, old, key, want, index, body)
        if stripped.strip() or doc.toml:
            raise ContentError(f"`{key}` is written in a way this editor does not change",
                               file=path, line=index + 1,
                               hint=f"add {quoted} to `{key}` in an editor")
        last = index
        for j in range(index + 1, doc.close):
            text = line_content(doc.lines[j])
            if re.match(r"^[ \t]*- ", text) or (text[:1] in " \t" and text.strip()):
                last = j
            elif text.strip() and not text.lstrip().startswith("#"):
                break
        item_line = next((line_content(doc.lines[j]) for j in range(index + 1, last + 1)
                          if re.match(r"^[ \t]*- ", line_content(doc.lines[j]))), "  - x")
        indent = item_line[: len(item_line) - len(item_line.lstrip(" \t"))]
        doc.lines.insert(last + 1, f"{indent}- {quoted}{doc.eol()}")
        doc.close += 1
        return _commit(path, raw, doc, old, key, want, last + 1, "")


def set_flow_list(path: Path, key: str, items: list[str], *,
                  expected: str | None = None) -> Edit:
    """Set top-level ``key`` to the list ``items``, written as a one-line flow list.

    An existing one-line ``key: [...]`` keeps its trailing comment; an absent key is added
    after the other top-level keys; a block list (``- item`` lines) is refused (edit by hand).
    """
    with _LOCK:
        raw, doc = _read_checked(path, expected)
        old = _load(path, doc)
        if old.get(key) == items:
            return _unchanged(path, raw, doc, key)
        flow = _flow(items, doc.toml)
        index = _find(doc, key, path)
        if index is None:
            return _insert(path, raw, doc, old, key, flow, items)
        line, body, match, stripped = _one_line(doc, index)
        if not _is_flow_list(stripped):
            raise ContentError(f"`{key}` is not written as a one-line [list]", file=path,
                               line=index + 1, hint=f"write it as {key}: {flow} in an editor")
        start = match.end() + (len(stripped) - len(stripped.lstrip()))
        end = match.end() + len(stripped)
        doc.lines[index] = body[:start] + flow + body[end:] + line[len(body):]
        return _commit(path, raw, doc, old, key, items, index, body)


def _value_lines(doc: _Doc, index: int) -> int:
    """Index after the value of the key on line ``index``: its line, plus (YAML, when the
    line holds no value) the indented lines of a block value below it."""
    _line, _body, _match, stripped = _one_line(doc, index)
    end = index + 1
    if doc.toml or stripped.strip():
        return end
    while end < doc.close:
        text = line_content(doc.lines[end])
        if not text.strip() or text[:1] not in " \t":
            break
        end += 1
    return end


def set_mapping(path: Path, key: str, mapping: dict[str, list[str]], *,
                expected: str | None = None) -> Edit:
    """Set top-level ``key`` to ``mapping`` (name → list of strings), written on one line as
    ``key: {a: [x, y]}`` (TOML: ``key = { a = ["x", "y"] }``); an empty mapping removes the
    key's line(s).

    Only the key's own line (or its block of indented lines) changes, so adding a key and
    removing it again gives the file back byte for byte. An absent key is added after the
    other top-level keys; a trailing comment on a one-line value is kept.
    """
    want = {k: list(v) for k, v in mapping.items() if v} or None
    with _LOCK:
        raw, doc = _read_checked(path, expected)
        old = _load(path, doc)
        if old.get(key) == want:
            return _unchanged(path, raw, doc, key)
        index = _find(doc, key, path)
        if doc.toml and index is None and any(
                re.match(rf"^[ \t]*\[[ \t]*{re.escape(key)}[ \t]*\]", line_content(line))
                for line in doc.lines[1:doc.close]):
            raise ContentError(f"`{key}` is written as a [{key}] table", file=path,
                               hint=f"write it as {key} = {_flow_mapping(want or {}, True)} "
                                    "in an editor")
        if index is None:
            if want is None:
                return _unchanged(path, raw, doc, key)
            return _insert(path, raw, doc, old, key, _flow_mapping(want, doc.toml), want)
        line, body, match, stripped = _one_line(doc, index)
        stop = _value_lines(doc, index)
        if want is None:
            del doc.lines[index:stop]
            doc.close -= stop - index
            return _commit(path, raw, doc, old, key, None, index, body)
        start = match.end() + (len(stripped) - len(stripped.lstrip()))
        end = match.end() + len(stripped)
        spacer = "" if start > match.end() else " "
        last = doc.lines[stop - 1]
        doc.lines[index:stop] = [body[:start] + spacer + _flow_mapping(want, doc.toml)
                                 + body[end:] + last[len(line_content(last)):]]
        doc.close -= stop - index - 1
        return _commit(path, raw, doc, old, key, want, index, body)
