"""Front-matter fields → a validated :class:`~trustpublish.content.model.Post`.

Shared by every reader so the same field means the same thing in Markdown,
plain text and HTML posts. Errors name the file and the line of the field.

Front matter written for another tool is read as follows (:func:`normalize_fields`):

* keys are compared case-insensitively (Pelican writes ``Title:``);
* known synonyms map to our fields (``SYNONYMS``): ``description``/``excerpt`` →
  ``summary``; ``categories`` are merged into ``tags``; ``draft: true`` → ``status:
  draft``; ``lastmod``/``modified`` → ``updated``; ``cover``/``featured_image``/
  ``thumbnail`` → ``image``; ``permalink``/``canonical_url`` → ``url`` (a relative
  permalink is joined to the site's address); our own key wins over a synonym;
* a key within a typo of one of our own keys (``titel``, ``staus``) is an error with
  "did you mean";
* any other key is kept out of the post and reported once, as a note.

A post needs a date only when it is approved: a draft or a post in review without
one gets ``date=None`` and a note.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ...errors import ContentError
from ..model import STATUSES, Block, Post
from ..sanitize import image_ref_problem
from ..text import slugify
from ..yamlsource import LineMap

__all__ = ["Defaults", "build_post", "parse_date", "KNOWN_FIELDS", "SYNONYMS",
           "normalize_fields"]

KNOWN_FIELDS = (
    "title", "date", "slug", "url", "summary", "author", "tags", "image", "image_alt",
    "status", "publish_after", "channels", "language", "updated", "privacy_ok", "hold",
)

#: Field names other tools use → our field (Hugo, Jekyll, Pelican, Eleventy, WordPress exports).
SYNONYMS: dict[str, str] = {
    "description": "summary", "excerpt": "summary", "abstract": "summary",
    "categories": "tags", "category": "tags", "tag": "tags", "keywords": "tags",
    "lastmod": "updated", "modified": "updated", "last_modified_at": "updated",
    "updated_at": "updated", "date_modified": "updated", "datemodified": "updated",
    "cover": "image", "cover_image": "image", "coverimage": "image",
    "featured_image": "image", "featuredimage": "image", "feature_image": "image",
    "thumbnail": "image", "og_image": "image",
    "permalink": "url", "canonical_url": "url", "canonicalurl": "url", "canonical": "url",
    "authors": "author", "lang": "language", "date_published": "date",
    "datepublished": "date", "pubdate": "date", "published_at": "date",
    "image_alt_text": "image_alt", "cover_alt": "image_alt", "alt": "image_alt",
    "featured_image_alt": "image_alt", "thumbnail_alt": "image_alt", "cover_image_alt": "image_alt",
}
#: ``status`` values of other tools (WordPress): the post is read as a draft, with a note.
_FOREIGN_STATUSES = ("publish", "published", "future", "pending", "private", "inherit", "trash")
_NEAR_MISS_CUTOFF = 0.8

_DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S %z", "%Y/%m/%d", "%Y/%m/%d %H:%M", "%d.%m.%Y",
    "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b. %d, %Y",
    "%A, %B %d, %Y", "%a, %d %b %Y %H:%M:%S %z",
)


@dataclass(frozen=True)
class Defaults:
    """Site-wide values a post falls back to: timezone, base URL, author, language."""

    timezone: str = "UTC"
    site_url: str = "https://clinic.example/blog"
    author: str = ""
    language: str = "en"


def parse_date(value: Any, tz: ZoneInfo) -> dt.datetime:
    """A timezone-aware datetime from a YAML date/datetime or a date string.

    Dates without a time are midnight in the site timezone; naive times are read
    in the site timezone. Raises ValueError with a readable message otherwise.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=tz)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a date like 2025-01-21, got {value!r}")
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    raise ValueError(f"cannot read {text!r} as a date; write it like 2025-01-21 or 2025-01-21T09:30")


def _string_list(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise ValueError(f"`{field}` must be a list of words, like [trust, therapy]")


def _hold(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``hold: {mastodon: [part-2]}`` → ``(("mastodon", ("part-2",)),)`` (ValueError if not)."""
    if value in (None, "", {}):
        return ()
    if not isinstance(value, dict):
        raise ValueError("`hold` must map channel names to excerpts, like "
                         "{mastodon: [what-to-expect]}")
    pairs = []
    for channel, refs in value.items():
        if not isinstance(channel, str) or not channel.strip():
            raise ValueError(f"`hold` names {channel!r}, which is not a channel name")
        try:
            names = _string_list(refs if refs is not None else [], "hold")
        except ValueError:
            raise ValueError(f"`hold.{channel}` must be a list of excerpt anchors, like "
                             "[what-to-expect]") from None
        if names:
            pairs.append((channel.strip(), names))
    return tuple(pairs)


def build_post(
    meta: dict[str, Any],
    body: list[Block],
    *,
    source: Path,
    defaults: Defaults,
    lines: LineMap | None = None,
    first_line: int = 1,
) -> Post:
    """Validate ``meta`` and build the Post. ``lines`` maps field names to file lines."""
    line_map = lines or LineMap()

    def fail(field: str, message: str, hint: str | None = None) -> ContentError:
        return ContentError(f"{field}: {message}", file=source,
                            line=line_map.line_of(field) or first_line, hint=hint)

    meta, line_map, notes = normalize_fields(meta, line_map, defaults, first_line)
    for field, message, hint in notes.errors:
        raise fail(field, message, hint)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContentError("the post has no `title`", file=source, line=first_line,
                           hint="add a line `title: Your article's title` to the front matter")
    tz = ZoneInfo(defaults.timezone)
    dates: dict[str, dt.datetime | None] = {}
    for field in ("date", "publish_after", "updated"):
        if meta.get(field) in (None, ""):
            dates[field] = None
            continue
        try:
            dates[field] = parse_date(meta[field], tz)
        except ValueError as exc:
            raise fail(field, str(exc), "dates look like 2025-01-21, or 2025-01-21T09:30 "
                                        "for a time in the site's timezone") from None
    status = str(meta.get("status", "draft")).strip().lower()
    if status in _FOREIGN_STATUSES:
        notes.add(line_map.line_of("status") or first_line,
                  f"status {status!r} comes from another tool: read as `draft`; "
                  "set `status: approved` when the post may be sent")
        status = "draft"
    if status not in STATUSES:
        raise fail("status", f"unknown status {status!r}", f"use one of: {', '.join(STATUSES)}")
    # Jekyll names posts 2020-04-22-title.md: the date is not part of the slug.
    slug = str(meta.get("slug") or slugify(re.sub(r"^\d{4}-\d{2}-\d{2}-", "", source.stem)))
    if slug != slugify(slug):
        raise fail("slug", f"{slug!r} is not a valid slug", f"try `slug: {slugify(slug)}`")
    url = str(meta.get("url") or f"{defaults.site_url.rstrip('/')}/{slug}")
    if not url.startswith(("https://", "http://")):
        raise fail("url", f"{url!r} is not an absolute http(s) URL",
                   "write the full address, like https://clinic.example/blog/my-post")
    try:
        tags = _string_list(meta.get("tags", []), "tags")
        channels = _string_list(meta["channels"], "channels") if meta.get("channels") else None
        privacy_ok = _string_list(meta.get("privacy_ok", []), "privacy_ok")
    except ValueError as exc:
        field = next(f for f in ("tags", "channels", "privacy_ok") if f"`{f}`" in str(exc))
        raise fail(field, str(exc)) from None
    try:
        hold = _hold(meta.get("hold"))
    except ValueError as exc:
        raise fail("hold", str(exc)) from None
    image = meta.get("image")
    image_alt = str(meta.get("image_alt") or "")
    if image and image_ref_problem(str(image)):
        raise fail("image", f"{str(image)[:80]!r} {image_ref_problem(str(image))}",
                   "use an https:// URL or a path inside the project, like images/photo.jpg")
    if image and not image_alt.strip():
        if status == "approved":
            raise fail("image", "an image needs `image_alt` (alt text for screen readers and "
                       "email)", "add `image_alt: A short description of the picture`")
        notes.add(line_map.line_of("image") or first_line,
                  "the image has no `image_alt`: add one before you approve this post")
    if not body:
        raise ContentError("the post has no text after the front matter", file=source,
                           line=first_line, hint="write the article below the closing `---`")
    date = dates["date"]
    if date is None:
        if status == "approved":
            raise ContentError("an approved post needs a `date`", file=source,
                               line=line_map.line_of("status") or first_line,
                               hint="add a line `date: 2025-01-21` to the front matter")
        notes.add(first_line, "no date yet: add `date:` before you approve this post")
    return Post(
        source=source, title=title.strip(), date=date, slug=slug, url=url, body=tuple(body),
        summary=str(meta.get("summary") or "").strip(),
        author=str(meta.get("author") or defaults.author),
        tags=tags, image=str(image) if image else None, image_alt=image_alt,
        status=status,  # type: ignore[arg-type]
        publish_after=dates["publish_after"], channels=channels,
        language=str(meta["language"]) if meta.get("language") else None,
        updated=dates["updated"], privacy_ok=privacy_ok, notes=tuple(notes.notes),
        hold=hold,
    )


@dataclass
class Notes:
    """What :func:`normalize_fields` found: notes (line, text) and errors (field, msg, hint)."""

    notes: list[tuple[int, str]]
    errors: list[tuple[str, str, str | None]]

    def add(self, line: int, message: str) -> None:
        self.notes.append((line, message))


def _author_name(value: Any) -> Any:
    """``author`` as a string: a list of names is joined, a mapping gives its name."""
    if isinstance(value, dict):
        for key in ("display_name", "name", "title", "login"):
            if value.get(key):
                return str(value[key])
        return ""
    if isinstance(value, list):
        return ", ".join(str(_author_name(v)) for v in value if _author_name(v))
    return value


def _image_value(value: Any, out: dict[str, Any]) -> Any:
    """Hugo themes write ``cover: {image: ..., alt: ...}``: take the picture and its alt."""
    if isinstance(value, dict):
        if value.get("alt") and not out.get("image_alt"):
            out["image_alt"] = str(value["alt"])
        return value.get("image") or value.get("src") or value.get("url")
    return value


def normalize_fields(meta: dict[str, Any], lines: LineMap, defaults: Defaults,
                     first_line: int = 1) -> tuple[dict[str, Any], LineMap, Notes]:
    """Map another tool's front matter onto our fields (rules in the module docstring).

    Returns the fields we use, a LineMap under our field names, and the notes and
    near-miss errors found. Pure: the input mapping is not changed.
    """
    from urllib.parse import urljoin

    found = Notes([], [])
    out: dict[str, Any] = {}
    out_lines = LineMap(dict(lines.lines))
    ignored: list[str] = []
    extra_tags: list[Any] = []
    ours = {k: v for k, v in meta.items() if str(k).strip().lower() in KNOWN_FIELDS}
    for key, value in meta.items():
        name = str(key).strip().lower()
        line = lines.line_of(str(key)) or first_line
        if name in KNOWN_FIELDS:
            target = name
        elif name in SYNONYMS:
            target = SYNONYMS[name]
        elif name == "draft":
            if value is True or str(value).strip().lower() in ("true", "yes"):
                out.setdefault("status", "draft")
            continue
        elif name in ("published",) and value is False:
            out.setdefault("status", "draft")
            continue
        else:
            import difflib  # only for a field we do not know

            guess = difflib.get_close_matches(name, KNOWN_FIELDS, n=1, cutoff=_NEAR_MISS_CUTOFF)
            if guess:
                found.errors.append((str(key), "unknown front-matter field",
                                     f"did you mean `{guess[0]}`?"))
            else:
                ignored.append(str(key))
            continue
        if target == "tags" and name != "tags":
            extra_tags.append(value)
            out_lines.lines.setdefault("tags", line)
            continue
        if target == "author":
            value = _author_name(value)
        if target == "image":
            value = _image_value(value, out)
        if target in out and (target in ours or name not in KNOWN_FIELDS):
            continue  # our own key (or the first synonym) wins
        out[target] = value
        out_lines.lines[target] = line
    if extra_tags:
        tags: list[str] = []
        for value in [out.get("tags", []), *extra_tags]:
            try:
                tags += [t for t in _string_list(value or [], "tags")
                         if t.lower() not in {x.lower() for x in tags}]
            except ValueError:
                pass
        out["tags"] = tags
    for field in ("url", "image"):
        value = out.get(field)
        if not isinstance(value, str):
            if field == "url" and value is not None:
                del out[field]  # Eleventy's `permalink: false`
            continue
        if "{{" in value or "{%" in value or re.search(r"(^|/):[a-z_]+", value):
            del out[field]  # a template (`/blog/{{ page.fileSlug }}/`, `/:year/:title/`)
            found.add(out_lines.line_of(field) or first_line,
                      f"`{field}` {value!r} is a template of another tool: not used")
        elif value.startswith("/"):
            out[field] = urljoin(defaults.site_url, value)
    if ignored:
        found.add(first_line, "front-matter fields kept but not used by trustpublish: "
                  + ", ".join(ignored))
    return out, out_lines, found
