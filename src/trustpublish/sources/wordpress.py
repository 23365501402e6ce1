"""A WordPress site through its REST API (``/wp-json/wp/v2/posts``), published posts only."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from . import Entry, FetchResult, SourceSpec, SourceUnavailable
from .http import get

__all__ = ["fetch_wordpress", "posts_endpoint"]

_PER_PAGE = 50
_MAX_PAGES = 40  # 2,000 posts: a clinic blog is far smaller


def posts_endpoint(site_url: str, page: int = 1) -> str:
    """The REST address of one page of published posts, with authors and images embedded."""
    return (f"{site_url.rstrip('/')}/wp-json/wp/v2/posts?per_page={_PER_PAGE}&page={page}"
            "&status=publish&orderby=date&order=desc&_embed=author,wp:featuredmedia,wp:term")


def _gmt(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _text(html: str) -> str:
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(html or "", "html.parser").get_text(" ").split())


def _entry(post: dict[str, Any]) -> Entry:
    embedded = post.get("_embedded") or {}
    authors = embedded.get("author") or []
    media = (embedded.get("wp:featuredmedia") or [{}])[0] or {}
    terms = [t.get("name", "") for group in embedded.get("wp:term") or [] for t in group or []
             if isinstance(t, dict)]
    return Entry(
        key=f"wp:{post.get('id')}", title=_text((post.get("title") or {}).get("rendered", "")),
        link=str(post.get("link") or ""), published=_gmt(post.get("date_gmt")),
        updated=_gmt(post.get("modified_gmt")),
        author=str((authors[0] or {}).get("name", "")) if authors else "",
        summary=_text((post.get("excerpt") or {}).get("rendered", "")),
        html=str((post.get("content") or {}).get("rendered", "")),
        tags=tuple(t for t in terms if t), image=str(media.get("source_url") or ""),
        image_alt=str(media.get("alt_text") or ""), slug_hint=str(post.get("slug") or ""))


def fetch_wordpress(spec: SourceSpec, session: Any, *, etag: str | None = None,
                    last_modified: str | None = None) -> FetchResult:
    """Every published post (page by page); the first page is fetched conditionally."""
    entries: list[Entry] = []
    first_etag = first_modified = None
    for page in range(1, _MAX_PAGES + 1):
        got = get(session, posts_endpoint(spec.url, page), timeout=spec.timeout,
                  max_bytes=spec.max_bytes, etag=etag if page == 1 else None,
                  last_modified=last_modified if page == 1 else None,
                  accept="application/json", ok=(200, 400))
        if got.status == 304:
            return FetchResult(True, etag=etag, last_modified=last_modified)
        if page == 1:
            first_etag, first_modified = got.etag, got.last_modified
        if got.status == 400:  # past the last page
            break
        try:
            posts = json.loads(got.body)
        except ValueError:
            raise SourceUnavailable(f"{spec.url} did not answer with WordPress JSON",
                                    hint="is it a WordPress site? use `type: feed` for others"
                                    ) from None
        if not isinstance(posts, list):
            raise SourceUnavailable(f"{spec.url} did not answer with a list of posts")
        entries += [_entry(p) for p in posts if isinstance(p, dict)]
        if len(posts) < _PER_PAGE:
            break
    return FetchResult(False, entries, first_etag, first_modified, complete=True)
