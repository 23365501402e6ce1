"""Per-file results on the article corpus: excerpts, their word range, back matter skipped.

    .venv/bin/python benchmarks/corpus_report.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from trustpublish.actions.importer import import_source
from trustpublish.content.readers import read_post
from trustpublish.content.split import SplitOptions, back_matter_headings, split_post

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def main() -> int:
    options = SplitOptions()
    files = sorted(p for p in CORPUS.iterdir()
                   if p.suffix in (".md", ".html", ".txt") and p.stem.lower() != "readme")
    print(f"{'file':24} {'date':10} {'excerpts':>8} {'words':>9}  back matter skipped")
    for path in files:
        post = read_post(path) if path.suffix == ".md" else import_source(str(path))
        excerpts = split_post(post, options)
        words = [e.words for e in excerpts]
        date = post.date.date().isoformat() if post.date else "-"
        print(f"{path.name:24} {date:10} {len(excerpts):>8} {min(words):>4}-{max(words):<4}  "
              f"{', '.join(back_matter_headings(post, options)) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
