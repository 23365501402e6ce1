"""The planner's queue material, cached per post file so ``plan`` stays fast.

Planning needs, per post, only its date, slug, status (approved and clear of the
privacy guard), ``publish_after``, ``channels``
and excerpt ids — but reading and splitting 1,000 posts takes seconds. This keeps
them in ``state/queue-cache.json``, keyed by each file's path, size and mtime and by
a fingerprint of the settings that change reading or splitting (timezone, site URL,
author, language, excerpt sizes). A changed file is read again; a file that cannot
be read is left out (``trustpublish check`` reports it). Delivering never uses this
cache: it reads the posts themselves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from ..files import PRIVATE_FILE, write_atomic
from ..plan.planner import Candidate

if TYPE_CHECKING:
    from .project import Project

__all__ = ["load_candidates"]

_VERSION = 2  # 2: the privacy guard reads every field and the clinic's own details


def _fingerprint(project: "Project") -> str:
    config = project.config
    text = json.dumps([_VERSION, config.site.timezone, config.site.url, config.site.author,
                       config.site.language, config.split.min_words, config.split.max_words,
                       list(config.split.skip_sections),
                       config.raw.get("privacy"), config.site.postal_address,
                       (config.raw.get("site") or {}).get("phone"), sorted(str(c.get("from", ""))
                                                         for c in config.channels.values())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _entry(post: Any, ids: list[str], rules: Any) -> dict[str, Any]:
    from ..content.privacy import publishable

    date = post.date.astimezone(dt.timezone.utc).isoformat() if post.date else "9999"
    return {"date": date, "slug": post.slug,
            "approved": publishable(post, rules), "ids": ids,
            "publish_after": post.publish_after.isoformat() if post.publish_after else None,
            "channels": list(post.channels) if post.channels is not None else None}


def load_candidates(project: "Project") -> list[Candidate]:
    """Candidates in post order (date, slug), reading only the post files that changed."""
    from ..content.readers import iter_post_files, read_post
    from ..content.split import split_post
    from ..errors import ContentError

    path = project.state_dir / "queue-cache.json"
    fingerprint = _fingerprint(project)
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
        files = cache["files"] if cache.get("fingerprint") == fingerprint else {}
    except (OSError, ValueError, KeyError, TypeError):
        files = {}
    fresh: dict[str, Any] = {}
    changed = False
    from ..plan.privacy_rules import rules_for

    rules = rules_for(project.config)
    for file in iter_post_files(project.posts_dir):
        stat = file.stat()
        key = str(file)
        stamp = [stat.st_size, stat.st_mtime_ns]
        old = files.get(key)
        if old and old.get("stamp") == stamp:
            fresh[key] = old
            continue
        changed = True
        try:
            post = read_post(file, project.config.defaults)
        except ContentError:
            continue
        ids = [e.id for e in split_post(post, project.config.split)]
        fresh[key] = {"stamp": stamp, **_entry(post, ids, rules)}
    changed = changed or set(fresh) != set(files)
    if changed:
        try:
            write_atomic(path, json.dumps({"fingerprint": fingerprint, "files": fresh}).encode(),
                         mode=PRIVATE_FILE)
        except OSError:
            pass  # a read-only state folder only costs speed
    seen: set[str] = set()
    entries = []
    for entry in sorted(fresh.values(), key=lambda e: (e["date"], e["slug"])):
        if entry["slug"] in seen:  # a duplicate slug is an error `check` reports
            continue
        seen.add(entry["slug"])
        entries.append(entry)
    return [Candidate(i, e["slug"],
                      dt.datetime.fromisoformat(e["publish_after"]) if e["publish_after"] else None,
                      tuple(e["channels"]) if e["channels"] is not None else None)
            for e in entries if e["approved"] for i in e["ids"]]
