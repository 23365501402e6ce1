"""The markdown-it-py reading of Markdown: the reference :mod:`.markup` must match.

:mod:`.markup` parses with markdown-it-pyrs (much faster) and falls back to these
functions for the few inputs on which the two ports differ (see ``needs_reference``
there). ``tests/test_markup_parity.py`` compares the two on many documents.

``parse_blocks`` cuts a Markdown document into top-level :class:`~trustpublish.content.model.Block`
objects, each with its own Markdown source and source line, so the splitter can
regroup them without re-parsing. ``to_html`` renders Markdown to HTML with raw
HTML disabled (content is data, never markup injected into emails or feeds).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .model import Block
from .text import normalize_space

__all__ = ["parse_blocks", "to_html", "inline_text"]

_KIND_BY_OPEN = {
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "blockquote_open": "quote",
    "heading_open": "heading",
}


@lru_cache(maxsize=2)
def _parser(html: bool = False) -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": html, "linkify": False, "typographer": False}).enable(
        "table"
    )


def inline_text(tokens: list[Token] | None) -> str:
    """Plain text of inline tokens: link text kept, images as their alt text."""
    out: list[str] = []
    for tok in tokens or []:
        if tok.type in ("text", "code_inline"):
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif tok.type == "image":
            out.append(tok.content or "")
        elif tok.children:
            out.append(inline_text(tok.children))
    return "".join(out)


def _block_text(tokens: list[Token], kind: str) -> str:
    """Plain text for the tokens of one top-level block."""
    if kind == "table":
        rows: list[str] = []
        cells: list[str] = []
        for tok in tokens:
            if tok.type == "tr_open":
                cells = []
            elif tok.type == "inline":
                cells.append(normalize_space(inline_text(tok.children)))
            elif tok.type == "tr_close":
                rows.append(" | ".join(cells))
        return "\n".join(rows)
    if kind == "list":
        items: list[str] = []
        depth = 0
        for tok in tokens:
            if tok.type == "list_item_open":
                depth += 1
                items.append("")
            elif tok.type == "list_item_close":
                depth -= 1
            elif tok.type == "inline" and items:
                sep = " " if items[-1] else ""
                items[-1] += sep + normalize_space(inline_text(tok.children))
        return "\n".join(f"• {item}" for item in items)
    if kind == "code":
        return tokens[0].content.rstrip("\n")
    parts = [normalize_space(inline_text(t.children)) for t in tokens if t.type == "inline"]
    return "\n".join(p for p in parts if p)


def parse_blocks(markdown: str, *, first_line: int = 1) -> list[Block]:
    """Top-level blocks of ``markdown``; ``first_line`` is the file line of its first line."""
    lines = markdown.splitlines()
    tokens = _parser().parse(markdown)
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.level != 0 or tok.map is None:
            i += 1
            continue
        start, end = tok.map
        if tok.type in ("fence", "code_block"):
            kind, group = "code", [tok]
            i += 1
        elif tok.type == "hr":
            kind, group = "rule", [tok]
            i += 1
        elif tok.type == "html_block":
            kind, group = "html", [tok]
            i += 1
        else:
            kind = _KIND_BY_OPEN.get(tok.type, "paragraph")
            close = tok.type.replace("_open", "_close")
            j = i + 1
            while j < len(tokens) and not (tokens[j].type == close and tokens[j].level == 0):
                j += 1
            group = tokens[i : j + 1]
            i = j + 1
        source = "\n".join(lines[start:end]).strip("\n")
        level = int(tok.tag[1]) if kind == "heading" else 0
        blocks.append(
            Block(kind=kind, markdown=source, text=_block_text(group, kind),
                  line=first_line + start, level=level)  # type: ignore[arg-type]
        )
    return blocks


def to_html(markdown: str, **env: Any) -> str:
    """Render Markdown to HTML; raw HTML in the source is escaped, not passed through."""
    return _parser().render(markdown, env)
