"""``trustpublish import FILE|URL``: a .txt/.html source (or a web page) → a Post to edit.

A source without a date is still imported: the post is a draft with an empty ``date:``
(and a comment saying so) for the user to fill in before approving.

The only network access outside channel adapters: fetching the page the user named.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from ..content.model import Post
from ..content.readers import Defaults, read_post
from ..content.text import slugify
from ..errors import ContentError

__all__ = ["import_source"]


def import_source(source: str, defaults: Defaults | None = None) -> Post:
    """Read ``source`` (a file path or an http(s) URL) with the matching reader."""
    defaults = defaults or Defaults()
    if source.startswith(("http://", "https://")):
        return _import_url(source, defaults)
    path = Path(source)
    if not path.is_file():
        raise ContentError("no such file", file=path, hint="give a .txt or .html file, or a URL")
    post = read_post(path, defaults)
    # A copied page's file name is rarely a good address: the slug follows the title
    # (or the file name, when the title has no Latin letters to make a slug from).
    slug = slugify(post.title)
    if slug == "section":
        slug = slugify(path.stem)
    return replace(post, slug=slug, url=f"{defaults.site_url.rstrip('/')}/{slug}"
                   if post.url.endswith("/" + post.slug) else post.url)


def _import_url(url: str, defaults: Defaults) -> Post:
    import requests

    from ..content.readers.html import read_html

    try:
        response = requests.get(url, timeout=20, headers={"User-Agent": "trustpublish-import"})
    except requests.RequestException as exc:
        raise ContentError(f"could not fetch the page: {type(exc).__name__}", file=url) from exc
    if response.status_code != 200:
        raise ContentError(f"the server answered HTTP {response.status_code}", file=url)
    response.encoding = response.encoding or "utf-8"
    name = slugify(Path(urlsplit(url).path.rstrip("/")).name or urlsplit(url).netloc)
    post = read_html(response.text, Path(f"{name}.html"), defaults, canonical=url)
    return post
