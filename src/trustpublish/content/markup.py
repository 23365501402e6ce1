"""Markdown in, blocks and HTML out, through markdown-it-pyrs (CommonMark + tables).

``parse_blocks`` cuts a Markdown document into top-level :class:`~trustpublish.content.model.Block`
objects, each with its own Markdown source and source line, so the splitter can
regroup them without re-parsing. ``to_html`` renders Markdown to HTML with raw
HTML disabled (content is data, never markup injected into emails or feeds).

The parser is markdown-it-pyrs, the Rust port of markdown-it, chosen by measurement
(``benchmarks/parser_bench.py``: about 15x faster than markdown-it-py on our posts,
HTML byte-identical). Its syntax tree carries UTF-8 byte offsets (``srcmap``), from
which the source lines of each block are taken. The output must equal the
markdown-it-py reading it replaced (:mod:`.markup_py`, still used for the rare
texts the two ports read differently: :func:`needs_reference`);
``tests/test_markup_parity.py`` compares them.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Any

from markdown_it_pyrs import MarkdownIt, Node

from .model import Block
from .text import normalize_space

__all__ = ["parse_blocks", "to_html", "inline_text"]

#: markdown-it's ``commonmark`` preset plus tables, without the two raw-HTML rules
_RULES = ["blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph",
          "reference", "autolink", "backticks", "emphasis", "entity", "escape", "image",
          "link", "newline", "table"]

_KIND = {
    "paragraph": "paragraph", "bullet_list": "list", "ordered_list": "list", "table": "table",
    "blockquote": "quote", "heading": "heading", "lheading": "heading",
    "fence": "code", "code_block": "code", "hr": "rule", "html_block": "html",
}
#: nodes that hold blocks; every other node is inline content
_BLOCKS = frozenset({"root", "paragraph", "heading", "lheading", "blockquote", "bullet_list",
                     "ordered_list", "list_item", "fence", "code_block", "hr", "html_block",
                     "table", "thead", "tbody", "trow", "tcell", "definition"})
#: blocks whose content is one run of inline nodes (an ``inline`` token in markdown-it)
_LEAVES = frozenset({"paragraph", "heading", "lheading", "tcell"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("zero").enable_many(_RULES)


def _inline_text(nodes: list[Node], source: bytes) -> str:
    """Plain text of inline nodes: link text kept, images as their raw alt source."""
    out: list[str] = []
    for node in nodes:
        name = node.name
        if name in ("text", "text_special"):
            out.append(node.meta.get("content", ""))
        elif name == "code_inline":
            out.append("".join(c.meta.get("content", "") for c in node.children))
        elif name in ("softbreak", "hardbreak"):
            out.append(" ")
        elif name == "image":
            if node.children:
                start = node.srcmap[0] + 2 if node.srcmap else 0
                end = node.children[-1].srcmap[1] if node.children[-1].srcmap else start
                out.append(source[start:end].decode())
        elif node.children:
            out.append(_inline_text(node.children, source))
    return "".join(out)


def inline_text(nodes: list[Node] | None, source: bytes = b"") -> str:
    """Plain text of a run of inline nodes (``source``: the document, for image alt text)."""
    return _inline_text(list(nodes or []), source)


def _inline_runs(node: Node) -> list[list[Node]]:
    """Each leaf block's inline content under ``node``, in document order."""
    runs: list[list[Node]] = []

    def visit(block: Node) -> None:
        run: list[Node] = []
        for child in block.children:
            if child.name in _BLOCKS:
                if run:
                    runs.append(run)
                    run = []
                visit(child)
            else:
                run.append(child)
        if run or block.name in _LEAVES:
            runs.append(run)

    visit(node)
    return runs


def _block_text(node: Node, kind: str, source: bytes) -> str:
    """Plain text of one top-level block."""
    if kind == "table":
        rows: list[str] = []
        for row in _walk(node):
            if row.name == "trow":
                rows.append(" | ".join(normalize_space(inline_text(cell.children, source))
                                       for cell in row.children))
        return "\n".join(rows)
    if kind == "list":
        items: list[str] = []

        def add(run: list[Node]) -> None:
            if items:
                sep = " " if items[-1] else ""
                items[-1] += sep + normalize_space(inline_text(run, source))

        def visit(block: Node) -> None:
            if block.name == "list_item":
                items.append("")
            run: list[Node] = []
            for child in block.children:
                if child.name in _BLOCKS:
                    if run:
                        add(run)
                        run = []
                    visit(child)
                else:
                    run.append(child)
            if run or block.name in _LEAVES:
                add(run)

        visit(node)
        return "\n".join(f"• {item}" for item in items)
    if kind == "code":
        return str(node.meta.get("content", "")).rstrip("\n")
    parts = [normalize_space(inline_text(run, source)) for run in _inline_runs(node)]
    return "\n".join(p for p in parts if p)


def _walk(node: Node) -> list[Node]:
    return list(node.walk())


def parse_blocks(markdown: str, *, first_line: int = 1) -> list[Block]:
    """Top-level blocks of ``markdown``; ``first_line`` is the file line of its first line."""
    if needs_reference(markdown):
        from . import markup_py

        return markup_py.parse_blocks(markdown, first_line=first_line)
    lines = markdown.splitlines()
    tail = markdown.rfind("\n") + 1
    if tail < len(markdown) and not markdown[tail:].strip(" \t"):
        markdown = markdown[:tail]  # markdown-it-py ignores a blank last line with no newline
    data = markdown.encode()  # the tree's offsets count UTF-8 bytes
    starts = [0]
    find = data.find
    at = find(b"\n")
    while at >= 0:
        starts.append(at + 1)
        at = find(b"\n", at + 1)
    tree = _parser().tree(markdown)
    blocks: list[Block] = []
    for node in tree.children:
        kind = _KIND.get(node.name)
        if kind is None or node.srcmap is None:
            continue
        begin, end = node.srcmap
        start = bisect.bisect_right(starts, begin) - 1
        stop = bisect.bisect_right(starts, max(begin, end - 1))
        source = "\n".join(lines[start:stop]).strip("\n")
        level = int(node.meta.get("level", 1)) if kind == "heading" else 0
        blocks.append(Block(kind=kind, markdown=source,  # type: ignore[arg-type]
                            text=_block_text(node, kind, data),
                            line=first_line + start, level=level))
    return blocks


def to_html(markdown: str, **env: Any) -> str:
    """Render Markdown to HTML; raw HTML in the source is escaped, not passed through.

    One case renders differently in the two markdown-it ports: a code fence left open
    at the very end of a text with no final newline (markdown-it-py keeps no newline
    in the code). That rare case goes through markdown-it-py, so the output is the same.
    """
    if needs_reference(markdown):
        from . import markup_py

        return markup_py.to_html(markdown, **env)
    return _parser().render(markdown)


_ODD_SPACE = re.compile(r"[^\S \t\n]")
#: the ASCII characters _ODD_SPACE matches
_ODD_ASCII_SPACE = "\r\x0b\x0c\x1c\x1d\x1e\x1f"


def needs_reference(markdown: str) -> bool:
    """True for the rare texts the two markdown-it ports read differently.

    Those are: whitespace other than space, tab and newline (markdown-it-py strips
    a no-break space at a line's edge, for one), and a code fence left open at the
    end of a text with no final newline. They are read with markdown-it-py.
    """
    if markdown.isascii():  # the common case, without the slow class scan
        if any(c in markdown for c in _ODD_ASCII_SPACE):
            return True
    elif _ODD_SPACE.search(markdown):
        return True
    return not markdown.endswith("\n") and ("```" in markdown or "~~~" in markdown)
