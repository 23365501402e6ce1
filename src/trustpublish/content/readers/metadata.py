"""Front-matter fields → a validated :class:`~trustpublish.content.model.Post`.

Shared by every reader so the same field means the same thing in Markdown,
plain text and HTML posts. Errors name the file and the line of the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ...errors import ContentError
from ..model import STATUSES, Block, Post
from ..sanitize import image_ref_problem
from ..text import slugify
from ..yamlsource import LineMap

__all__ = ["Defaults", "build_post", "parse_date", "KNOWN_FIELDS"]

KNOWN_FIELDS = (
    "title", "date", "slug", "url", "summary", "author", "tags", "image", "image_alt",
    "status", "publish_after", "channels", "language", "updated", "privacy_ok",
)

_DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
    "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y",
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
            return dt.datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(f"cannot read {text!r} as a date; write it like 2025-01-21 or 2025-01-21T09:30")


def _string_list(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise ValueError(f"`{field}` must be a list of words, like [trust, therapy]")


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
    lines = lines or LineMap()

    def fail(field: str, message: str, hint: str | None = None) -> ContentError:
        return ContentError(f"{field}: {message}", file=source,
                            line=lines.line_of(field) or first_line, hint=hint)

    unknown = sorted(set(meta) - set(KNOWN_FIELDS))
    if unknown:
        import difflib

        guess = difflib.get_close_matches(str(unknown[0]), KNOWN_FIELDS, n=1)
        raise fail(str(unknown[0]), "unknown front-matter field",
                   f"did you mean `{guess[0]}`?" if guess else f"known fields: {', '.join(KNOWN_FIELDS)}")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContentError("the post has no `title`", file=source, line=first_line,
                           hint="add a line `title: Your article's title` to the front matter")
    if "date" not in meta or meta["date"] in (None, ""):
        raise ContentError("the post has no `date`", file=source, line=first_line,
                           hint="add a line `date: 2025-01-21` to the front matter")
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
    if status not in STATUSES:
        raise fail("status", f"unknown status {status!r}", f"use one of: {', '.join(STATUSES)}")
    slug = str(meta.get("slug") or slugify(source.stem))
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
    image = meta.get("image")
    image_alt = str(meta.get("image_alt") or "")
    if image and image_ref_problem(str(image)):
        raise fail("image", f"{str(image)[:80]!r} {image_ref_problem(str(image))}",
                   "use an https:// URL or a path inside the project, like images/photo.jpg")
    if image and not image_alt.strip():
        raise fail("image", "an image needs `image_alt` (alt text for screen readers and email)",
                   "add `image_alt: A short description of the picture`")
    if not body:
        raise ContentError("the post has no text after the front matter", file=source,
                           line=first_line, hint="write the article below the closing `---`")
    date = dates["date"]
    assert date is not None
    return Post(
        source=source, title=title.strip(), date=date, slug=slug, url=url, body=tuple(body),
        summary=str(meta.get("summary") or "").strip(),
        author=str(meta.get("author") or defaults.author),
        tags=tags, image=str(image) if image else None, image_alt=image_alt,
        status=status,  # type: ignore[arg-type]
        publish_after=dates["publish_after"], channels=channels,
        language=str(meta["language"]) if meta.get("language") else None,
        updated=dates["updated"], privacy_ok=privacy_ok,
    )
