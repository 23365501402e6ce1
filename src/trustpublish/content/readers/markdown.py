"""Markdown posts with front matter (the primary format).

Three headers are read: YAML between ``---`` lines (ours, Jekyll, Hugo, Eleventy,
WordPress exports), TOML between ``+++`` lines (Hugo), and Pelican's ``Key: value``
lines at the very top ended by a blank line. Field names are then mapped by
:func:`~trustpublish.content.readers.metadata.normalize_fields`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import frontmatter

from ...errors import ContentError
from ..markup import parse_blocks
from ..model import Block, Post
from ..yamlsource import LineMap, YamlSyntaxError, load_yaml
from .metadata import Defaults, build_post

__all__ = ["read_markdown", "write_markdown"]


_PELICAN_KEY = re.compile(r"^([A-Za-z][A-Za-z_ -]{0,30}):[ \t]*(.*)$")


def _toml_front_matter(text: str, path: Path) -> tuple[dict[str, Any], LineMap, str, int]:
    """Hugo's ``+++`` TOML front matter: (fields, lines, body, body's first line)."""
    import tomllib

    end = text.find("\n+++", 3)
    if end < 0:
        raise ContentError("the front matter is not closed", file=path, line=1,
                           hint="add a `+++` line after the last front-matter field")
    head = text[3:end].strip("\n")
    try:
        meta = tomllib.loads(head)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"front matter is not valid TOML: {exc}", file=path, line=1,
                           hint="check quotes: TOML strings need \"double quotes\"") from None
    lines = LineMap()
    for number, line in enumerate(head.split("\n"), start=2):
        match = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", line)
        if match:
            lines.lines.setdefault(match.group(1), number)
    body_start = end + len("\n+++")
    body = text[body_start:].lstrip("\n") if body_start < len(text) else ""
    first = text[: len(text) - len(body)].count("\n") + 1
    return meta, lines, body, first


def _pelican_header(text: str) -> tuple[dict[str, Any], LineMap, str, int] | None:
    """Pelican's ``Title: ...`` lines up to the first blank line, or None."""
    head, _, body = text.partition("\n\n")
    meta: dict[str, Any] = {}
    lines = LineMap()
    for number, line in enumerate(head.split("\n"), start=1):
        match = _PELICAN_KEY.match(line)
        if not match:
            return None
        meta[match.group(1).strip()] = match.group(2).strip()
        lines.lines[match.group(1).strip()] = number
    if not any(k.lower() == "title" for k in meta):
        return None
    return meta, lines, body, head.count("\n") + 3


def _body_blocks(body: str, first_line: int) -> list[Block]:
    """The body's blocks; a body written in HTML (a WordPress export) is converted first."""
    blocks = parse_blocks(body, first_line=first_line)
    html = sum(len(b.markdown) for b in blocks if b.kind == "html")
    if blocks and html * 2 >= sum(len(b.markdown) for b in blocks):
        from .html import fragment_to_markdown

        return parse_blocks(fragment_to_markdown(body), first_line=first_line)
    return blocks


def read_markdown(text: str, path: Path, defaults: Defaults) -> Post:
    """Read the front matter (YAML, TOML or Pelican) and a CommonMark body (with tables)."""
    if text.startswith("+++"):
        meta, lines, body, first = _toml_front_matter(text, path)
        blocks = _body_blocks(body, first)
        return build_post(meta, blocks, source=path, defaults=defaults, lines=lines,
                          first_line=1)
    pelican = None if text.startswith("---") else _pelican_header(text)
    if pelican is not None:
        meta, lines, body, first = pelican
        return build_post(meta, _body_blocks(body, first), source=path,
                          defaults=defaults, lines=lines, first_line=1)
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        raise ContentError(
            "no front matter found", file=path, line=1,
            hint="start the file with a `---` line, then `title:` and `date:`, then `---`",
        )
    try:
        fm_text, body = handler.split(text)
    except ValueError:
        raise ContentError("the front matter is not closed", file=path, line=1,
                           hint="add a `---` line after the last front-matter field") from None
    try:
        fm_first_line = text[: text.index(fm_text)].count("\n") + 1 if fm_text else 2
        meta, lines = load_yaml(fm_text, first_line=fm_first_line)
    except YamlSyntaxError as exc:
        if exc.key_path:  # parses, but a value cannot be built (date: 2025-13-45)
            raise ContentError(f"{exc.key_path}: {exc}", file=path, line=exc.line) from None
        raise ContentError(f"front matter is not valid YAML: {exc}", file=path, line=exc.line,
                           hint="check indentation and quote values that contain a colon") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError("front matter must be `key: value` lines", file=path, line=2)
    body_first_line = text[: text.index(body)].count("\n") + 1 if body else 1
    blocks = _body_blocks(body, body_first_line)
    return build_post(meta, blocks, source=path, defaults=defaults, lines=lines, first_line=1)


def write_markdown(post: Post, status: str = "draft") -> str:
    """Serialise a post as Markdown with front matter (``import`` and ``sync``).

    A post without a date gets an empty ``date:`` with a comment asking for one.
    """
    import yaml

    meta: dict[str, object] = {"title": post.title,
                               "date": post.date.date().isoformat() if post.date else None,
                               "slug": post.slug}
    if post.summary:
        meta["summary"] = post.summary
    if post.author:
        meta["author"] = post.author
    meta["url"] = post.url
    if post.tags:
        meta["tags"] = list(post.tags)
    if post.image:
        meta["image"], meta["image_alt"] = post.image, post.image_alt
    if post.updated:
        meta["updated"] = post.updated.isoformat()
    if post.language:
        meta["language"] = post.language
    meta["status"] = status
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    if post.date is None:
        head = head.replace("date: null\n", "date:  # no date found in the source: write it "
                            "(like 2025-01-21) before you approve the post\n", 1)
    return f"---\n{head}---\n\n{post.markdown}"
