"""Markdown posts with YAML front matter (the primary format)."""

from __future__ import annotations

from pathlib import Path

import frontmatter

from ...errors import ContentError
from ..markup import parse_blocks
from ..model import Post
from ..yamlsource import YamlSyntaxError, load_yaml
from .metadata import Defaults, build_post

__all__ = ["read_markdown", "write_markdown"]


def read_markdown(text: str, path: Path, defaults: Defaults) -> Post:
    """Read ``---``-delimited YAML front matter and a CommonMark body (with tables)."""
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
    blocks = parse_blocks(body, first_line=body_first_line)
    return build_post(meta, blocks, source=path, defaults=defaults, lines=lines, first_line=1)


def write_markdown(post: Post) -> str:
    """Serialise a post as Markdown with front matter (used by ``trustpublish import``)."""
    import yaml

    meta: dict[str, object] = {"title": post.title, "date": post.date.date().isoformat(),
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
    meta["status"] = "draft"
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{head}---\n\n{post.markdown}"
