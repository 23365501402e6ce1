"""Fitting an excerpt to a channel's budget, counted the way that platform counts.

:func:`fit_excerpt` renders ``templates/social/<type>.txt.j2`` (the project's copy
first) with the longest run of whole sentences that fits, plus the UTM link and
hashtags from the post's tags; when not even the first sentence fits, that
sentence is cut at a word boundary with an ellipsis. With ``thread: true``
(channels whose platform has replies) every sentence is used and the text is split
into numbered parts ``(1/n)``. The result, :class:`FittedText`, has the parts, their
counts, the limit, and the link and tag facets when the channel asks for them.

What differs between channels — the limit, how text is counted, escaping, how the
link is shown, facets, thread support — arrives as a :class:`TextRules` value built
by the channel class (``Channel.text_rules``, see docs/channels.md). This module
never looks at a channel's type and never reads files other than templates.

The pure text helpers the channel classes build their rules from live here too:
:func:`graphemes`, :func:`utf16_len`, :func:`count_urls_as`, :func:`entity_utf16_len`,
:func:`linkedin_escape`, :func:`slack_escape`, :func:`telegram_escape`,
:func:`short_link`, :func:`bluesky_facets`, :func:`hashtags_from`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex

from ..content.model import Excerpt
from ..content.text import normalize_space, split_sentences

__all__ = ["Budget", "TextRules", "FittedText", "fit_excerpt", "fit_text", "graphemes",
           "utf16_len", "count_urls_as", "entity_utf16_len", "linkedin_escape", "slack_escape",
           "telegram_escape", "short_link", "bluesky_facets", "hashtags_from", "ELLIPSIS",
           "MAX_THREAD_PARTS"]

ELLIPSIS = "…"
MAX_THREAD_PARTS = 10


@dataclass(frozen=True)
class Budget:
    """How much text a channel takes and how it is counted (docs/channels.md)."""

    limit: int | None  # None: no practical limit
    counted_as: str = "characters"  # "characters", "graphemes", "utf16", ...
    url_length: int | None = None  # a URL counts as this many (Mastodon: 23)
    supports_threads: bool = False


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class TextRules:
    """How one configured channel takes text; built by its channel class (docs/channels.md).

    ``count`` measures text as it will be sent (after ``escape``) the way the platform
    does; ``limit`` is the most it takes (None: no limit); ``escape`` turns rendered
    text into the platform's form; ``shorten_link`` is how the link is shown in the
    text; ``facets`` (text, {shown: uri}) gives the rich-text annotations of a part, or
    None when the platform has none; ``thread`` splits long text into numbered replies;
    ``templates`` are the template names tried in order (the channel's ``template:``
    key comes first).
    """

    limit: int | None
    counted_as: str = "characters"
    count: Callable[[str], int] = len
    escape: Callable[[str], str] = _same
    shorten_link: Callable[[str], str] = _same
    facets: Callable[[str, Mapping[str, str]], tuple[dict[str, Any], ...]] | None = None
    thread: bool = False
    templates: tuple[str, ...] = ("social/default.txt.j2",)


_URL = re.compile(r"https?://[^\s<>\"]+")
_GRAPHEME = regex.compile(r"\X")
_JOINING = re.compile("[^\x00-\u02ff\u2010-\u2027\u2030-\u205e]")  # may be part of a cluster
_LINKEDIN_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
_HASHTAG = regex.compile(r"(?<![\p{L}\p{N}_&])#([\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*)")


@dataclass(frozen=True)
class FittedText:
    """The text for one channel. ``counts[i]`` is part ``i`` counted the channel's way."""

    parts: tuple[str, ...]
    counts: tuple[int, ...]
    limit: int | None
    counted_as: str = "characters"
    facets: tuple[tuple[dict[str, Any], ...], ...] = ()
    truncated: bool = False
    link: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fits(self) -> bool:
        return self.limit is None or all(c <= self.limit for c in self.counts)

    @property
    def text(self) -> str:
        return self.parts[0] if self.parts else ""


# -- counting -----------------------------------------------------------------------------
def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, UAX #29).

    Text made only of characters that never join a cluster (below U+0300, and the
    dashes, quotes and ellipsis of General Punctuation) needs no segmentation: each
    character is one cluster, except CR LF. That keeps fitting long posts fast.
    """
    if not _JOINING.search(text):
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def utf16_len(text: str) -> int:
    """UTF-16 code units (what Discord and Telegram count)."""
    return len(text.encode("utf-16-le")) // 2


def count_urls_as(text: str, url_length: int) -> int:
    """Graphemes, with every URL counted as ``url_length`` (Mastodon)."""
    return graphemes(_URL.sub("x" * url_length, text))


def entity_utf16_len(text: str) -> int:
    """UTF-16 code units of HTML text after tags are dropped and entities parsed (Telegram)."""
    return utf16_len(html.unescape(re.sub(r"<[^>]+>", "", text)))


# -- platform text forms ------------------------------------------------------------------
def linkedin_escape(text: str) -> str:
    """Escape LinkedIn's reserved characters outside URLs; ``#Tag`` becomes a hashtag."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(_linkedin_plain(text[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_linkedin_plain(text[last:]))
    return "".join(out)


def _linkedin_plain(text: str) -> str:
    pieces: list[str] = []
    last = 0
    for match in _HASHTAG.finditer(text):
        pieces.append(_LINKEDIN_RESERVED.sub(r"\\\1", text[last:match.start()]))
        pieces.append("{hashtag|\\#|" + _LINKEDIN_RESERVED.sub(r"\\\1", match.group(1)) + "}")
        last = match.end()
    pieces.append(_LINKEDIN_RESERVED.sub(r"\\\1", text[last:]))
    return "".join(pieces)


def slack_escape(text: str) -> str:
    """Slack mrkdwn: ``& < >`` become entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def telegram_escape(text: str) -> str:
    """Telegram ``parse_mode: HTML``: ``& < >`` become entities (quotes stay)."""
    return html.escape(text, quote=False)


def short_link(url: str, max_chars: int = 32) -> str:
    """How Bluesky shows a link: host + path without scheme, cut with an ellipsis."""
    parts = urlsplit(url)
    shown = parts.netloc + parts.path
    return shown if len(shown) <= max_chars else shown[: max_chars - 1] + ELLIPSIS


def bluesky_facets(text: str, links: Mapping[str, str]) -> tuple[dict[str, Any], ...]:
    """Link facets (for each shown form in ``links`` → full URI) and tag facets.

    Offsets are UTF-8 byte offsets into ``text``, end exclusive, as the AT Protocol asks.
    """
    data = text.encode("utf-8")
    facets: list[tuple[int, dict[str, Any]]] = []

    def add(start_char: int, end_char: int, feature: dict[str, Any]) -> None:
        start = len(text[:start_char].encode("utf-8"))
        end = start + len(text[start_char:end_char].encode("utf-8"))
        assert end <= len(data)
        facets.append((start, {"index": {"byteStart": start, "byteEnd": end},
                               "features": [feature]}))

    for shown, uri in links.items():
        for match in re.finditer(re.escape(shown), text):
            add(match.start(), match.end(), {"$type": "app.bsky.richtext.facet#link", "uri": uri})
    for match in _HASHTAG.finditer(text):
        add(match.start(), match.end(), {"$type": "app.bsky.richtext.facet#tag",
                                         "tag": match.group(1)})
    return tuple(f for _, f in sorted(facets, key=lambda item: item[0]))


def hashtags_from(tags: Sequence[str]) -> list[str]:
    """``["mental health", "trust"]`` → ``["#MentalHealth", "#Trust"]`` (duplicates dropped)."""
    seen: dict[str, str] = {}
    for tag in tags:
        words = regex.findall(r"[\p{L}\p{N}]+", str(tag))
        if not words:
            continue
        tag_text = "".join(w[:1].upper() + w[1:] for w in words)
        seen.setdefault(tag_text.lower(), "#" + tag_text)
    return list(seen.values())


# -- fitting ------------------------------------------------------------------------------
def _sentences(excerpt: Excerpt) -> list[str]:
    paragraphs = [b.text for b in excerpt.blocks if b.kind in ("paragraph", "list", "quote")]
    source = paragraphs or [excerpt.text]
    out: list[str] = []
    for paragraph in source:
        out.extend(split_sentences(paragraph))
    return out or [normalize_space(excerpt.title)]


class _Renderer:
    """Renders the channel's template and puts the text in the platform's form."""

    def __init__(self, rules: TextRules, context: dict[str, Any], templates: Path | None,
                 template: list[str]) -> None:
        self.rules, self.context, self.templates, self.template = rules, context, templates, template
        self._render: Any = None

    def __call__(self, text: str, part: int, total: int) -> tuple[str, int]:
        if self._render is None:  # loaded once per fit, not once per trial
            from .templating import renderer

            self._render = renderer(self.template, templates=self.templates)
        raw = self._render({**self.context, "text": text, "part": part, "total": total})
        out = self.rules.escape(re.sub(r"\n{3,}", "\n\n", raw).strip())
        return out, self.rules.count(out)

    def fits(self, counted: int) -> bool:
        return self.rules.limit is None or counted <= self.rules.limit


_LEADING_PUNCTUATION = regex.compile(r"^[\s,;:.!?…\-–—)\]}]+")


def _cut(sentence: str, fits_words: Any) -> tuple[str, str]:
    """The longest word-boundary prefix of ``sentence`` + ellipsis for which ``fits_words``
    holds, and the rest of the sentence (for the next part of a thread). The rest never
    starts with punctuation left over from the cut (a comma, a dash, a closing bracket)."""
    words = sentence.split(" ")
    lo, hi, best, used = 1, len(words), "", 0
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = " ".join(words[:mid]).rstrip(",;:—-") + ELLIPSIS
        if fits_words(candidate):
            best, used, lo = candidate, mid, mid + 1
        else:
            hi = mid - 1
    if best:
        rest = " ".join(words[used:])
    else:  # one overlong word: cut by graphemes
        clusters = _GRAPHEME.findall(words[0])
        lo, hi = 0, len(clusters)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits_words("".join(clusters[:mid]) + ELLIPSIS):
                lo = mid
            else:
                hi = mid - 1
        best = "".join(clusters[:lo]) + ELLIPSIS
        rest = " ".join(["".join(clusters[lo:]), *words[1:]])
    return best, _LEADING_PUNCTUATION.sub("", rest)


def _single(render: _Renderer, sentences: list[str]) -> tuple[list[str], list[int], bool]:
    lo, hi = 1, len(sentences)
    best: tuple[str, int] | None = None
    while lo <= hi:  # the longest prefix of whole sentences that fits
        mid = (lo + hi) // 2
        out, counted = render(" ".join(sentences[:mid]), 1, 1)
        if render.fits(counted):
            best, lo = (out, counted), mid + 1
        else:
            hi = mid - 1
    if best is not None:
        return [best[0]], [best[1]], False
    cut, _rest = _cut(sentences[0], lambda t: render.fits(render(t, 1, 1)[1]))
    out, counted = render(cut, 1, 1)
    return [out], [counted], True


def _thread(render: _Renderer, sentences: list[str]) -> tuple[list[str], list[int], bool]:
    total, truncated = 1, False
    for _ in range(4):  # the numbering width depends on the number of parts
        groups: list[list[str]] = []
        queue = list(sentences)
        while queue and len(groups) < MAX_THREAD_PARTS:
            part = len(groups) + 1
            group: list[str] = []
            while queue:
                trial = " ".join([*group, queue[0]])
                if render.fits(render(trial, part, total)[1]):
                    group.append(queue.pop(0))
                elif group:
                    break
                else:  # one sentence longer than a part: split it across parts
                    head, rest = _cut(queue[0],
                                      lambda t, p=part: render.fits(render(t, p, total)[1]))
                    group.append(head)
                    if rest:
                        queue[0] = rest
                    else:
                        queue.pop(0)
                    truncated = True
                    break
            groups.append(group)
        truncated = truncated or bool(queue)
        if len(groups) == total:
            break
        total = len(groups)
    rendered = [render(" ".join(g), i + 1, len(groups)) for i, g in enumerate(groups)]
    return [r[0] for r in rendered], [r[1] for r in rendered], truncated


def fit_text(sentences: Sequence[str], rules: TextRules, channel_name: str,
             channel_config: Mapping[str, Any], *, link: str, title: str = "",
             tags: Sequence[str] = (), templates: Path | None = None) -> FittedText:
    """Fit ``sentences`` + ``link`` + hashtags to one channel (see module docstring).

    ``rules`` come from the channel's class; ``channel_config`` gives the
    channel-independent keys ``hashtags`` and ``template``.
    """
    shown = rules.shorten_link(link)
    use_tags = channel_config.get("hashtags", True)
    extra_tags = use_tags if isinstance(use_tags, list) else []
    hashtags = hashtags_from([*tags, *extra_tags]) if use_tags is not False else []
    context = {"link": shown, "hashtags": hashtags, "title": title, "channel": channel_name}
    template = ([str(channel_config["template"])] if channel_config.get("template")
                else list(rules.templates))
    render = _Renderer(rules, context, templates, template)
    sentences = [s for s in sentences if s] or [title]
    if rules.thread:
        parts, counts, truncated = _thread(render, list(sentences))
    else:
        parts, counts, truncated = _single(render, list(sentences))
    facets: tuple[tuple[dict[str, Any], ...], ...] = ()
    if rules.facets is not None:
        facets = tuple(rules.facets(p, {shown: link}) for p in parts)
        facets = facets if any(facets) else ()
    return FittedText(parts=tuple(parts), counts=tuple(counts), limit=rules.limit,
                      counted_as=rules.counted_as, facets=facets, truncated=truncated, link=link)


def fit_excerpt(excerpt: Excerpt, channel_name: str, channel_config: Mapping[str, Any], *,
                rules: TextRules, tags: Sequence[str] = (),
                templates: Path | None = None) -> FittedText:
    """The text of ``excerpt`` for channel ``channel_name`` (for the planner and publish)."""
    return fit_text(_sentences(excerpt), rules, channel_name, channel_config,
                    link=excerpt.link(channel_name), title=excerpt.title, tags=tags,
                    templates=templates)
