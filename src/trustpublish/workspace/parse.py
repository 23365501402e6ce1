"""Parse post files into index entries, on every core when there are many.

:func:`parse_one` turns one file's bytes into an *entry* (small JSON: metadata, blocking
privacy findings, feed-content hash and, when the settings ask for it, excerpt ids and
word counts) and a *full* record (two :mod:`marshal` byte strings: the blocks and the
excerpts if split; the feed HTML and summary) that the process keeps for its later
stages (:mod:`.spill`). Splitting is the one step a stage
may not need for every post (the planner reads queues only as far as the slots it
plans), so :attr:`Settings.split_now` says whether the parse splits; when it does not,
the index splits a post the first time a stage asks for its excerpts.
:func:`parse_many` does it for a list of files, in worker processes when the list is
long: ``fork`` when the calling process has no other thread (cheap, and safe then),
else ``forkserver`` (safe with threads). The work is a pure function of the bytes and
the settings, so the result does not depend on where it ran.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..content.model import Block, Excerpt
from ..content.privacy import PrivacyRules
from ..content.readers import Defaults, read_post
from ..content.split import SplitOptions, split_post
from ..errors import ContentError
from .records import blocks_in, blocks_out, excerpt_in, excerpt_out, meta_out

__all__ = ["Settings", "Full", "parse_one", "parse_many", "decode_full", "split_entry",
           "workers"]


@dataclass(frozen=True)
class Settings:
    """What reading, splitting, scanning and the feed entry depend on."""

    defaults: Defaults
    split: SplitOptions
    rules: PrivacyRules
    site: Any  # content.model.Site
    #: split every parsed post now (``check``, which reports on every excerpt), or leave
    #: it to the first stage that asks for a post's excerpts (the default)
    split_now: bool = False


class Full:
    """What a parse gives beyond the entry, for this process only.

    Made from a worker's record, read through ``load`` (``load(0)``: the encoded blocks
    and, if split, excerpts; ``load(1)``: the encoded feed HTML and summary; ``record``
    is a record at hand): the blocks and excerpts are decoded when first needed and kept
    while this object lives (the index keeps only a few such objects); the feed HTML and
    summary are read and decoded each time :meth:`feed` is called and never kept (the
    feeds use each post's once). Or made from a post read later in the process: then
    the excerpts and the feed HTML are computed when first asked for, and kept.
    """

    def __init__(self, blocks: tuple[Block, ...] | None = None, *,
                 record: "Record | None" = None, load: "Callable[[int], bytes] | None" = None,
                 post: Any = None, settings: Settings | None = None) -> None:
        if record is not None:
            load = record.__getitem__
        self._blocks, self._load, self._post, self._settings = blocks, load, post, settings
        self._excerpts: tuple[Excerpt, ...] | None = None
        self._feed: tuple[str, str] | None = None  # kept only when computed from the post

    def _body(self) -> None:
        assert self._load is not None
        data = marshal.loads(self._load(0))
        self._blocks = blocks_in(data["blocks"])
        if "excerpts" in data:
            self._excerpts = tuple(excerpt_in(e) for e in data["excerpts"])

    @property
    def decoded(self) -> bool:
        """Whether this object holds the post's blocks now."""
        return self._blocks is not None

    @property
    def split(self) -> bool:
        """Whether the excerpts are known (parsed with them, or computed since)."""
        if self._excerpts is None and self._load is not None and self._blocks is None:
            self._body()
        return self._excerpts is not None

    def set_excerpts(self, excerpts: tuple[Excerpt, ...]) -> None:
        """Keep the excerpts a caller split from this post's blocks."""
        self._excerpts = excerpts

    @property
    def blocks(self) -> tuple[Block, ...]:
        if self._blocks is None:
            self._body()
        assert self._blocks is not None
        return self._blocks

    @property
    def excerpts(self) -> tuple[Excerpt, ...]:
        if not self.split:
            assert self._post is not None and self._settings is not None, \
                "a record parsed without excerpts is split by the index"
            self._excerpts = tuple(split_post(self._post, self._settings.split))
        assert self._excerpts is not None
        return self._excerpts

    def feed(self) -> tuple[str, str]:
        """(sanitized feed HTML, plain summary): read from the record each time (not kept),
        or computed from the post once."""
        if self._load is not None:
            html, summary = marshal.loads(self._load(1))
            return str(html), str(summary)
        if self._feed is None:
            from ..render.feeds.items import post_item

            assert self._post is not None and self._settings is not None
            item = post_item(self._post, self._settings.site)
            self._feed = (item.content_html, item.summary)
        return self._feed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Full) or self.split != other.split:
            return False
        return (self.blocks, self.feed()) == (other.blocks, other.feed()) \
            and (not self.split or self.excerpts == other.excerpts)


#: a worker's encoded record (marshal): (blocks and excerpts, [feed HTML, summary])
Record = tuple[bytes, bytes]
#: (file, its bytes if read, its stamp, split it even if the settings do not ask for it)
Todo = tuple[str, "bytes | None", "list[int] | None", bool]


def parse_one(key: str, raw: bytes | None, settings: Settings, split: bool = False
              ) -> tuple[dict[str, Any], Record | None]:
    """(entry, encoded full record) of the file ``key``; ``raw``: its bytes if read;
    ``split``: split it even when ``settings.split_now`` is off.

    A file that cannot be read gives an entry with ``error``, an empty ``sha`` and no
    full record (the caller reports it and does not keep it: reading may work next time).
    """
    from ..content.privacy.scan import blocking_findings
    from ..content.readers import read_raw
    from ..render.feeds.items import content_hash, post_item

    path = Path(key)
    try:
        if raw is None:
            raw = read_raw(path)
    except OSError as exc:
        return {"sha": "", "error": {"message": f"cannot read file ({exc.strerror})"}}, None
    except ContentError as exc:  # e.g. over the size limit
        return {"sha": "", "error": _error_of(exc, path)}, None
    sha = hashlib.sha256(raw).hexdigest()
    try:
        post = read_post(path, settings.defaults, raw)
    except ContentError as exc:
        return {"sha": sha, "error": _error_of(exc, path)}, None
    findings = blocking_findings(post, settings.rules)
    item = post_item(post, settings.site)
    entry: dict[str, Any] = {
        "sha": sha, "meta": meta_out(post),
        "blocking": [[f.kind, f.text, f.line, f.key, f.field, f.confidence] for f in findings],
        "feed": content_hash(item)}
    body: dict[str, Any] = {"blocks": blocks_out(post.body)}
    if split or settings.split_now:
        excerpts = split_post(post, settings.split)
        entry.update(split_entry(excerpts))
        body["excerpts"] = [excerpt_out(e) for e in excerpts]
    feed = [item.content_html, item.summary]
    # marshal: the fastest encoding of plain values; a record never leaves this process and
    # the workers it forked (see :mod:`.spill`), so it needs no portable or checked format
    return entry, (marshal.dumps(body), marshal.dumps(feed))


def split_entry(excerpts: "list[Excerpt] | tuple[Excerpt, ...]") -> dict[str, list[Any]]:
    """What an entry keeps of a post's excerpts: their ids (after ``slug/``) and sizes."""
    return {"ids": [e.id.split("/", 1)[1] for e in excerpts], "words": [e.words for e in excerpts]}


def _error_of(exc: ContentError, path: Path) -> dict[str, Any]:
    message = str(exc.message)
    prefix = f"{path}:{exc.line}: " if exc.line else f"{path}: "
    if message.startswith(prefix):
        message = message[len(prefix):]
    return {"message": message, "line": exc.line, "hint": exc.hint}


def decode_full(record: Record) -> Full:
    """The :class:`Full` of a worker's record (decoded part by part when used)."""
    return Full(record=record)


def workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def parse_many(todo: list[Todo], settings: Settings, parallel_from: int
               ) -> Iterator[tuple[str, dict[str, Any], Record | None]]:
    """Parse every file of ``todo`` (see :data:`Todo`); yields (key, entry, full) as
    each is done, in no set order.

    The entry gets the file's ``stamp`` (size, mtime) taken before it was read.

    With many files and several cores, this process parses too, beside one worker per
    other core (one process less to hold in memory than a worker per core). Each takes
    the next file from a shared counter, so a slower process (a busy core) simply takes
    fewer. The first file is parsed here first: that loads what parsing loads on first
    use (the detectors' data, the name list, the parser) before the workers are forked,
    so they share those pages with this process instead of each loading its own copy;
    :func:`gc.freeze` keeps the collector from touching (and so copying) them in the
    workers.
    """
    count = workers()
    if len(todo) < parallel_from or count < 2:
        results: Iterator[Any] = (_work_with(t, settings) for t in todo)
    else:
        results = _in_parallel(todo, settings, count)
    for key, entry, full, stamp in results:
        if stamp is not None:
            entry["stamp"] = stamp
        yield key, entry, full


Result = tuple[str, dict[str, Any], "Record | None", "list[int] | None"]


def _take(counter: Any, total: int) -> int | None:
    """The index of the next file nobody has taken, or None when all are taken."""
    with counter.get_lock():
        index = counter.value
        if index >= total:
            return None
        counter.value = index + 1
    return index


def _worker(todo: list[Todo], settings: Settings, counter: Any, out: Any) -> None:
    """In a worker process: parse files from the shared counter until none is left; each
    result goes to ``out``, then None (done) or ("error", text) for a bug.

    Each message is :mod:`marshal`-encoded (plain values only): faster than pickle, and
    the strings the worker had interned (the keys of every entry) come back as the
    parent's own interned strings instead of a copy per post."""
    try:
        while (index := _take(counter, len(todo))) is not None:
            out.send_bytes(marshal.dumps(_work_with(todo[index], settings)))
        out.send_bytes(marshal.dumps(None))
    except BaseException:  # a bug, not a bad post (parse_one reports those): tell the parent
        import traceback

        out.send_bytes(marshal.dumps(("error", traceback.format_exc())))
    finally:
        out.close()


def _in_parallel(todo: list[Todo], settings: Settings, count: int) -> Iterator[Result]:
    import gc
    import multiprocessing
    from multiprocessing.connection import wait

    yield _work_with(todo[0], settings)
    if len(todo) == 1:
        return
    method = "fork" if threading.active_count() == 1 else "forkserver"
    context = multiprocessing.get_context(method)
    counter = context.Value("i", 1)
    gc.freeze()
    processes, inputs = [], []
    try:
        for _ in range(min(count - 1, len(todo) - 1)):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(todo, settings, counter, send),
                                      daemon=True)
            process.start()
            send.close()
            processes.append(process)
            inputs.append(receive)
        while (index := _take(counter, len(todo))) is not None:
            yield _work_with(todo[index], settings)
            yield from _received(inputs, wait(inputs, 0))
        while inputs:
            yield from _received(inputs, wait(inputs))
    finally:
        gc.unfreeze()
        for process in processes:
            if inputs:  # stopped early (an error, or nobody wants the rest): stop them
                process.kill()
            process.join()
        for pipe in inputs:
            pipe.close()


def _received(inputs: list[Any], ready: list[Any]) -> Iterator[Result]:
    """What the workers whose pipes are ``ready`` sent; a finished worker's pipe leaves
    ``inputs``. A worker that died or hit a bug is an error here."""
    for pipe in ready:
        while pipe.poll():
            try:
                message = marshal.loads(pipe.recv_bytes())
            except EOFError:
                raise RuntimeError("a parse worker ended without finishing its work") from None
            if message is None:
                inputs.remove(pipe)
                pipe.close()
                break
            if message[0] == "error":
                raise RuntimeError(f"a parse worker failed:\n{message[1]}")
            yield message


def _work_with(todo: Todo, settings: Settings
               ) -> tuple[str, dict[str, Any], Record | None, list[int] | None]:
    key, raw, stamp, split = todo
    entry, full = parse_one(key, raw, settings, split)
    return key, entry, full, stamp

