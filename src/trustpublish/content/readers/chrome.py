"""Site chrome: the parts of a copied web page that are not the article.

A heading or line equal to one of these (case-insensitive) ends the article:
everything from it to the end of the source is dropped.
"""

from __future__ import annotations

import re

__all__ = ["CHROME_MARKERS", "is_chrome_marker"]

CHROME_MARKERS = (
    "recent articles", "recent posts", "related articles", "related posts", "more articles",
    "you may also like", "read next", "share this", "share this article", "share this post",
    "leave a comment", "comments", "subscribe to our newsletter", "popular posts",
)


def is_chrome_marker(line: str) -> bool:
    """True for a line such as "Recent articles" that starts a site-chrome block."""
    key = re.sub(r"[\s:]+$", "", line.strip().lower())
    return key in CHROME_MARKERS
