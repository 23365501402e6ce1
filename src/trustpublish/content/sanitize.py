"""Sanitising HTML bound for emails and feeds (PRODUCT §9): no script, no injected markup.

Markdown is rendered with raw HTML disabled, so post content cannot carry markup
of its own; :func:`clean_html` is the second line of defence, run on every HTML
fragment that leaves the tool. It keeps structural and text-level tags, drops
scripts, styles, event-handler attributes and any URL scheme but http(s)/mailto.
"""

from __future__ import annotations

import nh3

__all__ = ["clean_html", "ALLOWED_TAGS"]

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


def clean_html(html: str) -> str:
    """``html`` with only safe tags, attributes and URL schemes left."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
