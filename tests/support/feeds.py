"""The feeds tests' posts and helpers: a pinned clock, Harborview posts, a fresh build."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.etree import ElementTree as ET

from trustpublish.workspace.project import Project

__all__ = ["NOW", "NS", "PARAGRAPH", "post_text", "FIRST", "SECOND", "THIRD", "DRAFT", "build",
           "feed_files", "xml"]

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.timezone.utc)
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "fh": "http://purl.org/syndication/history/1.0",
}

PARAGRAPH = ("Trust grows when a client feels heard. Therapists listen closely and reflect what "
             "they hear, so that the client knows the words landed. Small signals matter here. ")


def post_text(title: str, date: str, *, slug: str, status: str = "approved", extra: str = "",
              body: str | None = None) -> str:
    """A post file's text (front matter and body) for ``make_project(root, posts={...})``."""
    if body is None:
        body = (f"## Why it matters\n\n{PARAGRAPH * 4}\n\n## What to try\n\n"
                f"- Name one worry before each session.\n- Ask what helped last time.\n\n"
                f"{PARAGRAPH * 3}\n")
    return (f"---\ntitle: {title}\ndate: {date}\nslug: {slug}\nstatus: {status}\n{extra}---\n\n"
            f"{body}")


FIRST = post_text("Building trust in therapy", "2025-01-21", slug="building-trust",
                  extra="summary: Why trust is the heart of therapy.\n"
                        "tags: [trust, therapy]\nimage: images/trust.jpg\n"
                        "image_alt: Two chairs facing each other\n")
SECOND = post_text("Confidentiality, explained", "2025-02-04T09:30", slug="confidentiality",
                   extra="tags: [privacy]\nauthor: Dr. Ana Ruiz\n")
THIRD = post_text("Cultural competence", "2025-03-11T08:00", slug="cultural-competence")
DRAFT = post_text("Not ready", "2025-01-30", slug="not-ready", status="draft")


def build(schedule: Path, now: dt.datetime = NOW) -> list[Path]:
    """A fresh Project (as a new CLI run would load) and its feeds build."""
    from trustpublish.actions.feed_files import build_feeds

    return build_feeds(Project.load(schedule), now)


def feed_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root/dist/feeds`` by relative path."""
    folder = root / "dist" / "feeds"
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def xml(data: bytes) -> ET.Element:
    return ET.fromstring(data)
