"""Compare the HTML article extractors on the saved pages of ``tests/corpus``.

For each page, ``tests/corpus/expected.yaml`` lists sentences of the article and strings
of the page's navigation, sidebars, comments and footer. Each extractor's Markdown is read
back to plain text; we count how many article sentences it kept (more is better) and how
many navigation strings leaked in (fewer is better).

    .venv/bin/python benchmarks/html_extract_compare.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from trustpublish.content.markup import parse_blocks
from trustpublish.content.readers.html import html_to_markdown
from trustpublish.content.text import count_words, normalize_space

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
EXTRACTORS = ("handwritten", "trafilatura", "auto")


def measure(extractor: str, html: str, article: list[str],
            chrome: list[str]) -> tuple[int, int, int]:
    """(article strings kept, navigation strings leaked, words) for one page."""
    _, markdown = html_to_markdown(html, extractor)
    text = normalize_space(" ".join(b.text for b in parse_blocks(markdown)))
    kept = sum(1 for s in article if normalize_space(s) in text)
    leaked = sum(1 for s in chrome if normalize_space(s) in text)
    return kept, leaked, count_words(text)


def main() -> int:
    expected = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    totals = {name: [0, 0] for name in EXTRACTORS}
    n_article = n_chrome = 0
    print(f"{'page':24} {'extractor':12} {'article kept':>13} {'nav leaked':>11} {'words':>6}")
    for name, spec in sorted(expected.items()):
        if not name.endswith(".html"):
            continue
        html = (CORPUS / name).read_text(encoding="utf-8")
        article, chrome = spec["article"], spec["chrome"]
        n_article, n_chrome = n_article + len(article), n_chrome + len(chrome)
        for extractor in EXTRACTORS:
            kept, leaked, words = measure(extractor, html, article, chrome)
            totals[extractor][0] += kept
            totals[extractor][1] += leaked
            print(f"{name:24} {extractor:12} {kept:>6}/{len(article):<6} "
                  f"{leaked:>4}/{len(chrome):<6} {words:>6}")
    print()
    for extractor, (kept, leaked) in totals.items():
        print(f"TOTAL {extractor:12} article kept {kept}/{n_article} "
              f"({100 * kept / n_article:.0f}%)"
              f"  navigation leaked {leaked}/{n_chrome} ({100 * leaked / n_chrome:.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
