"""``trustpublish sync``: bring new and changed articles of the clinic's blog into ``posts/``.

For each source in ``sources:`` (fetched by :mod:`trustpublish.sources`):

* a new entry becomes ``posts/<slug>.md`` with ``status: review`` (or the source's
  ``status``). Its slug is chosen once (the WordPress slug, else the last part of the
  article's address, else the title) and kept for that entry for good;
* an entry that changed at the source rewrites its post, unless the post was edited
  here since sync wrote it (its bytes differ): then it is left alone and the report
  says so. A post deleted here is not written again;
* an entry gone from the source (a WordPress post no longer listed; a feed entry no
  longer listed whose page now answers 404 or 410) keeps its post, with a note;
* a source that cannot be reached is a warning: nothing changes, the next sync tries again.

What sync knows lives in ``state/sources/<name>.json``: the feed's ETag and
Last-Modified (for the conditional GET) and, per entry, its slug, a fingerprint of
what the source said, and a hash of the file sync wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ..errors import ContentError
from ..files import PRIVATE_FILE, write_atomic
from ..sources import Entry, SourceSpec, SourceUnavailable, fetch_source, sources_from_config

__all__ = ["SyncLine", "SyncReport", "state_path", "sync_source", "sync_sources"]

_GONE_STATUSES = (404, 410)
_PAGE_WORDS_MARGIN = 40  # content this much longer than the summary counts as the article


@dataclass(frozen=True)
class SyncLine:
    """One line of the report. ``level``: new, updated, kept, gone, unchanged, warning, info."""

    source: str
    level: str
    message: str
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "level": self.level, "message": self.message,
                "file": self.file}


@dataclass
class SyncReport:
    lines: list[SyncLine] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, line: SyncLine) -> None:
        self.lines.append(line)
        self.counts[line.level] += 1


def state_path(state_dir: Path, name: str) -> Path:
    """Where the record of source ``name`` is kept."""
    return state_dir / "sources" / f"{name}.json"


def _load_state(path: Path, url: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data.setdefault("entries", {})
    if data.get("url") != url:  # another address: its ETag means nothing here
        data["etag"] = data["last_modified"] = None
    data["url"] = url
    return data


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fingerprint(entry: Entry) -> str:
    parts = [entry.title, entry.link, entry.published, entry.updated, entry.author,
             entry.summary, entry.html, entry.tags, entry.image, entry.image_alt]
    return _sha(repr(parts).encode())


def _slug_for(entry: Entry, taken: set[str], posts_dir: Path) -> str:
    from ..content.text import slugify

    path = urlsplit(entry.link).path.rstrip("/")
    base = ""
    for candidate in (entry.slug_hint, path.rsplit("/", 1)[-1].removesuffix(".html"),
                      entry.title):
        base = slugify(candidate or "")
        if base != "section" and not base.isdigit():
            break
    if base in ("section", "") or base.isdigit():
        base = "post-" + _sha(entry.key.encode())[:8]
    slug, n = base, 1
    while slug in taken or (posts_dir / f"{slug}.md").exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _words(text: str) -> int:
    from ..content.text import count_words

    return count_words(text)


def _entry_markdown(entry: Entry, spec: SourceSpec, slug: str, path: Path, session: Any,
                    defaults: Any) -> str:
    """The post file for ``entry`` (the article page is read when the feed has no body)."""
    from bs4 import BeautifulSoup

    from ..content.markup import parse_blocks
    from ..content.readers.html import fragment_to_markdown, html_to_markdown
    from ..content.readers.markdown import write_markdown
    from ..content.readers.metadata import build_post
    from ..sources.http import get
    from ..content.text import teaser

    body_text = " ".join(BeautifulSoup(entry.html, "html.parser").get_text(" ").split())
    need_page = spec.fetch_pages == "always" or (
        spec.fetch_pages == "auto"
        and _words(body_text) < _words(entry.summary) + _PAGE_WORDS_MARGIN)
    page_meta: dict[str, str] = {}
    if need_page and entry.link:
        page = get(session, entry.link, timeout=spec.timeout, max_bytes=spec.max_bytes,
                   accept="text/html,application/xhtml+xml")
        page_meta, markdown = html_to_markdown(page.body.decode(page.encoding or "utf-8",
                                                                errors="replace"))
    else:
        markdown = fragment_to_markdown(entry.html or f"<p>{entry.summary}</p>")
    zone = ZoneInfo(defaults.timezone)
    summary = entry.summary.replace("[…]", "").replace("[&hellip;]", "").strip()
    meta: dict[str, Any] = {
        "title": entry.title or page_meta.get("title", ""), "slug": slug,
        "url": entry.link or page_meta.get("url") or None,
        "summary": teaser(summary) if summary else page_meta.get("summary", ""),
        "author": entry.author or page_meta.get("author", ""), "tags": list(entry.tags),
        "image": entry.image or page_meta.get("image") or None,
        "image_alt": entry.image_alt or page_meta.get("image_alt", ""),
        "date": entry.published.astimezone(zone) if entry.published else page_meta.get("date"),
        "status": spec.status,
    }
    if entry.updated and entry.published and entry.updated > entry.published:
        meta["updated"] = entry.updated.astimezone(zone)
    post = build_post({k: v for k, v in meta.items() if v not in (None, "", [])},
                      parse_blocks(markdown), source=path, defaults=defaults)
    return write_markdown(post, status=spec.status)


def sync_source(spec: SourceSpec, *, posts_dir: Path, state_dir: Path, defaults: Any,
                session: Any, dry_run: bool = False) -> list[SyncLine]:
    """Sync one source (rules in the module docstring); returns the report lines."""
    out: list[SyncLine] = []

    def say(level: str, message: str, file: Path | None = None) -> None:
        out.append(SyncLine(spec.name, level, message, str(file) if file else None))

    record_path = state_path(state_dir, spec.name)
    state = _load_state(record_path, spec.url)
    try:
        result = fetch_source(spec, session, etag=state.get("etag"),
                              last_modified=state.get("last_modified"))
    except SourceUnavailable as exc:
        say("warning", f"{exc.message}; nothing changed, the next sync tries again")
        return out
    if result.not_modified:
        say("unchanged", "no change since the last sync (HTTP 304)")
        return out
    entries: dict[str, dict[str, Any]] = state["entries"]
    taken = {str(r.get("slug")) for r in entries.values()}
    seen: set[str] = set()
    retry_later = False
    for entry in result.entries:
        seen.add(entry.key)
        record = entries.get(entry.key)
        fingerprint = _fingerprint(entry)
        if record and record.get("fingerprint") == fingerprint and not record.get("gone"):
            continue
        slug = record["slug"] if record else _slug_for(entry, taken, posts_dir)
        path = posts_dir / f"{slug}.md"
        if record:
            record["gone"] = False
            if not path.exists():
                record["fingerprint"] = fingerprint
                say("kept", f"{entry.title!r} changed at the source, but {path.name} was "
                    "deleted here: not written again", path)
                continue
            if _sha(path.read_bytes()) != record.get("written"):
                record["fingerprint"] = fingerprint
                say("kept", f"{entry.title!r} changed at the source, but {path.name} was edited "
                    "here since the last sync: not overwritten (copy the changes by hand)", path)
                continue
        try:
            text = _entry_markdown(entry, spec, slug, path, session, defaults).encode("utf-8")
        except SourceUnavailable as exc:
            say("warning", f"{entry.title!r}: {exc.message}; trying again next time")
            retry_later = True
            continue
        except ContentError as exc:
            say("warning", f"{entry.title!r} could not be read: {exc.message}")
            continue
        if not dry_run:
            write_atomic(path, text)  # a post: an ordinary file (0644)
        taken.add(slug)
        entries[entry.key] = {"slug": slug, "fingerprint": fingerprint, "written": _sha(text),
                              "link": entry.link, "gone": False,
                              "published": entry.published.isoformat() if entry.published
                              else None}
        if record:
            say("updated", f"{entry.title!r} changed at the source: {path.name} updated", path)
        else:
            say("new", f"{entry.title!r} → {path.name} (status: {spec.status})", path)
    for key in _gone(result, entries, seen, spec, session):
        record = entries[key]
        record["gone"] = True
        path = posts_dir / f"{record['slug']}.md"
        say("gone", f"{path.name}: its article was deleted at the source; the post is kept "
            "here (delete the file if it should go too)", path)
    if not dry_run:
        if not retry_later:
            state["etag"], state["last_modified"] = result.etag, result.last_modified
        write_atomic(record_path, json.dumps(state, indent=1, sort_keys=True).encode("utf-8"),
                     mode=PRIVATE_FILE)  # in state/
    return out


def _gone(result: Any, entries: dict[str, dict[str, Any]], seen: set[str], spec: SourceSpec,
          session: Any) -> list[str]:
    """Keys of recorded entries deleted at the source (see the module docstring)."""
    from ..sources.http import status_of

    missing = [k for k, r in entries.items() if k not in seen and not r.get("gone")]
    if result.complete:
        return missing
    dates = [e.published for e in result.entries if e.published]
    oldest = min(dates) if dates else None
    gone: list[str] = []
    for key in missing:
        record = entries[key]
        published = record.get("published")
        if oldest and published and dt.datetime.fromisoformat(published) < oldest:
            continue  # it simply scrolled out of the feed
        if record.get("link") and status_of(session, record["link"],
                                            timeout=spec.timeout) in _GONE_STATUSES:
            gone.append(key)
    return gone


def sync_sources(config: Any, *, session: Any = None, only: str | None = None,
                 dry_run: bool = False) -> SyncReport:
    """Sync every source of ``config`` (or only the one named ``only``)."""
    from ..errors import TrustpublishError
    from ..sources.http import new_session

    specs = sources_from_config(config.raw.get("sources"))
    if only is not None:
        specs = [s for s in specs if s.name == only]
        if not specs:
            names = ", ".join(s.name for s in sources_from_config(config.raw.get("sources")))
            raise TrustpublishError(f"no source named {only!r}",
                                    hint=f"sources in schedule.yaml: {names or 'none'}")
    report = SyncReport()
    session = session or new_session()
    for spec in specs:
        for line in sync_source(spec, posts_dir=config.path_of("posts", "posts"),
                                state_dir=config.path_of("state", "state"),
                                defaults=config.defaults, session=session, dry_run=dry_run):
            report.add(line)
    return report
