"""Sanitising HTML bound for emails and feeds (docs/guarantees.md#safe-content): no script, no injected markup.

Markdown is rendered with raw HTML disabled, so post content cannot carry markup
of its own; :func:`clean_html` is the second line of defence, run on every HTML
fragment that leaves the tool. It keeps structural and text-level tags, drops
scripts, styles, event-handler attributes and any URL scheme but http(s)/mailto.
"""

from __future__ import annotations

__all__ = ["clean_html", "ALLOWED_TAGS", "image_ref_problem", "is_web_url"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul", "figure", "figcaption", "span",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"},
}


def is_web_url(value: str) -> bool:
    """True for an absolute ``http://`` or ``https://`` URL with a host (nothing hidden)."""
    from urllib.parse import urlsplit

    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def image_ref_problem(value: str) -> str | None:
    """Why ``value`` cannot be a post image, or None when it can.

    An image is an http(s) URL, or a file inside the project given by a relative
    path (``images/a.jpg``, ``/images/a.jpg`` from the project root). Any other
    scheme (``javascript:``, ``data:``, ``file:``), ``..`` segments and control
    characters are refused: the value reaches feeds, emails and uploads.
    """
    from urllib.parse import urlsplit

    text = value.strip()
    if not text:
        return "is empty"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return "contains control characters"
    try:
        parts = urlsplit(text)
    except ValueError:
        return "is not a URL or a file path"
    if parts.scheme and len(parts.scheme) > 1:  # (a one-letter "scheme" is a drive letter)
        if parts.scheme.lower() in ("http", "https") and parts.hostname:
            return None
        return f"uses the {parts.scheme.lower()}: scheme; only http(s) URLs or project files"
    if text.startswith("//") or "\\" in text or parts.scheme:
        return "is not a URL or a file path inside the project"
    if ".." in text.replace("\\", "/").split("/"):
        return "points outside the project (`..`)"
    return None


def clean_html(html: str) -> str:
    """``html`` with only safe tags, attributes and URL schemes left."""
    import nh3  # here: reading a post's front matter needs this module, not nh3

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
