"""The ``feeds`` step of ``trustpublish build``: the edge where feeds meet files and the hub.

Writes, under ``dist/feeds/``:

* ``rss.xml``, ``atom.xml``, ``feed.json`` — the approved posts whose ``date`` and
  ``publish_after`` have passed, newest first, capped at ``feeds.limit`` entries
  (default 50) with older entries in ``archive/`` pages (see :mod:`.archive`);
* ``channels/<name>/{rss.xml,atom.xml,feed.json}`` for every channel of ``type: feed``,
  holding the excerpts whose slot has passed (see :mod:`.excerpts`).

A file is rewritten only when its bytes change, so an unchanged feed keeps its
modification time, and the WebSub hub (``site.websub_hub``) is pinged only for the
subscription documents whose bytes changed. The record that keeps ``updated``
stable (:mod:`.dates`) lives in ``state/feeds-cache.json`` and is written atomically.

A document is not even rendered when its *input key* is the one recorded when it
was last written and the file is as it was then (same size and modification time):
the key covers the feed's data, each entry's dates and content hash (kept in the
content index, so an unchanged post is not read) and the code that renders. With the
default limit, editing one post renders the subscription documents and the one
archive page that holds it.

Rendering a document again does not read the posts that did not change: an entry's
content (HTML and summary) is taken back from the JSON Feed document written last
time for the same page (or a neighbouring page, where entries shift), and used only
if its content hash is the one the content index holds for the post; otherwise the
post is read. So editing one post reads that post only, and the old file, even if
edited by hand or left by another version, can only cost speed (see :class:`_Prior`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any


from ..errors import StateError
from ..files import PRIVATE_FILE, code_key, write_if_changed
from ..render.feeds.archive import FORMATS, archive_name, paginate
from ..render.feeds.dates import empty_record, feed_updated, resolve_updated
from ..render.feeds.excerpts import excerpt_feed_items, timetable_slots
from ..render.feeds.formats import atom_bytes, rss_bytes
from ..render.feeds.items import FeedInfo, FeedItem, content_hash, feed_base_url, post_item
from ..render.feeds.jsonfeed import item_contents, json_feed_bytes

if TYPE_CHECKING:
    from ..content.model import Post
    from ..workspace.project import Project

__all__ = ["build_feeds", "RECORD_NAME", "DEFAULT_LIMIT"]

RECORD_NAME = "feeds-cache.json"
DEFAULT_LIMIT = 50

_RENDER: dict[str, Callable[[FeedInfo, list[FeedItem]], bytes]] = {
    "rss": rss_bytes, "atom": atom_bytes, "json": json_feed_bytes,
}


def _load_record(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty_record()
    except (OSError, ValueError) as exc:
        raise StateError(f"{path}: cannot read the feed date record ({exc})",
                         hint="delete the file; entry dates restart from publication dates") from exc
    return data if isinstance(data, dict) else empty_record()


def _published(post: "Post", now: dt.datetime, project: "Project") -> bool:
    """Approved, clear of the privacy guard, and its date (and publish_after) has come."""
    return (project.publishable(post) and post.date <= now
            and (post.publish_after is None or post.publish_after <= now))


@lru_cache(maxsize=1)
def _render_code() -> str:
    """Key (:func:`~trustpublish.files.code_key`) of the modules that turn feed data into
    bytes (part of every input key)."""
    from .. import __version__
    from ..render import feeds

    return code_key(Path(feeds.__file__).parent.glob("*.py"), seed=__version__)


class _Outputs:
    """Input keys of the documents written (kept in the content cache, see
    :mod:`trustpublish.workspace.index`): ``path → [key, size, mtime_ns]``."""

    def __init__(self, project: "Project") -> None:
        self.index = project.index

    def fresh(self, path: Path, key: str) -> bool:
        """True if ``path`` was written from ``key`` and has not been touched since."""
        self.index.use_output(str(path))
        try:
            stat = path.stat()
        except OSError:
            return False
        return self.index.outputs.get(str(path)) == [key, stat.st_size, stat.st_mtime_ns]

    def wrote(self, path: Path, key: str) -> None:
        stat = path.stat()
        self.index.set_output(str(path), [key, stat.st_size, stat.st_mtime_ns])


def _fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, nested dataclasses too (the JSON of
    :func:`dataclasses.asdict` for these flat records, without its deep copies)."""
    return {f.name: _fields(v) if is_dataclass(v) and not isinstance(v, type) else v
            for f in fields(value) for v in (getattr(value, f.name),)}


def _dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False,
                      default=lambda v: v.isoformat() if hasattr(v, "isoformat") else repr(v))


def _canon(value: Any) -> str:
    """A dataclass as canonical text (datetimes by their ISO text, whatever their tzinfo)."""
    return _dumps(_fields(value))


#: the item fields an input key covers: all but the content (its content hash stands for it)
_KEY_FIELDS = tuple(f.name for f in fields(FeedItem) if f.name not in ("content_html", "summary"))


def _plain(value: Any) -> Any:
    """JSON for what :mod:`json` does not know here: datetimes by their ISO text (whatever
    their tzinfo), nested records by their fields."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _fields(value) if is_dataclass(value) else repr(value)


_encode_list = json.JSONEncoder(ensure_ascii=False, default=_plain).encode


def _items_digest(items: list[FeedItem], hashes: Mapping[str, str]) -> str:
    """A hash of a page's entries: each one's key fields' values in field order (datetimes
    by their ISO text) and its content hash, in order. The page is encoded in one call
    of the C encoder: this runs for every page of every feed."""
    rows = [[*(v.isoformat() if isinstance(v, dt.datetime) else v
               for v in map(item.__getattribute__, _KEY_FIELDS)), hashes[item.id]]
            for item in items]
    return hashlib.sha256(_encode_list(rows).encode()).hexdigest()


def _input_key(fmt: str, info: FeedInfo, digest: str) -> str:
    """The input key of one document: the render code, the format, the feed data and
    the :func:`_items_digest` of its entries."""
    text = f"{_render_code()}\0{fmt}\0{_canon(info)}\0{digest}"
    return hashlib.sha256(text.encode()).hexdigest()


def _read_contents(path: Path) -> dict[str, tuple[str, str]]:
    """:func:`item_contents` of the JSON Feed document at ``path`` ({} if none)."""
    try:
        return item_contents(path.read_bytes())
    except OSError:
        return {}


class _Prior:
    """The entry contents of this feed's JSON Feed documents as they were before this run
    rewrote them, for the page being rendered. Looked up in order: the page's own old
    document; the old documents of the page rendered just before it and of the
    subscription document (each read before it was rewritten); the next newer page's
    (entries shift between neighbouring pages when posts are added or removed). A file
    is read the first time a lookup needs it: a page's own file at the page's first
    lookup, so before its JSON document is rewritten. At most four pages' contents are
    kept in memory.
    """

    def __init__(self) -> None:
        self._kept: list[dict[str, tuple[str, str]]] = []  # the current document, the last page
        self._current: dict[str, tuple[str, str]] | None = None
        self._own: dict[str, tuple[str, str]] | None = None  # None: not read (yet)
        self._newer: dict[str, tuple[str, str]] | None = None
        self._paths: tuple[Path | None, Path | None] = (None, None)

    def page(self, own: Path, newer: Path | None) -> None:
        """Start a page whose old JSON document is ``own`` (``newer``: the next newer page's;
        the first page started is the subscription document)."""
        if self._paths[0] is not None and self._current is None:
            self._current = self._own or {}  # the page before was the subscription document
        self._kept = [self._current or {}, self._own or {}]
        self._own = self._newer = None
        self._paths = (own, newer)

    def get(self, item_id: str) -> tuple[str, str] | None:
        """(content HTML, summary) of ``item_id`` as last written, if one of the pages had it."""
        own, newer = self._paths
        if self._own is None:
            self._own = _read_contents(own) if own is not None else {}
        found = self._own.get(item_id)
        for kept in self._kept:
            found = found or kept.get(item_id)
        if found is None and newer is not None:
            if self._newer is None:
                self._newer = _read_contents(newer)
            found = self._newer.get(item_id)
        return found


class _FeedWriter:
    """Writes one logical feed (three formats, current document plus archive pages).

    ``fill`` turns a stub item (dates and metadata only) into the full item, given what
    the page's previous documents held (a :class:`_Prior`, for the main feed only), and
    ``hashes`` gives each item's content hash, so pages whose input key is unchanged
    are never filled or rendered.
    """

    def __init__(self, folder: Path, base_url: str, info: FeedInfo, limit: int | None,
                 outputs: _Outputs | None = None,
                 fill: Callable[[FeedItem, _Prior], FeedItem] | None = None) -> None:
        self.folder, self.base_url, self.info, self.limit = folder, base_url, info, limit
        self.outputs, self.fill = outputs, fill
        self.hashes: Mapping[str, str] = {}
        self._prior = _Prior()
        self._filled: dict[int, tuple[FeedItem, FeedItem]] = {}  # id → (stub, item): per page

    def _fill(self, item: FeedItem) -> FeedItem:
        """The full item of a stub, once per page for its three formats."""
        if self.fill is None:
            return item
        found = self._filled.get(id(item))
        if found is None or found[0] is not item:
            found = self._filled[id(item)] = (item, self.fill(item, self._prior))
        return found[1]

    def _render(self, fmt: str, path: Path, info: FeedInfo, items: list[FeedItem],
                digest: str) -> bool:
        """Write one document unless its inputs are unchanged; True if its bytes changed."""
        key = _input_key(fmt, info, digest) if self.outputs else ""
        if self.outputs and self.outputs.fresh(path, key):
            return False
        changed = write_if_changed(path, _RENDER[fmt](info, [self._fill(i) for i in items]))
        if self.outputs:
            self.outputs.wrote(path, key)
        return changed

    def url(self, fmt: str, page: int | None = None) -> str:
        name = FORMATS[fmt][0] if page is None else archive_name(fmt, page)
        return f"{self.base_url}/{name}"

    def write(self, items: list[FeedItem]) -> tuple[list[Path], list[str]]:
        """All files of this feed, and the subscription URLs whose bytes changed."""
        pages = paginate(items, self.limit)
        urls = {fmt: self.url(fmt) for fmt in FORMATS}
        written: list[Path] = []
        changed: list[str] = []
        count = len(pages.archives)
        infos = {fmt: replace(self.info, self_url=urls[fmt], urls=urls,
                              prev_archive=self.url(fmt, count) if count else None)
                 for fmt in _RENDER}
        documents: dict[str, list[tuple[Path, FeedInfo, list[FeedItem]]]] = {f: [] for f in _RENDER}
        for fmt, info in infos.items():
            documents[fmt].append((self.folder / FORMATS[fmt][0], info, pages.current))
        for number, page_items in enumerate(pages.archives, start=1):
            for fmt, info in infos.items():  # a page's three formats in a row: filled once
                page_info = replace(
                    info, self_url=self.url(fmt, number), archive=True, current_url=urls[fmt],
                    updated=max(i.updated for i in page_items),
                    prev_archive=self.url(fmt, number - 1) if number > 1 else None,
                    next_archive=self.url(fmt, number + 1) if number < count else None)
                documents[fmt].append((self.folder / archive_name(fmt, number), page_info,
                                       page_items))
        for number in range(count + 1):
            newer = number + 1 if number < count else 0
            self._prior.page(documents["json"][number][0],
                             documents["json"][newer][0] if number else None)
            self._filled = {}
            page = documents["rss"][number][2]  # the same entries in the three formats
            digest = _items_digest(page, self.hashes) if self.outputs else ""
            for fmt in _RENDER:
                path, info, page = documents[fmt][number]
                if self._render(fmt, path, info, page, digest) and number == 0:
                    changed.append(urls[fmt])
        written = [path for fmt in _RENDER for path, _, _ in documents[fmt]]
        self._remove_stale(written)
        return written, changed

    def _remove_stale(self, keep: list[Path]) -> None:
        folder = self.folder / "archive"
        if not folder.is_dir():
            return
        patterns = [pattern.format(n="*") for _, pattern in FORMATS.values()]
        kept = {str(path) for path in keep}
        for pattern in patterns:
            for path in folder.glob(pattern):
                if str(path) not in kept:
                    path.unlink()


def _limit(project: "Project") -> int | None:
    options = project.config.raw.get("feeds") or {}
    value = options.get("limit", DEFAULT_LIMIT)
    return None if value in (None, 0) else int(value)


def build_feeds(project: "Project", now: dt.datetime) -> list[Path]:
    """Write every feed; returns the feed files (unchanged ones are left untouched)."""
    config = project.config
    site = config.site
    base = feed_base_url(site)
    out_dir = project.dist_dir / "feeds"
    record_path = project.state_dir / RECORD_NAME
    record = _load_record(record_path)
    limit = _limit(project)
    written: list[Path] = []
    changed: list[str] = []


    posts = [p for p in project.posts if _published(p, now, project)]
    feeds: list[tuple[_FeedWriter, list[FeedItem], str]] = []
    outputs = _Outputs(project)
    main_info = FeedInfo(id=f"{base}/atom.xml", title=site.title, description=site.description,
                         home_url=site.url, language=site.language,
                         author=site.author or site.title, updated=now, self_url="",
                         hub=site.websub_hub)
    main_items = [post_item(p, site, content_html="", summary="") for p in posts]
    by_id = {item.id: post for item, post in zip(main_items, posts)}

    def fill(item: FeedItem, prior: _Prior) -> FeedItem:
        post = by_id[item.id]
        if not project.index.feed_at_hand(post):  # else there is nothing to save
            found = prior.get(item.id)
            if found is not None:
                full = replace(item, content_html=found[0], summary=found[1])
                if content_hash(full) == main.hashes[item.id]:
                    return full
        html, summary = project.index.feed_html(post)
        return replace(item, content_html=html, summary=summary)

    main = _FeedWriter(out_dir, base, main_info, limit, outputs, fill)
    main.hashes = {item.id: project.index.feed_hash(by_id[item.id]) for item in main_items}
    feeds.append((main, main_items, ""))

    by_slug = {p.slug: p for p in project.posts}
    for name, options in sorted(project.channels_of_kind("feed").items()):
        slotted = timetable_slots(name, config.timetable, config.channels, project.posts,
                                  project.excerpts, config.zone, now,
                                  project.publishable)
        items = excerpt_feed_items(name, slotted, now, posts=by_slug, site=site)
        channel_base = f"{base}/channels/{name}"
        info = replace(main_info, id=f"{channel_base}/atom.xml",
                       title=str(options.get("title") or f"{site.title} — {name}"),
                       description=str(options.get("description") or site.description))
        writer = _FeedWriter(out_dir / "channels" / name, channel_base, info, limit, outputs)
        writer.hashes = {item.id: content_hash(item) for item in items}
        feeds.append((writer, items, f"channel:{name}"))

    for writer, items, scope in feeds:
        dated, record = resolve_updated(items, record, now, scope=scope, hashes=writer.hashes)
        dated.sort(key=lambda i: (i.published, i.id), reverse=True)
        updated, record = feed_updated(writer.info.id, dated, record, now)
        writer.info = replace(writer.info, updated=updated)
        files, fresh = writer.write(dated)
        written += files
        changed += fresh

    # compact: the C encoder (json's indent= runs in Python, ~10 times slower)
    write_if_changed(record_path, (json.dumps(record, sort_keys=True, separators=(",", ":"))
                                   + "\n").encode(), mode=PRIVATE_FILE)
    if site.websub_hub and changed:
        from ..channels.websub import ping

        ping(site.websub_hub, changed)
    return written
