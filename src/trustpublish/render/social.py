"""Fitting an excerpt to a channel's budget, counted the way that platform counts (PRODUCT §4, §7).

:func:`fit_excerpt` renders ``templates/social/<type>.txt.j2`` (the project's copy
first) with the longest run of whole sentences that fits, plus the UTM link and
hashtags from the post's tags; when not even the first sentence fits, that
sentence is cut at a word boundary with an ellipsis. With ``thread: true``
(Mastodon, Bluesky) every sentence is used and the text is split into numbered
parts ``(1/n)``. The result, :class:`FittedText`, has the parts, their counts, the
limit, and for Bluesky the link and tag facets (UTF-8 byte offsets).

How each type counts (:func:`count`):

* mastodon — grapheme clusters, every URL as ``characters_reserved_per_url`` (23);
  the limit is the instance's ``max_characters`` (cached in ``state/``, default 500);
* bluesky — grapheme clusters, 300; the link is shown shortened, with a facet;
* linkedin — characters after escaping ``\\ | { } @ [ ] ( ) < > # * _ ~``, 3000;
* telegram — UTF-16 code units of the text after HTML entity parsing, 4096;
* discord — UTF-16 code units, 2000; slack — characters after ``& < >``
  escaping, 3000 (one section block); facebook — characters, 63,206.

Pure: no network, no clock. Mastodon limits come from :func:`mastodon_limits`,
which only reads the cache file the Mastodon adapter writes.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex

from ..content.model import Excerpt
from ..content.text import normalize_space, split_sentences
from ..errors import ConfigError

__all__ = ["Budget", "FittedText", "fit_excerpt", "fit_text", "count", "graphemes", "utf16_len",
           "BUDGETS", "linkedin_escape", "bluesky_facets", "hashtags_from", "mastodon_limits",
           "mastodon_cache_path", "ELLIPSIS"]

ELLIPSIS = "…"


@dataclass(frozen=True)
class Budget:
    """How much text a channel takes and how it is counted (docs/channels.md)."""

    limit: int | None  # None: no practical limit
    counted_as: str = "characters"  # "characters", "graphemes", "bytes", ...
    url_length: int | None = None  # a URL counts as this many (Mastodon: 23)
    supports_threads: bool = False
MAX_THREAD_PARTS = 10

BUDGETS: dict[str, Budget] = {
    "mastodon": Budget(500, "graphemes", url_length=23, supports_threads=True),
    "bluesky": Budget(300, "graphemes", supports_threads=True),
    "linkedin": Budget(3000, "characters"),
    "facebook": Budget(63206, "characters"),
    "telegram": Budget(4096, "utf16"),
    "discord": Budget(2000, "utf16"),
    "slack": Budget(3000, "characters"),
    "webhook": Budget(None, "characters"),
}

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
    return len(text.encode("utf-16-le")) // 2


def count(type_name: str, text: str, *, url_length: int | None = None) -> int:
    """``text`` (as it will be sent) counted the way platform ``type_name`` counts."""
    if type_name == "mastodon":
        return graphemes(_URL.sub("x" * (url_length or 23), text))
    if type_name == "bluesky":
        return graphemes(text)
    if type_name in ("telegram",):
        return utf16_len(html.unescape(re.sub(r"<[^>]+>", "", text)))
    if type_name == "discord":
        return utf16_len(text)
    return len(text)


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


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


# -- Mastodon instance limits ---------------------------------------------------------------
def mastodon_cache_path(state_dir: Path, instance: str) -> Path:
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(instance).netloc or instance)
    return state_dir / "channels" / f"mastodon-{host}.json"


def mastodon_limits(config: Mapping[str, Any], state_dir: Path | None) -> tuple[int, int]:
    """(max_characters, characters_reserved_per_url): config, else the cached instance, else 500/23."""
    limit, per_url = 500, 23
    instance = str(config.get("instance", ""))
    if state_dir is not None and instance:
        path = mastodon_cache_path(state_dir, instance)
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            limit = int(cached.get("max_characters", limit))
            per_url = int(cached.get("characters_reserved_per_url", per_url))
        except (OSError, ValueError, TypeError, AttributeError):
            pass
    return int(config.get("max_characters", limit)), per_url


# -- fitting ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Rules:
    type: str
    limit: int | None
    counted_as: str
    url_length: int | None
    thread: bool


def _rules(type_name: str, name: str, config: Mapping[str, Any],
           state_dir: Path | None) -> _Rules:
    budget = BUDGETS.get(type_name, Budget(None))
    limit, url_length = budget.limit, budget.url_length
    if type_name == "mastodon":
        limit, url_length = mastodon_limits(config, state_dir)
    elif "max_characters" in config:
        limit = int(config["max_characters"])
    thread = bool(config.get("thread", False))
    if thread and not budget.supports_threads:
        raise ConfigError(f"thread mode is only available for mastodon and bluesky, "
                          f"not {type_name}", key_path=f"channels.{name}.thread")
    return _Rules(type_name, limit, budget.counted_as, url_length, thread)


def _sentences(excerpt: Excerpt) -> list[str]:
    paragraphs = [b.text for b in excerpt.blocks if b.kind in ("paragraph", "list", "quote")]
    source = paragraphs or [excerpt.text]
    out: list[str] = []
    for paragraph in source:
        out.extend(split_sentences(paragraph))
    return out or [normalize_space(excerpt.title)]


class _Renderer:
    """Renders the channel's template and puts the text in the platform's form."""

    def __init__(self, rules: _Rules, context: dict[str, Any], templates: Path | None,
                 template: str | list[str]) -> None:
        self.rules, self.context, self.templates, self.template = rules, context, templates, template
        self._render: Any = None

    def __call__(self, text: str, part: int, total: int) -> tuple[str, int]:
        if self._render is None:  # loaded once per fit, not once per trial
            from .templating import renderer

            self._render = renderer(self.template, templates=self.templates)
        raw = self._render({**self.context, "text": text, "part": part, "total": total})
        out = re.sub(r"\n{3,}", "\n\n", raw).strip()
        kind = self.rules.type
        if kind == "linkedin":
            out = linkedin_escape(out)
        elif kind == "telegram":
            out = html.escape(out, quote=False)
        elif kind == "slack":
            out = _slack_escape(out)
        return out, count(kind, out, url_length=self.rules.url_length)

    def fits(self, counted: int) -> bool:
        return self.rules.limit is None or counted <= self.rules.limit


def _cut(sentence: str, fits_words: Any) -> str:
    """The longest word-boundary prefix of ``sentence`` + ellipsis for which ``fits_words`` holds."""
    words = sentence.split(" ")
    lo, hi, best = 1, len(words), ""
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = " ".join(words[:mid]).rstrip(",;:—-") + ELLIPSIS
        if fits_words(candidate):
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    if not best:  # one overlong word: cut by graphemes
        clusters = _GRAPHEME.findall(words[0])
        lo, hi = 0, len(clusters)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits_words("".join(clusters[:mid]) + ELLIPSIS):
                lo = mid
            else:
                hi = mid - 1
        best = "".join(clusters[:lo]) + ELLIPSIS
    return best


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
    cut = _cut(sentences[0], lambda t: render.fits(render(t, 1, 1)[1]))
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
                    head = _cut(queue[0], lambda t, p=part: render.fits(render(t, p, total)[1]))
                    rest = queue[0][len(head) - len(ELLIPSIS):].lstrip()
                    group.append(head)
                    queue[0] = rest
                    truncated = True
                    break
            groups.append(group)
        truncated = truncated or bool(queue)
        if len(groups) == total:
            break
        total = len(groups)
    rendered = [render(" ".join(g), i + 1, len(groups)) for i, g in enumerate(groups)]
    return [r[0] for r in rendered], [r[1] for r in rendered], truncated


def fit_text(sentences: Sequence[str], type_name: str, channel_name: str,
             channel_config: Mapping[str, Any], *, link: str, title: str = "",
             tags: Sequence[str] = (), templates: Path | None = None,
             state_dir: Path | None = None) -> FittedText:
    """Fit ``sentences`` + ``link`` + hashtags to one channel (see module docstring)."""
    rules = _rules(type_name, channel_name, channel_config, state_dir)
    shown = short_link(link) if type_name == "bluesky" else link
    use_tags = channel_config.get("hashtags", True)
    extra_tags = use_tags if isinstance(use_tags, list) else []
    hashtags = hashtags_from([*tags, *extra_tags]) if use_tags is not False else []
    context = {"link": shown, "hashtags": hashtags, "title": title, "channel": channel_name}
    template = ([str(channel_config["template"])] if channel_config.get("template")
                else [f"social/{type_name}.txt.j2", "social/default.txt.j2"])
    render = _Renderer(rules, context, templates, template)
    sentences = [s for s in sentences if s] or [title]
    if rules.thread:
        parts, counts, truncated = _thread(render, list(sentences))
    else:
        parts, counts, truncated = _single(render, list(sentences))
    facets: tuple[tuple[dict[str, Any], ...], ...] = ()
    if type_name == "bluesky":
        facets = tuple(bluesky_facets(p, {shown: link}) for p in parts)
    return FittedText(parts=tuple(parts), counts=tuple(counts), limit=rules.limit,
                      counted_as=rules.counted_as, facets=facets, truncated=truncated, link=link)


def fit_excerpt(excerpt: Excerpt, channel_name: str, channel_config: Mapping[str, Any], *,
                tags: Sequence[str] = (), templates: Path | None = None,
                state_dir: Path | None = None) -> FittedText:
    """The text of ``excerpt`` for channel ``channel_name`` (for the planner and publish)."""
    type_name = str(channel_config.get("type", ""))
    return fit_text(_sentences(excerpt), type_name, channel_name, channel_config,
                    link=excerpt.link(channel_name), title=excerpt.title, tags=tags,
                    templates=templates, state_dir=state_dir)
