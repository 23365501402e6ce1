"""HTML posts (a saved web page), read by stated rules.

1. The article text is chosen by trafilatura (a library made to find the main text
   of web pages: it drops menus, sidebars, share buttons, comments and footers).
   When it finds nothing, less than 60% of the words the hand-written rule finds, or
   one flattened paragraph where the page has several blocks (its last resort on
   very short pages), the hand-written rule is used: ``<article>``, else
   ``<main>``, else ``<body>``, without ``nav``, ``header``, ``footer``, ``aside``,
   ``form``, ``script``, ``style`` and ``noscript``. (Both were measured on the test
   corpus, ``benchmarks/html_extract_compare.py``: trafilatura kept as much article
   text and far less navigation.)
2. Title, author, date, canonical URL, image and summary come from the page's
   metadata, in the order given in :mod:`trustpublish.content.readers.pagemeta` (the date
   from ``article:published_time``, ``citation_publication_date``, ``DC.date``,
   JSON-LD ``datePublished``, ``<time>`` or a visible dateline; failing those, what
   htmldate finds in other markup, such as a date in the page's address).
3. ``h2``–``h6`` become headings, ``p`` paragraphs, ``ul``/``ol`` lists, ``table`` Markdown
   tables, ``pre`` code, ``blockquote`` quotes; links and emphasis are kept, images
   keep their alt text; anything else (scripts, event handlers, styles) is dropped.
4. Short lines above the article's first heading or sentence (a byline, an affiliation,
   "6 min read", a date) are dropped, and so is the ``<h1>`` holding the title.
   From a heading or block whose text is a site-chrome marker ("Recent articles",
   "Related posts"...) to the end of the article is dropped, and trailing headings
   with no text under them are dropped.
5. A page without a date is read as a draft without a date (``import`` writes an
   empty ``date:`` for you to fill in).
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from ...errors import ContentError
from ..markup import parse_blocks
from ..model import Post
from ..text import count_words
from .chrome import is_chrome_marker
from .metadata import Defaults, build_post

__all__ = ["read_html", "html_to_markdown", "fragment_to_markdown"]

_DROP = ("nav", "header", "footer", "aside", "form", "script", "style", "noscript", "iframe",
         "svg", "button")
#: trafilatura's text is used unless it kept less than this share of the hand-written
#: rule's words (it can drop most of a very short page).
_MIN_SHARE = 0.6
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "#", "/")


def _inline(node: Tag | NavigableString) -> str:
    if isinstance(node, Comment):
        return ""
    if isinstance(node, NavigableString):
        return re.sub(r"([\\`*_\[\]<>])", r"\\\1", re.sub(r"\s+", " ", str(node)))
    name = node.name
    inner = "".join(_inline(c) for c in node.children)
    if name in ("strong", "b"):
        return f"**{inner.strip()}**" if inner.strip() else ""
    if name in ("em", "i"):
        return f"*{inner.strip()}*" if inner.strip() else ""
    if name == "code":
        return f"`{node.get_text()}`"
    if name == "br":
        return "  \n"
    if name == "img":
        return str(node.get("alt") or "")
    if name == "a":
        href = str(node.get("href") or "")
        if href.lower().startswith(_SAFE_SCHEMES) and inner.strip():
            return f"[{inner.strip()}]({href})"
        return inner
    return inner


def _table(node: Tag) -> str:
    rows = []
    for tr in node.find_all("tr"):
        cells = [_inline(c).strip().replace("|", "\\|") for c in tr.find_all(["th", "td"])]
        if cells:
            rows.append(cells)
    if not rows:
        return ""
    caption = ""
    if len(rows) > 2 and sum(1 for c in rows[0] if c) == 1 and len(rows[0]) > 1:
        caption = rows.pop(0)[0]  # a caption row spanning the table (as trafilatura gives it)
    elif isinstance(caption_tag := node.find("caption"), Tag):
        caption = _inline(caption_tag).strip()
        rows = [r for r in rows if r != [caption]]
    if caption:
        return caption + "\n\n" + _table_rows(rows)
    return _table_rows(rows)


def _table_rows(rows: list[list[str]]) -> str:
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _list(node: Tag, depth: int = 0) -> str:
    ordered = node.name == "ol"
    out = []
    for n, li in enumerate(node.find_all("li", recursive=False), start=1):
        marker = f"{n}." if ordered else "-"
        nested = [c for c in li.children if isinstance(c, Tag) and c.name in ("ul", "ol")]
        text = "".join(_inline(c) for c in li.children if c not in nested).strip()
        out.append(f"{'   ' * depth}{marker} {text}")
        for sub in nested:
            out.append(_list(sub, depth + 1))
    return "\n".join(out)


def _blocks(root: Tag) -> list[tuple[str, str]]:
    """(kind, markdown) for each block in document order."""
    out: list[tuple[str, str]] = []
    for node in root.children:
        if isinstance(node, Comment):
            continue
        if isinstance(node, NavigableString):
            if node.strip():
                out.append(("paragraph", _inline(node).strip()))
            continue
        name = node.name
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = max(2, int(name[1]))
            out.append(("heading", f"{'#' * level} {_inline(node).strip()}"))
        elif name == "p":
            text = "".join(_inline(c) for c in node.children).strip()
            if text:
                out.append(("paragraph", text))
        elif name in ("ul", "ol"):
            out.append(("list", _list(node)))
        elif name == "table":
            out.append(("table", _table(node)))
        elif name == "pre":
            out.append(("code", "```\n" + node.get_text().strip("\n") + "\n```"))
        elif name == "blockquote":
            inner = "\n\n".join(md for _, md in _blocks(node))
            out.append(("quote", "\n".join(f"> {line}" for line in inner.split("\n"))))
        elif name in ("div", "section", "article", "main", "figure", "span"):
            out.extend(_blocks(node))
    return out


def fragment_to_markdown(html: str) -> str:
    """An HTML fragment (a WordPress post body) as Markdown, by rule 3; comments dropped."""
    soup = BeautifulSoup(html, "html.parser")
    return "\n\n".join(md for _, md in _blocks(soup)) + "\n"


def _handwritten_root(soup: BeautifulSoup) -> Tag:
    """The article by the hand-written rule (``article``/``main``/``body``, chrome dropped)."""
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for tag in root.find_all(_DROP):
        tag.decompose()
    return root  # type: ignore[return-value]


def _trafilatura_root(html: str) -> Tag | None:
    """The article element as trafilatura finds it (None when it finds no text)."""
    import trafilatura

    extracted = trafilatura.extract(
        html, output_format="html", include_formatting=True, include_links=True,
        include_tables=True, include_comments=False, include_images=False, favor_recall=True)
    if not extracted:
        return None
    return BeautifulSoup(extracted, "html.parser").body


def _is_fragment(text: str) -> bool:
    """A short line that is not a sentence: at most 8 words, no final punctuation."""
    plain = re.sub(r"[*_`\\]", "", text).strip()
    return len(plain.split()) <= 8 and not re.search(r"[.!?…:][\"'”’)]*$", plain)


def _htmldate(html: str) -> dict[str, str]:
    """The publication date htmldate finds in other markup (a date in the URL, other meta
    tags), without its guesswork on free text."""
    try:
        from htmldate import find_date

        found = find_date(html, original_date=True, extensive_search=False,
                          outputformat="%Y-%m-%d")
    except Exception:  # noqa: BLE001 - a date we cannot find is simply missing
        return {}
    return {"date": found} if found else {}


_BLOCK_TAGS = ["p", "li", "h2", "h3", "h4", "h5", "h6", "tr", "pre", "blockquote"]


def _lost_text(chosen: Tag, fallback: Tag) -> bool:
    """True when trafilatura kept too little: under 60% of the words, or one flattened
    paragraph where the page has several blocks (its last resort on very short pages)."""
    if count_words(chosen.get_text(" ")) < _MIN_SHARE * count_words(fallback.get_text(" ")):
        return True
    return len(chosen.find_all(_BLOCK_TAGS)) <= 1 and len(fallback.find_all(_BLOCK_TAGS)) >= 3


def html_to_markdown(html: str, extractor: str = "auto") -> tuple[dict[str, str], str]:
    """(metadata, Markdown body) by the rules in this module's docstring.

    ``extractor`` is ``auto`` (trafilatura, the hand-written rule when it finds
    nothing), ``trafilatura`` or ``handwritten`` (the former reader as it was, without
    rule 4's dropping of short lines: kept for the comparison benchmark).
    """
    from .pagemeta import page_metadata

    soup = BeautifulSoup(html, "html.parser")
    meta = page_metadata(soup)
    if "date" not in meta:
        meta.update(_htmldate(html))
    root: Tag | None = None
    if extractor in ("auto", "trafilatura"):
        root = _trafilatura_root(html)
    if extractor != "trafilatura" or root is None:
        fallback = _handwritten_root(soup)
        if root is None or extractor == "handwritten" or _lost_text(root, fallback):
            root = fallback
    for heading in root.find_all("h1"):
        text = heading.get_text(" ", strip=True)
        if "title" not in meta:
            meta["title"] = text
        title = meta.get("title", "").lower()
        if text and (text.lower() in title or title in text.lower()):
            heading.decompose()
    for t in root.find_all("time"):
        t.decompose()
    blocks = _blocks(root)
    kept: list[tuple[str, str]] = []
    started = False  # the first heading or real paragraph has come
    for kind, md in blocks:
        plain = re.sub(r"^#+\s*", "", md)
        if is_chrome_marker(plain):
            break
        if kind == "paragraph" and plain.strip().lower() == meta.get("title", "").lower():
            continue
        if (not started and kind == "paragraph" and _is_fragment(plain)
                and extractor != "handwritten"):
            continue  # a byline, affiliation, reading time or date line above the article
        started = started or kind == "heading" or not _is_fragment(plain)
        kept.append((kind, md))
    while kept and kept[-1][0] == "heading":
        kept.pop()
    return meta, "\n\n".join(md for _, md in kept) + "\n"


def read_html(text: str, path: Path, defaults: Defaults, canonical: str | None = None) -> Post:
    """Read an ``.html`` post by the rules in this module's docstring."""
    meta, markdown = html_to_markdown(text)
    if canonical and "url" not in meta:
        meta["url"] = canonical
    if "title" not in meta:
        raise ContentError("no title found (no <h1> or <title>)", file=path, line=1,
                           hint="add an <h1> with the article's title")
    return build_post(dict(meta, status="draft"), parse_blocks(markdown), source=path,
                      defaults=defaults)
