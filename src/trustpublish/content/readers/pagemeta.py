"""Metadata of a saved web page: title, author, date, canonical URL, image, summary.

Pure (HTML text in, fields out). Each field is looked for in a fixed order, the
most specific place first, so the result is predictable:

* **date** — ``<meta property="article:published_time">``, ``citation_publication_date``
  (and ``citation_date``), ``DC.date`` / ``DC.date.issued`` / ``dcterms.created``,
  JSON-LD ``datePublished``, ``itemprop="datePublished"``, the first ``<time>``
  inside the article, then a visible dateline ("January 18, 2019", "18 January 2019",
  "2019-01-18") in the first lines of the article text;
* **title** — ``citation_title``, ``og:title``, the first ``<h1>``, JSON-LD
  ``headline``, ``<title>``;
* **author** — JSON-LD ``author``, ``citation_author`` (all of them, "Last, First"
  turned around), ``<meta name="author">``, ``article:author`` (when not a URL),
  ``DC.creator``;
* **url** — ``<link rel="canonical">``, ``og:url``, JSON-LD ``mainEntityOfPage``/``url``;
* **image** — ``og:image``, JSON-LD ``image``, ``twitter:image``;
* **summary** — ``<meta name="description">``, ``og:description``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bs4 import BeautifulSoup, Tag

__all__ = ["DATELINE", "find_dateline", "normalize_date", "page_metadata"]

_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
           r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
#: A visible date: "January 18, 2019", "Jan. 18, 2019", "18 January 2019", "2019-01-18".
DATELINE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}|"
    r"\d{4}-\d{2}-\d{2})\b")
_DATE_NAMES = (
    ("property", "article:published_time"), ("name", "article:published_time"),
    ("name", "citation_publication_date"), ("name", "citation_date"),
    ("name", "citation_online_date"), ("name", "DC.date"), ("name", "DC.date.issued"),
    ("name", "DC.Date"), ("name", "dc.date"), ("name", "dcterms.created"),
    ("name", "dcterms.date"), ("name", "dcterms.issued"), ("itemprop", "datePublished"),
    ("name", "date"), ("name", "pubdate"), ("name", "publish-date"),
)


def _meta(soup: BeautifulSoup, attr: str, name: str) -> str:
    tag = soup.find("meta", attrs={attr: re.compile(rf"^{re.escape(name)}$", re.IGNORECASE)})
    if isinstance(tag, Tag):
        return str(tag.get("content") or tag.get("datetime") or "").strip()
    return ""


def _json_ld(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, ``@graph`` members included."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            found.append(node)
            if "@graph" in node:
                walk(node["@graph"])

    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            walk(json.loads(script.string or ""))
        except (ValueError, TypeError):
            continue
    return found


def _article_ld(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-LD object that describes the article (the first one with a headline/date)."""
    for obj in objects:
        kind = obj.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(str(k).endswith(("Article", "Posting", "Report")) for k in kinds):
            return obj
    return next((o for o in objects if "datePublished" in o or "headline" in o), {})


def _ld_name(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return str(value.get("name") or "").strip()
    if isinstance(value, list):
        return ", ".join(n for n in (_ld_name(v) for v in value) if n)
    return ""


def _ld_url(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return str(value.get("url") or value.get("@id") or "").strip()
    if isinstance(value, list) and value:
        return _ld_url(value[0])
    return ""


def _turn_name(name: str) -> str:
    """``"Okafor, Adaeze N."`` → ``"Adaeze N. Okafor"`` (citation_author is "Last, First")."""
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        return f"{first} {last}".strip()
    return name.strip()


def normalize_date(text: str) -> str:
    """``text`` as an ISO date (or date-time with its offset), or "" when it is not a date.

    Takes what pages write: ISO 8601, ``2019/01/18``, ``2019 Jan 18`` (PubMed),
    ``January 18, 2019``, ``18 January 2019``, RFC 2822.
    """
    import datetime as dt

    from dateutil import parser

    text = " ".join(text.split()).strip()
    if not re.search(r"\d{4}", text) or len(text) > 60:
        return ""
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.isoformat() if (parsed.hour, parsed.minute) != (0, 0) or parsed.tzinfo \
            else parsed.date().isoformat()
    except ValueError:
        pass
    try:
        default = dt.datetime(1, 1, 1)
        parsed = parser.parse(text, default=default, fuzzy=False)
    except (ValueError, OverflowError):
        return ""
    if parsed.year == 1 or not 1990 <= parsed.year <= 2100:
        return ""
    if parsed.tzinfo or (parsed.hour, parsed.minute) != (0, 0):
        return parsed.isoformat()
    return parsed.date().isoformat()


def find_dateline(text: str, *, within: int = 600) -> str:
    """The first visible date in the first ``within`` characters of ``text`` ("" if none)."""
    match = DATELINE.search(text[:within])
    return match.group(0) if match else ""


def page_metadata(soup: BeautifulSoup, article: Tag | None = None) -> dict[str, str]:
    """The page's metadata fields (only those found), by the order in the module docstring.

    ``article`` is the element holding the article text, searched for ``<time>`` and a
    visible dateline (default: ``<article>``, ``<main>`` or ``<body>``).
    """
    ld = _article_ld(_json_ld(soup))
    root = article or soup.find("article") or soup.find("main") or soup.body or soup
    out: dict[str, str] = {}

    h1 = soup.find("h1")
    title = (_meta(soup, "name", "citation_title") or _meta(soup, "property", "og:title")
             or (h1.get_text(" ", strip=True) if isinstance(h1, Tag) else "")
             or _ld_name(ld.get("headline")))
    if not title and soup.title and soup.title.string:
        title = soup.title.string.strip()
    if title:
        out["title"] = " ".join(title.split())

    candidates = [_meta(soup, attr, name) for attr, name in _DATE_NAMES[:11]]
    candidates.append(str(ld.get("datePublished") or "").strip())
    candidates += [_meta(soup, attr, name) for attr, name in _DATE_NAMES[11:]]
    if isinstance(root, Tag):
        tag = root.find(itemprop="datePublished")
        if isinstance(tag, Tag):
            candidates.append(str(tag.get("content") or tag.get("datetime")
                                  or tag.get_text(strip=True)))
        time_tag = root.find("time")
        if isinstance(time_tag, Tag):
            candidates += [str(time_tag.get("datetime") or ""), time_tag.get_text(" ", strip=True)]
        text = root.get_text(" ", strip=True)
        start = text.find(title[:40]) if title else -1
        candidates.append(find_dateline(text[start + len(title):] if start >= 0 else text))
    date = next((d for d in (normalize_date(c) for c in candidates if c) if d), "")
    if date:
        out["date"] = date

    authors = [_turn_name(str(t.get("content"))) for t in soup.find_all(
        "meta", attrs={"name": "citation_author"}) if t.get("content")]
    author = (_ld_name(ld.get("author")) or ", ".join(authors) or _meta(soup, "name", "author")
              or _meta(soup, "name", "DC.creator") or _meta(soup, "name", "dcterms.creator"))
    article_author = _meta(soup, "property", "article:author")
    if not author and article_author and not article_author.startswith("http"):
        author = article_author
    if author:
        out["author"] = author

    canonical = soup.find("link", rel="canonical")
    url = (str(canonical.get("href") or "") if isinstance(canonical, Tag) else "")
    url = url or _meta(soup, "property", "og:url") or _ld_url(ld.get("mainEntityOfPage")) \
        or _ld_url(ld.get("url"))
    if url.startswith(("http://", "https://")):
        out["url"] = url

    image = (_meta(soup, "property", "og:image") or _ld_url(ld.get("image"))
             or _meta(soup, "name", "twitter:image"))
    if image.startswith(("http://", "https://")):
        out["image"] = image
        alt = _meta(soup, "property", "og:image:alt") or _meta(soup, "name", "twitter:image:alt")
        if alt:
            out["image_alt"] = alt

    summary = _meta(soup, "name", "description") or _meta(soup, "property", "og:description")
    if summary:
        out["summary"] = " ".join(summary.split())
    return out
