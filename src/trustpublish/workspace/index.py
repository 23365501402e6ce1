"""The content index: every post read, parsed, scanned and split once, shared by every stage.

One pass
--------
:class:`ContentIndex` lists ``posts/`` and, for each file, needs one *entry*: the
post's metadata, the privacy guard's blocking findings, the hash of its feed entry's
content and, once the post has been split, its excerpt ids and sizes. Entries come
from the content cache when the file is unchanged (same size and modification time:
a ``stat``; else same SHA-256 of its bytes), or from parsing the file. Parsing reads
the file, parses the Markdown and scans it once; with many files to parse it runs on
every core (:mod:`.parse`). What the parse produced beyond the entry (the blocks, the
feed HTML) is kept for the stages of this process that need it, in a private temporary
file (:mod:`.spill`) rather than in memory, and read back when used: a post's feed HTML
each time it is asked for, its ``body`` when first used (the few most recently used
posts keep theirs decoded, so a loop over one post's blocks reads it once). A post whose
entry came from the cache is read only if a stage needs its text, at most once per process.

Splitting is lazy: a post is split the first time a stage asks for its excerpts or
their ids, and the entry keeps the ids from then on. The planner reads each channel's
queue only as far as the slots it plans, so a build splits the few posts at the head
of the queues, not the whole archive. ``split_now=True`` (``check``, which reports on
every excerpt) splits every post in the parse instead, on every core, and re-parses
cached entries that were never split. An edited post that had been split is split
again when it is parsed, so the ids the planner knows stay known.

The content cache
-----------------
``state/cache/content.json.gz``: gzip-compressed JSON (data only: loading it cannot
run code), written atomically with mode 0600 by :meth:`ContentIndex.save`. It is
keyed by a fingerprint of everything that changes what an entry holds: this
module's format, the code of the content and feed-item modules, the site defaults,
the excerpt sizes and the privacy rules. A missing, corrupt, foreign or stale file
is ignored and rebuilt; it is only ever a speed-up.

A run that changed only a few entries (an edited post) does not rewrite it: it writes
``content-changes.json.gz`` beside it, with the entries that differ from it, the
files gone since, and the extras below. The changes name the cache file they apply to
(its random ``id``), so changes left beside a newer cache file are ignored. When they
grow past :func:`_changes_limit` entries, the next save writes the whole cache again
and removes them. The cache also keeps:

* the full excerpts the previews used last time (``hot``), so that a build with
  nothing changed reads no post at all;
* the input key of each feed document written (``outputs``), so an unchanged feed
  document is not rendered again (see :mod:`trustpublish.actions.feed_files`).
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import io
import itertools
import json
import os
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..content.model import Block, Excerpt, Post
from ..content.privacy import Finding, PrivacyRules
from ..content.readers import Defaults, iter_post_files
from ..content.split import SplitOptions
from ..errors import ContentError, TrustpublishError
from ..files import PRIVATE_FILE, code_key, write_atomic
from . import parse
from .records import excerpt_in, excerpt_out, post_in
from .spill import RecordFile

__all__ = ["ContentIndex", "CACHE_NAME", "CHANGES_NAME", "code_fingerprint", "read_cache"]

CACHE_NAME = "content.json.gz"
#: the entries changed since the cache file was written (see the module doc)
CHANGES_NAME = "content-changes.json.gz"
_FORMAT = 2  # 2: posts carry `hold`
#: at least this many files to parse before worker processes are started
PARALLEL_FROM = 48
#: how many parsed posts keep their blocks decoded in memory once used (the most recently
#: used: a stage's loop over one post's blocks decodes them once); the rest stay on disk
_RECENT = 4
#: cache members encoded per call of the JSON encoder when the cache is written
_MEMBERS_AT_ONCE = 100


def code_fingerprint() -> str:
    """Key (:func:`~trustpublish.files.code_key`) of the modules whose output an entry
    holds (readers, markup, split, privacy, feed items), so a new version of any of them
    rebuilds the cache."""
    package = Path(__file__).resolve().parent.parent
    files = [*(package / "content").rglob("*.py"), package / "render/feeds/items.py",
             Path(__file__).with_name("records.py"), Path(__file__).with_name("parse.py"),
             Path(__file__)]
    return code_key(files, seed=str(_FORMAT))[:20]


#: the changes file holds at least this many changed or removed entries before the cache
#: is written whole again
CHANGES_AT_LEAST = 32


def _changes_limit(entries: int) -> int:
    """The most changed or removed entries kept in the changes file for a cache of
    ``entries`` (5 %, at least :data:`CHANGES_AT_LEAST`): past it, writing the whole cache
    costs little more."""
    return max(CHANGES_AT_LEAST, entries // 20)


def _read_json_gz(path: Path) -> Any:
    """The JSON value of a gzip file; None when it is missing, unreadable or not JSON."""
    try:
        return json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError, EOFError, zlib.error):
        return None


def _valid(data: Any, fingerprint: str | None) -> bool:
    """True if ``data`` is a cache (or changes) document made with ``fingerprint``
    (any fingerprint when None), its parts of the right types."""
    return (isinstance(data, dict) and isinstance(data.get("fingerprint"), str)
            and (fingerprint is None or data["fingerprint"] == fingerprint)
            and all(isinstance(data.get(k, {}), dict) for k in ("entries", "hot", "outputs"))
            and isinstance(data.get("removed", []), list))


def read_cache(path: Path, fingerprint: str | None = None) -> dict[str, Any]:
    """The cache at ``path`` as the next run sees it: the cache file with the changes file
    beside it applied, when they belong together; {} when there is no valid cache.

    The result has the cache file's ``id`` and ``fingerprint``, the merged ``entries``
    and the latest ``hot`` and ``outputs``; ``base_keys`` are the entries' keys in the
    cache file and ``changed`` the keys the changes file holds.
    """
    data = _read_json_gz(path)
    if not _valid(data, fingerprint):
        return {}
    entries = data.get("entries", {})
    base_id = data["id"] if isinstance(data.get("id"), str) else ""
    merged = {**data, "id": base_id, "base_keys": set(entries), "changed": set()}
    changes = _read_json_gz(path.with_name(CHANGES_NAME))
    if base_id and _valid(changes, data["fingerprint"]) and changes.get("base") == base_id:
        entries = {**entries, **changes.get("entries", {})}
        for key in changes.get("removed", []):
            if isinstance(key, str):
                entries.pop(key, None)
        merged.update(hot=changes.get("hot", {}), outputs=changes.get("outputs", {}),
                      changed=set(changes.get("entries", {})))
    merged["entries"] = entries
    return merged


def _kind(output: str) -> str:
    """The kind of an output record: a file path (feed documents) or a named group."""
    return "file" if output.startswith(os.sep) else output.split(":", 1)[0]


class _Body(Sequence[Block]):
    """A post's blocks, loaded from the index the first time they are needed."""

    def __init__(self, index: "ContentIndex", key: str) -> None:
        self._index, self._key = index, key

    def _blocks(self) -> tuple[Block, ...]:
        return self._index.full(self._key).blocks

    def __getitem__(self, item: Any) -> Any:
        return self._blocks()[item]

    def __len__(self) -> int:
        return len(self._blocks())

    def __iter__(self) -> Iterator[Block]:
        return iter(self._blocks())

    def __eq__(self, other: object) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, Sequence) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._blocks())

    def __repr__(self) -> str:
        return f"<blocks of {self._key}>"


def _gzip_json(data: Mapping[str, Any]) -> bytes:
    """gzip of ``data`` as compact JSON (what ``json.dumps(data, separators=(",", ":"))``
    gives), encoded :data:`_MEMBERS_AT_ONCE` members of each top-level mapping at a time,
    so the text of the whole cache (about 0.8 MB for 1,000 posts) never exists at once
    at the end of a build, and the C encoder is called a few times, not once a member.
    Level 1: 2.5 times faster than level 6 for a sixth more bytes (1,000 posts)."""
    encode = json.JSONEncoder(separators=(",", ":")).encode
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0) as stream:
        stream.write(b"{")
        for n, (key, value) in enumerate(data.items()):
            stream.write(f'{"," if n else ""}{encode(key)}:'.encode())
            if not isinstance(value, dict):
                stream.write(encode(value).encode())
                continue
            members = iter(value.items())
            separator = "{"
            while part := dict(itertools.islice(members, _MEMBERS_AT_ONCE)):
                # {"a":1,"b":2} without its braces is "a":1,"b":2: the members as one text
                stream.write((separator + encode(part)[1:-1]).encode())
                separator = ","
            stream.write(b"}" if separator == "," else b"{}")
        stream.write(b"}")
    return out.getvalue()


class ContentIndex:
    """The posts of one project folder, each read once per process (see the module doc)."""

    def __init__(self, posts_dir: Path, cache_path: Path | None, *, defaults: Defaults,
                 split: SplitOptions, rules: PrivacyRules, site: Any,
                 split_now: bool = False) -> None:
        self.posts_dir, self.cache_path = posts_dir, cache_path
        self.settings = parse.Settings(defaults, split, rules, site, split_now)
        self.fingerprint = hashlib.sha256(json.dumps(
            [code_fingerprint(), repr(defaults), repr(split), repr(rules), repr(site)]
        ).encode()).hexdigest()[:20]
        stored = read_cache(cache_path, self.fingerprint) if cache_path else {}
        self._stored_entries: dict[str, Any] = stored.get("entries", {})
        #: the cache file's id and keys, and the keys whose entries differ from it (those in
        #: its changes file, and those this run set or changed)
        self._base: tuple[str, set[str]] = (stored.get("id", ""), stored.get("base_keys", set()))
        self._changed: set[str] = stored.get("changed", set())
        self._hot: dict[str, Any] = stored.get("hot", {})
        self.outputs: dict[str, Any] = stored.get("outputs", {})
        self._outputs_used: set[str] = set()
        self._hot_used: dict[str, Any] = {}
        self.entries: dict[str, dict[str, Any]] = {}
        self._full = RecordFile()  # what parses gave beyond the entries (on disk)
        self._decoded: dict[str, parse.Full] = {}
        self._recent: dict[str, parse.Full] = {}
        self._split: dict[str, tuple[Excerpt, ...]] = {}  # split in this process, lazily
        self._dirty = False
        self.parsed = 0  # files parsed by this process (or its workers)
        self.posts: list[Post] = []
        self.errors: list[ContentError] = []
        self._scan()

    # -- the cache file ----------------------------------------------------------------
    def save(self) -> None:
        """Write the cache if anything changed (atomically, 0600); a read-only state
        folder only costs speed. Entries of deleted files are dropped, and so are the
        extras of a kind this run used but not all of (the previews' excerpts, output
        records); a run that did not touch a kind (``plan`` after ``build``) keeps it."""
        slugs = set(self._by_slug)
        hot = self._hot_used or {k: v for k, v in self._hot.items()
                                 if k.split("/", 1)[0] in slugs}
        used_kinds = {_kind(name) for name in self._outputs_used}
        outputs = {k: v for k, v in self.outputs.items()
                   if k in self._outputs_used or _kind(k) not in used_kinds}
        if not (self._dirty or hot != self._hot or outputs != self.outputs
                or set(self._stored_entries) != set(self.entries)):
            return
        if self.cache_path is None:
            return
        base_id, base_keys = self._base
        changed = sorted(self._changed.intersection(self.entries))
        removed = sorted(base_keys.difference(self.entries))
        changes = self.cache_path.with_name(CHANGES_NAME)
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if base_id and len(changed) + len(removed) <= _changes_limit(len(self.entries)):
                write_atomic(changes, _gzip_json({
                    "fingerprint": self.fingerprint, "base": base_id,
                    "entries": {key: self.entries[key] for key in changed},
                    "removed": removed, "hot": hot, "outputs": outputs}), mode=PRIVATE_FILE)
            else:
                base_id = os.urandom(8).hex()
                write_atomic(self.cache_path, _gzip_json({
                    "fingerprint": self.fingerprint, "id": base_id, "entries": self.entries,
                    "hot": hot, "outputs": outputs}), mode=PRIVATE_FILE)
                changes.unlink(missing_ok=True)  # it named the cache file replaced
                self._base, self._changed = (base_id, set(self.entries)), set()
        except OSError:
            return
        self._stored_entries, self._hot, self.outputs = dict(self.entries), hot, outputs
        self._dirty = False

    def _entry_changed(self, key: str) -> None:
        """The entry of ``key`` was set or changed in this run: the next :meth:`save`
        writes it (in the changes file, or in a whole new cache file)."""
        self._changed.add(key)
        self._dirty = True

    # -- listing and parsing -------------------------------------------------------------
    def _scan(self) -> None:
        from ..content.readers import MAX_POST_BYTES, read_raw

        split_now = self.settings.split_now
        todo: list[parse.Todo] = []
        unread: dict[str, ContentError] = {}  # reported in file order
        self._order: list[str] = []  # file order (as iter_post_files sorts)
        self._paths: dict[str, Path] = {}  # key → its Path (made once)
        for path in iter_post_files(self.posts_dir):
            key = str(path)
            self._order.append(key)
            self._paths[key] = path
            try:
                stat = path.stat()
            except OSError as exc:
                unread[key] = ContentError(f"cannot read file ({exc.strerror})", file=path)
                continue
            stamp = [stat.st_size, stat.st_mtime_ns]
            old = self._stored_entries.get(key)
            if split_now and isinstance(old, dict) and "ids" not in old:
                old = None  # never split: parse it again, with the others, on every core
            if isinstance(old, dict) and old.get("stamp") == stamp:
                self.entries[key] = old
                continue
            if not isinstance(old, dict) and stat.st_size <= MAX_POST_BYTES:
                todo.append((key, None, stamp, False))  # new: read where it is parsed
                continue
            try:
                raw = read_raw(path)
            except OSError as exc:
                unread[key] = ContentError(f"cannot read file ({exc.strerror})", file=path)
                continue
            except ContentError as exc:  # e.g. over the size limit: this post only
                unread[key] = exc
                continue
            sha = hashlib.sha256(raw).hexdigest()
            if isinstance(old, dict) and old.get("sha") == sha:
                self.entries[key] = {**old, "stamp": stamp}
                self._entry_changed(key)
                continue
            split = isinstance(old, dict) and "ids" in old  # split before: stays split
            todo.append((key, raw, stamp, split))
        for key, entry, full in parse.parse_many(todo, self.settings, PARALLEL_FROM):
            if not entry.get("sha") and "error" in entry:  # could not be read: not kept
                err = entry["error"]
                unread[key] = ContentError(err["message"], file=Path(key), line=err.get("line"),
                                           hint=err.get("hint"))
                continue
            self.entries[key] = entry
            self._entry_changed(key)
            if full is not None:
                self._full.put(key, full)
            self.parsed += 1
        self.errors += [unread[key] for key in self._order if key in unread]
        self._build_posts()

    def _build_posts(self) -> None:
        seen: dict[str, str] = {}
        posts: list[Post] = []
        for key in self._order:  # file order, as read_posts reports
            entry = self.entries.get(key)
            if entry is None:
                continue  # could not be read: reported by _scan
            path = self._paths[key]
            if "error" in entry:
                err = entry["error"]
                self.errors.append(ContentError(err["message"], file=path, line=err.get("line"),
                                                hint=err.get("hint")))
                continue
            meta = entry["meta"]
            if meta["slug"] in seen:
                self.errors.append(ContentError(
                    f"slug {meta['slug']!r} is already used by {seen[meta['slug']]}", file=path,
                    line=1, hint="set a different `slug:` in the front matter"))
                continue
            seen[meta["slug"]] = key
            posts.append(post_in(meta, path, _Body(self, key)))
        posts.sort(key=lambda p: (p.date.astimezone(dt.timezone.utc), p.slug))
        self.posts = posts
        self._by_slug = {p.slug: p for p in posts}

    def full(self, key: str) -> parse.Full:
        """Blocks, excerpts and feed HTML of one post: from this process's parse, or by
        reading the file now (once: the result is kept; the excerpts and the HTML are
        computed when first asked for)."""
        if key not in self._full:
            if key not in self._decoded:
                self._decoded[key] = self._read_later(key)
            return self._decoded[key]
        full = self._recent.pop(key, None)
        if full is None:  # reads its record's parts from the file when they are used
            full = parse.Full(load=functools.partial(self._full.part, key))
            if key in self._split:
                full.set_excerpts(self._split[key])
        self._recent[key] = full  # a few stay (with their blocks, once used); the rest go
        if len(self._recent) > _RECENT:
            self._recent.pop(next(iter(self._recent)))
        return full

    def _read_later(self, key: str) -> parse.Full:
        from ..content.readers import read_post, read_raw

        path = Path(key)
        try:
            raw = read_raw(path)
        except OSError as exc:
            raise ContentError(f"cannot read file ({exc.strerror})", file=path) from exc
        self.parsed += 1
        # A file edited since the scan keeps its old entry (and stamp) until the next run
        # sees the new stamp and parses it.
        post = read_post(path, self.settings.defaults, raw)
        return parse.Full(tuple(post.body), post=post, settings=self.settings)

    # -- what stages ask for ---------------------------------------------------------------
    def entry(self, post: Post) -> dict[str, Any]:
        return self.entries[str(post.source)]

    def excerpt_ids(self, post: Post) -> list[str]:
        """The post's excerpt ids: from its entry, or by splitting it now (once)."""
        entry = self.entry(post)
        if "ids" not in entry:
            self.excerpts(post)
        return [f"{post.slug}/{local}" for local in entry["ids"]]

    def excerpt_words(self, post: Post) -> list[int]:
        """Each excerpt's word count, without reading the post when it is unchanged."""
        entry = self.entry(post)
        if "words" not in entry:
            self.excerpts(post)
        return list(entry["words"])

    def excerpts(self, post: Post) -> list[Excerpt]:
        """The post's excerpts: from its parse, or split now (once per process); the
        entry keeps their ids and sizes from then on."""
        from ..content.split import split_post

        key = str(post.source)
        full = self.full(key)
        if not full.split:
            self._split[key] = tuple(split_post(post, self.settings.split))
            full.set_excerpts(self._split[key])
        excerpts = full.excerpts
        entry = self.entries[key]
        if "ids" not in entry or "words" not in entry:
            entry.update(parse.split_entry(excerpts))
            self._entry_changed(key)
        return list(excerpts)

    def blocking(self, post: Post) -> list[Finding]:
        """The privacy guard's blocking findings, as computed when the post was parsed."""
        return [Finding(*finding) for finding in self.entry(post)["blocking"]]

    def publishable(self, post: Post) -> bool:
        return post.approved and not self.entry(post)["blocking"]

    def feed_hash(self, post: Post) -> str:
        return str(self.entry(post)["feed"])

    def feed_html(self, post: Post) -> tuple[str, str]:
        """(sanitized HTML, plain summary) of the post's feed entry (not kept: read from
        the parse's record each time, or computed once for a post read later)."""
        return self.full(str(post.source)).feed()

    def feed_at_hand(self, post: Post) -> bool:
        """True if this process parsed the post: :meth:`feed_html` costs no read or render."""
        return str(post.source) in self._full

    def post_by_slug(self, slug: str) -> Post | None:
        return self._by_slug.get(slug)

    def excerpt_by_id(self, excerpt_id: str) -> tuple[Post, Excerpt] | None:
        """(post, excerpt) for an id: from this run, the previews' cache, or a parse."""
        post = self._by_slug.get(excerpt_id.split("/", 1)[0])
        if post is None or excerpt_id not in self.excerpt_ids(post):
            return None
        key = str(post.source)
        hot = self._hot.get(excerpt_id)
        if key not in self._full and isinstance(hot, dict) and hot.get("sha") == \
                self.entries[key].get("sha"):
            excerpt = excerpt_in(hot["excerpt"])
        else:
            excerpt = next(e for e in self.excerpts(post) if e.id == excerpt_id)
        self._hot_used[excerpt_id] = {"sha": self.entries[key].get("sha"),
                                      "excerpt": excerpt_out(excerpt)}
        return post, excerpt

    def lookup(self) -> "ExcerptLookup":
        return ExcerptLookup(self)

    def remembered(self, post: Post, name: str, key: str) -> Any:
        """What a stage stored for ``post`` under ``name`` from inputs ``key`` (None when it
        stored nothing, or stored it from other inputs). It goes with the post's entry: a
        changed post starts with none."""
        found = self.entry(post).get("memo", {}).get(name)
        if isinstance(found, list) and len(found) == 2 and found[0] == key:
            return found[1]
        return None

    def remember(self, post: Post, name: str, key: str, value: Any) -> None:
        """Store ``value`` (JSON) for ``post`` under ``name``, made from inputs ``key``."""
        memo = self.entry(post).setdefault("memo", {})
        if memo.get(name) != [key, value]:
            memo[name] = [key, value]
            self._entry_changed(str(post.source))

    def use_output(self, name: str) -> None:
        """Keep the record of output ``name`` (records not used in a run are dropped)."""
        self._outputs_used.add(name)

    def set_output(self, name: str, value: Any) -> None:
        """Record what output ``name`` was made from (saved with the cache)."""
        self._outputs_used.add(name)
        if self.outputs.get(name) != value:
            self.outputs[name] = value
            self._dirty = True


class ExcerptLookup(Mapping[str, tuple[Post, Excerpt]]):
    """Excerpt id → (post, excerpt), resolved one id at a time (no post is read for
    the ids nobody asks for)."""

    def __init__(self, index: ContentIndex) -> None:
        self._index = index
        self._found: dict[str, tuple[Post, Excerpt] | None] = {}

    def _get(self, key: str) -> tuple[Post, Excerpt] | None:
        if key not in self._found:
            self._found[key] = self._index.excerpt_by_id(key)
        return self._found[key]

    def __getitem__(self, key: str) -> tuple[Post, Excerpt]:
        found = self._get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return (i for p in self._index.posts for i in self._index.excerpt_ids(p))

    def __len__(self) -> int:
        return sum(len(self._index.excerpt_ids(p)) for p in self._index.posts)


def unknown_excerpt(index: ContentIndex, excerpt_id: str) -> TrustpublishError:
    """The error for an excerpt id that is not in the index (names the known ones)."""
    slug = excerpt_id.split("/", 1)[0]
    post = index.post_by_slug(slug)
    if post is None:
        return TrustpublishError(f"no post with slug {slug!r}",
                                 hint="run `trustpublish split POST` to see excerpt ids")
    known = ", ".join(i.split("/", 1)[1] for i in index.excerpt_ids(post))
    return TrustpublishError(f"post {slug!r} has no excerpt {excerpt_id!r}",
                             hint=f"its excerpts are: {known}")
