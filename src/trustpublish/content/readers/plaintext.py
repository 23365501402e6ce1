"""Plain-text posts (an article copied from a web page), read by stated rules.

The rules, in order (a *paragraph* is a run of non-blank lines):

1. Lines of site chrome at the very top ("Skip to content", a menu line such as
   "Home    Services    Blog", a breadcrumb "Home › Blog › Sleep") are dropped. The
   first line left is the title. A short line before the body that holds a date ("January 21, 2025", "2025-01-21",
   or a byline "By Dana Whitfield | January 18, 2019 | 5 min read") gives the post
   date (and "By NAME" the author); the line is dropped. Later lines repeating the
   title are dropped. No date is no error: the post is a draft without a date.
   When the title, subtitle, byline and date were copied without blank lines between
   them, each line is taken on its own; lines of page furniture before the body
   (reading time, "Follow", counters) are dropped.
2. Heading lines before the first body paragraph: when there are two or more, the
   first becomes the summary (a subtitle); the rest are headings.
3. A one-line paragraph of at most 14 words that does not end in ``. , ; : !``
   is a heading; so is a one-line question of at most 25 words. A heading in
   Title Case is a section (``##``) unless it comes straight after another
   heading, where it is a subtitle (``###``); sentence-case headings and
   questions are ``###``.
4. Lines starting with a bullet (• · - * – ▪) or a number (``1.`` ``2)``) are list
   items; consecutive items, blank lines between them or not, form one list. A
   paragraph whose first lines are text and whose other lines are items is the
   text, then the list.
5. A paragraph of two or more short lines (each at most 14 words, none ending in
   sentence punctuation) is a table; it is kept as one block. Cells separated by
   tabs, ``|`` or two or more spaces become a Markdown table; otherwise each row
   becomes one cell of a one-column table (the columns cannot be guessed).
6. A heading line glued to the text under it (no blank line, much shorter than the
   next line) is a heading of its own.
7. From a site-chrome line ("Recent articles", "Related posts"...) to the end is
   dropped, and so is everything from a line starting "Written by", "More from",
   "About the author", "Filed under"... once the body has begun; and so are, at the
   end, headings with no text under them ("References" with nothing after it) and
   one-column lists of one-to-three-word lines (tags, counters).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..markup import parse_blocks
from ..model import Block, Post
from .chrome import is_chrome_marker
from .metadata import Defaults, build_post, parse_date

__all__ = ["read_plaintext", "text_to_markdown", "heading_level"]

_BULLET = re.compile(r"^\s*(?:[•·▪‣◦*\-–]|\d{1,3}[.)])\s+")
_MAX_HEADING_WORDS = 14
_SMALL_WORDS = {
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or",
    "the", "to", "vs", "via", "with", "is", "are", "its", "it", "nor", "so", "yet", "up",
}


def _words(line: str) -> list[str]:
    return line.split()


def _is_heading_line(line: str) -> bool:
    text = line.strip()
    if not text or _BULLET.match(line):
        return False
    if text.endswith("?"):
        return len(_words(text)) <= 25
    return len(_words(text)) <= _MAX_HEADING_WORDS and not re.search(r"[.,;:!…]$", text)


def _is_title_case(line: str) -> bool:
    words = [w.strip("\"'“”‘’()") for w in line.split()]
    significant = [w for w in words if w and w.lower() not in _SMALL_WORDS and w[0].isalpha()]
    if not significant:
        return False
    upper = sum(1 for w in significant if w[0].isupper())
    return upper / len(significant) >= 0.75


def heading_level(line: str, after_heading: bool) -> int:
    """2 for a Title Case section heading, 3 for subtitles, subheadings and questions."""
    text = line.strip()
    if text.endswith("?") or not _is_title_case(text):
        return 3
    return 3 if after_heading else 2


def _paragraphs(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(first line number, lines) for each run of non-blank lines."""
    out: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            out.append((start, current))
            current = []
    if current:
        out.append((start, current))
    return out


def _table_markdown(rows: list[str]) -> str:
    """Rows split on tabs, pipes or 2+ spaces become a Markdown table; else kept as lines."""
    splitter = re.compile(r"\t+|\s*\|\s*|\s{2,}")
    cells = [[c.strip() for c in splitter.split(r.strip().strip("|")) if c.strip()] for r in rows]
    widths = {len(c) for c in cells}
    if len(widths) == 1 and widths.pop() >= 2:
        head, *rest = cells
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rest]
        return "\n".join(lines)
    # Columns cannot be recovered: a one-column table keeps each row whole.
    head, *rest = (_escape(r.strip()) for r in rows)
    return "\n".join([f"| {head} |", "|---|", *(f"| {r} |" for r in rest)])


def _escape(text: str) -> str:
    """Escape characters that would turn plain text into Markdown markup."""
    text = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)
    return re.sub(r"^(#+|\d+[.)]|[-+>])(\s)", r"\\\1\2", text)


def _is_table(lines: list[str]) -> bool:
    return len(lines) >= 2 and all(
        _is_heading_line(line) and not line.strip().endswith("?") for line in lines
    )


_SKIP_LINE = re.compile(r"^(skip to (main )?content|skip navigation|menu|search|toggle navigation"
                        r"|jump to (main )?content|open in app|sign in|sign up|log in|write"
                        r"|follow|listen|share|save|subscribe|print|email)$", re.I)
#: Preamble lines that are page furniture: reading time, counters, follow/share buttons.
_NOISE_LINE = re.compile(r"^(\d+\s*min(ute)?s?\s+read|[\d\s·•|,.:/–-]+|follow|share|listen|save"
                         r"|\d+\s+comments?)$", re.I)
#: Once the body has begun, a paragraph starting like this ends the article (author box, more).
_ENDS_ARTICLE = re.compile(r"^(written by|more from|recommended from|see all from|"
                           r"about the author|posted in|filed under|tagged)\b", re.I)
_BYLINE = re.compile(r"^(?:by|posted by|written by|from)\s+(.+?)(?:\s*[|·•–—]\s*|\s+on\s+|$)",
                     re.I)


def _is_chrome_line(line: str) -> bool:
    """A menu or skip link copied with the page: not the title."""
    text = line.strip()
    if _SKIP_LINE.match(text) or len(re.split(r"\s{3,}|\t+|\s+\|\s+", text)) >= 3:
        return True
    crumbs = re.split(r"\s+[›>»/]\s+", text)  # a breadcrumb: Home › Blog › Sleep
    return len(crumbs) >= 3 and all(len(c.split()) <= 6 for c in crumbs)


def _split_glued_heading(para: list[str]) -> bool:
    """True when the first line is a short heading glued to its text (no blank line between).

    A hard-wrapped paragraph's first line is about as long as the next; a heading is much
    shorter than the text under it, and that text ends like a sentence (a table does not).
    """
    if len(para) < 2 or _BULLET.match(para[1]):
        return False
    first, second = para[0].strip(), para[1].strip()
    return (len(first.split()) <= 8 and _is_heading_line(first) and second[:1].isupper()
            and len(second.split()) >= 8 and len(first) < 0.6 * len(second)
            and bool(re.search(r"[.!?…:][\"'”’)]*$", para[-1].strip())))  # text, not a table


def _split_mixed(paragraphs: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """A paragraph of text lines followed by list items becomes two paragraphs; so does a
    heading glued to the text under it."""
    out: list[tuple[int, list[str]]] = []
    for start, para in paragraphs:
        if _split_glued_heading(para):
            out.append((start, para[:1]))
            start, para = start + 1, para[1:]
        first_item = next((i for i, line in enumerate(para) if _BULLET.match(line)), None)
        if first_item and all(_BULLET.match(line) for line in para[first_item:]):
            out += [(start, para[:first_item]), (start + first_item, para[first_item:])]
        else:
            out.append((start, para))
    return out


def _is_tag_list(markdown: str) -> bool:
    """A one-column table of one-to-three-word rows: tags or counters under an article."""
    rows = [r for r in markdown.split("\n") if r.startswith("| ") and r.endswith(" |")]
    return (len(rows) == len(markdown.split("\n")) - 1 and "---" in markdown
            and all(r.count("|") == 2 and len(r.strip("| ").split()) <= 3 for r in rows))


def _dateline(line: str) -> tuple[str, str] | None:
    """(date text, author) for a short line holding a date, like a byline; else None."""
    from .pagemeta import DATELINE

    if len(line.split()) > 20:
        return None
    match = DATELINE.search(line)
    if not match:
        return None
    try:
        parse_date(match.group(0).replace(".", ""), _UTC)
    except ValueError:
        return None
    byline = _BYLINE.match(line.strip())
    author = byline.group(1).strip() if byline and not DATELINE.match(byline.group(1)) else ""
    return match.group(0).replace(".", ""), author


def text_to_markdown(text: str) -> tuple[dict[str, str], str, int]:
    """Apply the rules above: (metadata found, Markdown body, line where the body starts)."""
    lines = text.split("\n")
    paragraphs = _split_mixed(_paragraphs(lines))
    while paragraphs and all(_is_chrome_line(line) for line in paragraphs[0][1]):
        paragraphs.pop(0)
    if not paragraphs:
        return {}, "", 1
    meta: dict[str, str] = {}
    first_start, first_lines = paragraphs[0]
    glued_preamble: list[str] = []
    if len(first_lines) > 1 and any(_dateline(line) or _NOISE_LINE.match(line.strip())
                                    or re.search(r"[.!?]$", line.strip())
                                    for line in first_lines[1:]):
        # Title, subtitle, byline and date copied without blank lines: one line each.
        glued_preamble = [line.strip() for line in first_lines[1:]]
        first_lines = first_lines[:1]
    meta["title"] = " ".join(line.strip() for line in first_lines)
    for line in glued_preamble:
        found = _dateline(line)
        if found is not None:
            meta.setdefault("date", found[0])
            if found[1]:
                meta.setdefault("author", found[1])
            continue
        byline = _BYLINE.match(line)
        if _NOISE_LINE.match(line) or _SKIP_LINE.match(line):
            continue
        if re.search(r"[.!?]$", line) and "summary" not in meta:
            meta["summary"] = line
        elif byline:
            meta.setdefault("author", byline.group(1).strip())
        elif re.fullmatch(r"(?:[A-Z][\w.'’-]*\s+){1,3}[A-Z][\w.'’-]*", line) \
                and "author" not in meta:
            meta["author"] = line  # a name on its own line between title and date
    title_key = meta["title"].strip().lower()

    out: list[str] = []
    preamble_headings: list[str] = []
    in_preamble = True
    after_heading = False
    list_items: list[str] = []
    body_line = first_start

    def flush_list() -> None:
        if list_items:
            out.append("\n".join(f"- {_escape(item)}" for item in list_items))
            list_items.clear()

    def add_heading(line: str) -> None:
        nonlocal after_heading
        level = heading_level(line, after_heading)
        out.append(f"{'#' * level} {_escape(line.strip())}")
        after_heading = True

    def flush_preamble() -> None:
        nonlocal in_preamble
        if len(preamble_headings) >= 2:
            meta.setdefault("summary", preamble_headings.pop(0))
        for line in preamble_headings:
            add_heading(line)
        preamble_headings.clear()
        in_preamble = False

    for start, para in paragraphs[1:]:
        joined = " ".join(line.strip() for line in para)
        if is_chrome_marker(joined) or (not in_preamble and _ENDS_ARTICLE.match(joined)):
            break
        if in_preamble and len(para) == 1 and (_NOISE_LINE.match(joined)
                                               or _SKIP_LINE.match(joined)) \
                and _dateline(joined) is None:
            continue
        if joined.lower() == title_key:
            continue
        if in_preamble and "date" not in meta and len(para) == 1:
            found = _dateline(joined)
            if found is not None:
                meta["date"] = found[0]
                if found[1]:
                    meta["author"] = found[1]
                continue
        items = [line for line in para if _BULLET.match(line)]
        if items and len(items) == len(para):
            if in_preamble:
                flush_preamble()
            list_items.extend(_BULLET.sub("", line).strip() for line in para)
            after_heading = False
            continue
        flush_list()
        if len(para) == 1 and _is_heading_line(para[0]):
            if in_preamble:
                preamble_headings.append(para[0].strip())
                body_line = body_line or start
            else:
                add_heading(para[0])
            continue
        if in_preamble:
            flush_preamble()
        if _is_table(para):
            out.append(_table_markdown(para))
        else:
            out.append(_escape(joined))
        after_heading = False
    flush_list()
    if in_preamble:
        flush_preamble()
    while out and (out[-1].startswith("#") or _is_tag_list(out[-1])):
        out.pop()  # a heading with nothing under it at the end (e.g. "References"), tags
    return meta, "\n\n".join(out) + "\n", body_line


from zoneinfo import ZoneInfo  # noqa: E402

_UTC = ZoneInfo("UTC")


def read_plaintext(text: str, path: Path, defaults: Defaults) -> Post:
    """Read a ``.txt`` post by the rules in this module's docstring."""
    meta, markdown, _ = text_to_markdown(text)
    blocks: list[Block] = parse_blocks(markdown)
    return build_post(dict(meta, status="draft"), blocks, source=path, defaults=defaults)
