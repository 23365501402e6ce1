"""Which caniemail features an HTML email uses (for tests/test_email_caniemail.py).

Maps elements, attributes, CSS properties, at-rules, selectors, units and image
formats to caniemail.com feature slugs. CSS properties without a caniemail page are
reported as ``no-entry:<property>`` so the allowlist must name them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import cssutils
import lxml.html

CSS_ALIASES = {
    "padding-top": "css-padding", "padding-right": "css-padding", "padding-bottom": "css-padding",
    "padding-left": "css-padding", "margin-top": "css-margin", "margin-right": "css-margin",
    "margin-bottom": "css-margin", "margin-left": "css-margin", "border-top": "css-border",
    "border-right": "css-border", "border-bottom": "css-border", "border-left": "css-border",
    "border-width": "css-border", "border-style": "css-border", "border-color": "css-border",
}
TAGS = {"h1": "html-h1-h6", "h2": "html-h1-h6", "h3": "html-h1-h6", "h4": "html-h1-h6",
        "h5": "html-h1-h6", "h6": "html-h1-h6", "ul": "html-lists", "ol": "html-lists",
        "li": "html-lists", "header": "html-semantics", "footer": "html-semantics",
        "article": "html-semantics", "section": "html-semantics", "nav": "html-semantics",
        "main": "html-semantics", "aside": "html-semantics"}
ATTRIBUTES = {"lang", "dir", "role", "align", "valign", "width", "height", "cellpadding",
              "cellspacing", "background", "target", "hidden", "srcset"}
UNITS = {"px": "css-unit-px", "em": "css-unit-em", "rem": "css-unit-rem", "%": "css-unit-percent",
         "pt": "css-unit-pt", "vw": "css-unit-vw", "vh": "css-unit-vh", "ch": "css-unit-ch"}
_UNIT = re.compile(r"(?<![\w#-])-?\d*\.?\d+(px|em|rem|%|pt|vw|vh|ch)\b|(?<![\w#-])-?\d*\.?\d+(%)")


def _declarations(style: cssutils.css.CSSStyleDeclaration) -> Iterable[str]:
    for prop in style:
        name = prop.name.lower()
        yield CSS_ALIASES.get(name, f"css-{name}")
        value = prop.value.lower()
        if name == "display" and value == "none":
            yield "css-display-none"
        if prop.priority:
            yield "css-important"
        if "rgba(" in value:
            yield "css-rgba"
        elif "rgb(" in value:
            yield "css-rgb"
        for match in _UNIT.finditer(value):
            yield UNITS[match.group(1) or match.group(2)]


def _selector_features(selector: str) -> Iterable[str]:
    for part in selector.split(","):
        part = part.strip()
        if "," in selector:
            yield "css-selector-grouping"
        if "." in part:
            yield "css-selector-class"
        if "#" in part:
            yield "css-selector-id"
        if ">" in part:
            yield "css-selector-child"
        if "+" in part:
            yield "css-selector-adjacent-sibling"
        if "~" in part:
            yield "css-selector-general-sibling"
        if "[" in part:
            yield "css-selector-attribute"
        if "*" in part:
            yield "css-selector-universal"
        for pseudo in re.findall(r"::?([a-z-]+)", part):
            yield f"css-pseudo-class-{pseudo}"
        if re.search(r"\S\s+\S", re.sub(r"\s*[>+~]\s*", ">", part)):
            yield "css-selector-descendant"
        if re.match(r"[a-z]", part) or re.search(r"[\s>+~][a-z]", part):
            yield "css-selector-type"


def _stylesheet(css: str) -> Iterable[str]:
    if "/*" in css:
        yield "css-comments"
    sheet = cssutils.parseString(css, validate=False)
    for rule in sheet.cssRules:
        if rule.type == rule.MEDIA_RULE:
            yield "css-at-media"
            media = rule.media.mediaText
            if "prefers-color-scheme" in media:
                yield "css-at-media-prefers-color-scheme"
            if "prefers-reduced-motion" in media:
                yield "css-at-media-prefers-reduced-motion"
            yield from _stylesheet("\n".join(r.cssText for r in rule.cssRules))
        elif rule.type == rule.STYLE_RULE:
            yield from _selector_features(rule.selectorText)
            yield from _declarations(rule.style)
        elif rule.type == rule.FONT_FACE_RULE:
            yield "css-at-font-face"
        elif rule.type == rule.IMPORT_RULE:
            yield "css-at-import"


def features(html: str) -> set[str]:
    """The caniemail slugs (and ``no-entry:`` markers) ``html`` uses."""
    import logging

    cssutils.log.setLevel(logging.CRITICAL)
    found: set[str] = set()
    if html.lstrip().lower().startswith("<!doctype"):
        found.add("html-doctype")
    if "<!--" in html:
        found.add("html-comments")
    root = lxml.html.document_fromstring(html)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        found.add(TAGS.get(tag, f"html-{tag}"))
        for attr, value in element.attrib.items():
            attr = attr.lower()
            if attr in ATTRIBUTES:
                found.add(f"html-{attr}")
            elif attr.startswith("aria-"):
                found.add(f"html-{attr}")
            elif attr == "loading":
                found.add("html-loading-attribute")
            elif attr == "style":
                found.update(_declarations(cssutils.parseStyle(value, validate=False)))
        if tag == "meta" and (element.get("name") or "").lower() == "color-scheme":
            found.add("html-meta-color-scheme")
        if tag == "a":
            href = element.get("href") or ""
            if href.startswith("#"):
                found.add("html-anchor-links")
            elif href.startswith("mailto:"):
                found.add("html-mailto-links")
        if tag == "img":
            src = (element.get("src") or "").lower()
            if src.startswith("data:"):
                found.add("image-base64")
            ext = src.split("?")[0].rsplit(".", 1)[-1]
            found.add({"jpeg": "image-jpg"}.get(ext, f"image-{ext}"))
        if tag == "style" and element.text:
            found.update(_stylesheet(element.text))
    return found
