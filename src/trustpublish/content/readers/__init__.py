"""Readers: one source file in, one :class:`~trustpublish.content.model.Post` out.

Each reader declares the file extensions it handles. ``read_post`` picks the
reader by extension, decodes the file strictly (UTF-8, no NUL bytes) and raises
:class:`~trustpublish.errors.ContentError` naming the file and line on any problem.
``read_posts`` reads a folder and returns the posts it could read plus the errors
of those it could not, so one bad file never hides the others (even a reader that
fails in an unforeseen way only costs its own file).

A post file larger than :data:`MAX_POST_BYTES` (5 MiB, documented in the README) is
refused before it is parsed: it is far beyond any article and would only cost time
and memory.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ...errors import ContentError
from ...files import digest
from ..model import Post
from .metadata import Defaults

__all__ = ["READERS", "Defaults", "read_post", "read_posts", "read_raw", "read_source",
           "SUFFIXES", "MAX_POST_BYTES"]

#: the largest post file read (bytes); larger files are a ContentError
MAX_POST_BYTES = 5 * 1024 * 1024

Reader = Callable[[str, Path, Defaults], Post]


def _markdown(text: str, path: Path, defaults: Defaults) -> Post:
    from .markdown import read_markdown

    return read_markdown(text, path, defaults)


def _plaintext(text: str, path: Path, defaults: Defaults) -> Post:
    from .plaintext import read_plaintext

    return read_plaintext(text, path, defaults)


def _html(text: str, path: Path, defaults: Defaults) -> Post:
    from .html import read_html

    return read_html(text, path, defaults)


READERS: dict[str, Reader] = {
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _plaintext,
    ".text": _plaintext,
    ".html": _html,
    ".htm": _html,
}
SUFFIXES = tuple(READERS)


def read_raw(path: Path) -> bytes:
    """A post file's bytes: the one place post content is read from disk (at most
    :data:`MAX_POST_BYTES`; a larger file is a ContentError)."""
    size = path.stat().st_size
    if size > MAX_POST_BYTES:
        raise ContentError(
            f"the file is {size / 1048576:.1f} MiB; posts are limited to "
            f"{MAX_POST_BYTES // 1048576} MiB", file=path, line=1,
            hint="split the article into several posts, or move embedded data "
                 "(images as data: URLs) into separate files")
    return path.read_bytes()


def read_source(path: Path, raw: bytes | None = None) -> str:
    """The file's text (``raw``: its bytes, when already read), or a ContentError for
    empty, binary or non-UTF-8 files."""
    if raw is None:
        try:
            raw = read_raw(path)
        except OSError as exc:
            raise ContentError(f"cannot read file ({exc.strerror})", file=path) from exc
    if not raw.strip():
        raise ContentError("the file is empty", file=path,
                           hint="add front matter with a title and date, then the article text")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ContentError("this is a binary file, not text", file=path, line=line,
                           hint="posts must be Markdown, plain text or HTML files")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(
            f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            file=path, line=line,
            hint="re-save the file as UTF-8 in your editor",
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_post(path: Path, defaults: Defaults | None = None, raw: bytes | None = None) -> Post:
    """Read one post (from ``raw``, its bytes, when given); raises ContentError (file,
    line) when it cannot be read."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ContentError(f"unknown post format {path.suffix!r}", file=path,
                           hint=f"use one of: {', '.join(SUFFIXES)}")
    text = read_source(path, raw)
    try:
        return reader(text, path, defaults or Defaults())
    except ContentError:
        raise
    except RecursionError:
        raise ContentError("the post is nested too deeply to be read", file=path, line=1,
                           hint="remove the deeply nested lists or quotes") from None
    except Exception as exc:  # noqa: BLE001 - one post must never stop the others
        raise ContentError(f"this post cannot be read ({type(exc).__name__}: {exc})",
                           file=path, line=1,
                           hint="check its front matter; if it looks right, please report "
                                "this as a bug") from None


class PostCache(Protocol):
    """Where parsed posts are kept between runs (the workspace's content cache)."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any) -> None: ...


@dataclass
class ReadResult:
    posts: list[Post]
    errors: list[ContentError]


def iter_post_files(folder: Path) -> Iterable[Path]:
    """Post files under ``folder`` in a stable order (hidden files and README skipped).

    Regular files (or links to them) whose suffix has a reader, in ``folder`` and its
    sub-folders (not through links to folders), none of whose path parts below
    ``folder`` starts with ``.`` or ``_``; sorted by path parts. One ``scandir`` per
    folder: the file types come with the listing.
    """
    if not folder.is_dir():
        return []
    found: list[tuple[tuple[str, ...], str]] = []
    stack: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    while stack:
        where, parts = stack.pop()
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith((".", "_")):
                continue
            try:
                if entry.is_dir() and not entry.is_symlink():
                    stack.append((entry.path, (*parts, name)))
                    continue
                if not entry.is_file():
                    continue
            except OSError:
                continue
            dot = name.rfind(".")  # Path.suffix and Path.stem, without building a Path
            suffix, stem = (name[dot:], name[:dot]) if 0 < dot < len(name) - 1 else ("", name)
            if suffix.lower() in READERS and stem.lower() != "readme":
                found.append(((*parts, name), entry.path))
    found.sort()
    return [Path(path) for _, path in found]


def read_posts(folder: Path, defaults: Defaults | None = None,
               cache: PostCache | None = None) -> ReadResult:
    """Read every post in ``folder``; posts sorted by date, then slug.

    Two posts with the same slug are an error on the second one. With a ``cache``,
    a file whose bytes (and the defaults) are unchanged is not parsed again.
    """
    posts: list[Post] = []
    errors: list[ContentError] = []
    seen: dict[str, Path] = {}
    defaults = defaults or Defaults()
    for path in iter_post_files(folder):
        try:
            if cache and path.stat().st_size <= MAX_POST_BYTES:
                key = digest("post", str(path), path.read_bytes(), defaults)
            else:
                key = ""
            post = cache.get(key) if key and cache else None
            if post is None:
                post = read_post(path, defaults)
                if key and cache:
                    cache.put(key, post)
        except OSError as exc:
            errors.append(ContentError(f"cannot read file ({exc.strerror})", file=path))
            continue
        except ContentError as exc:
            errors.append(exc)
            continue
        if post.slug in seen:
            errors.append(ContentError(
                f"slug {post.slug!r} is already used by {seen[post.slug]}", file=path, line=1,
                hint="set a different `slug:` in the front matter"))
            continue
        seen[post.slug] = path
        posts.append(post)
    posts.sort(key=_post_order)
    return ReadResult(posts, errors)


_UNDATED = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def _post_order(post: Post) -> tuple[dt.datetime, str]:
    """Oldest first; posts without a date (drafts) last."""
    return (post.date.astimezone(dt.timezone.utc) if post.date else _UNDATED, post.slug)
