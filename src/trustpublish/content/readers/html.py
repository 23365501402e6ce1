"""HTML posts (a saved web page), read by stated rules.

1. The article is ``<article>``, else ``<main>``, else ``<body>``; ``nav``, ``header``,
   ``footer``, ``aside``, ``form``, ``script``, ``style`` and ``noscript`` are dropped.
2. The title is the first ``<h1>``, else ``<title>``; the date comes from ``<time datetime>``
   or ``<meta property="article:published_time">``; the summary from
   ``<meta name="description">``; the canonical URL from ``<link rel="canonical">``.
3. ``h2``–``h6`` become headings, ``p`` paragraphs, ``ul``/``ol`` lists, ``table`` Markdown
   tables, ``pre`` code, ``blockquote`` quotes; links and emphasis are kept, images
   keep their alt text; anything else (scripts, event handlers, styles) is dropped.
4. From a heading or block whose text is a site-chrome marker ("Recent articles",
   "Related posts"...) to the end of the article is dropped, and trailing headings
   with no text under them are dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

from ...errors import ContentError
from ..markup import parse_blocks
from ..model import Post
from .chrome import is_chrome_marker
from .metadata import Defaults, build_post

__all__ = ["read_html", "html_to_markdown"]

_DROP = ("nav", "header", "footer", "aside", "form", "script", "style", "noscript", "iframe",
         "svg", "button")
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "#", "/")


def _inline(node: Tag | NavigableString) -> str:
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


def html_to_markdown(html: str) -> tuple[dict[str, str], str]:
    """(metadata, Markdown body) by the rules in this module's docstring."""
    soup = BeautifulSoup(html, "html.parser")
    meta: dict[str, str] = {}
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        meta["url"] = str(canonical["href"])
    desc = soup.find("meta", attrs={"name": "description"})
    if desc and desc.get("content"):
        meta["summary"] = str(desc["content"]).strip()
    published = soup.find("meta", attrs={"property": "article:published_time"})
    time_tag = soup.find("time")
    if published and published.get("content"):
        meta["date"] = str(published["content"])
    elif time_tag is not None:
        meta["date"] = str(time_tag.get("datetime") or time_tag.get_text()).strip()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for tag in root.find_all(_DROP):
        tag.decompose()
    h1 = root.find("h1") or soup.find("h1")
    if h1 is not None:
        meta["title"] = h1.get_text(" ", strip=True)
        h1.decompose()
    elif soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for t in root.find_all("time"):
        t.decompose()
    blocks = _blocks(root)
    kept: list[tuple[str, str]] = []
    for kind, md in blocks:
        plain = re.sub(r"^#+\s*", "", md)
        if is_chrome_marker(plain):
            break
        if kind == "paragraph" and plain.strip().lower() == meta.get("title", "").lower():
            continue
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
    if "date" not in meta:
        raise ContentError("no date found (no <time> or article:published_time)", file=path,
                           line=1, hint="add <time datetime=\"2025-01-21\"> or import and set `date:`")
    return build_post(dict(meta, status="draft"), parse_blocks(markdown), source=path,
                      defaults=defaults)
