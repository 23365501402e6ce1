"""The article corpus (tests/corpus): every real-world shape imports or splits cleanly.

For each file: it is read (Markdown) or imported (HTML, text) without error, the title,
date and author are right, back matter is never an excerpt, every sentence and list item
of the body (back matter aside) is in exactly one excerpt and in order, and no excerpt is
over max_words unless it is one block that cannot be cut.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from trustpublish.actions.importer import import_source
from trustpublish.content.model import Block, Post
from trustpublish.content.readers import read_post
from trustpublish.content.split import (
    SplitOptions,
    back_matter_headings,
    is_back_matter,
    split_post,
)
from trustpublish.content.text import normalize_space, split_sentences

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
OPTIONS = SplitOptions()


def load(name: str) -> Post:
    path = CORPUS / name
    return read_post(path) if path.suffix == ".md" else import_source(str(path))


def body_without_back_matter(post: Post) -> list[Block]:
    kept: list[Block] = []
    level: int | None = None
    for block in post.body:
        if block.kind == "heading":
            if level is not None and block.level <= level:
                level = None
            if level is None and is_back_matter(block.text):
                level = block.level
        if level is None:
            kept.append(block)
    return kept


def pieces(block: Block) -> list[str]:
    """What must appear whole in some excerpt: sentences, list items, table rows, lines."""
    if block.kind == "paragraph":
        return split_sentences(block.text)
    if block.kind in ("list", "table", "code", "quote"):
        return [normalize_space(line.lstrip("• ")) for line in block.text.split("\n")
                if line.strip()]
    return []


def test_corpus_has_every_shape():
    assert len(EXPECTED) >= 8
    suffixes = {Path(name).suffix for name in EXPECTED}
    assert suffixes == {".md", ".html", ".txt"}
    for name in EXPECTED:
        assert (CORPUS / name).is_file(), name
        assert f"`{name}`" in (CORPUS / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_title_date_and_author(name: str):
    spec = EXPECTED[name]
    post = load(name)
    assert post.title == spec["title"]
    assert post.date is not None and post.date.date() == spec["date"]
    if "author" in spec:
        assert post.author == spec["author"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_back_matter_is_never_an_excerpt(name: str):
    post = load(name)
    assert back_matter_headings(post, OPTIONS) == EXPECTED[name]["back_matter"]
    excerpts = split_post(post, OPTIONS)
    assert excerpts
    skipped_text = [normalize_space(b.text) for b in post.body
                    if b not in body_without_back_matter(post) and b.kind != "heading"]
    for excerpt in excerpts:
        assert not is_back_matter(excerpt.title), excerpt.id
        for block in excerpt.blocks:
            assert not (block.kind == "heading" and is_back_matter(block.text)), excerpt.id
        for text in skipped_text:
            assert text not in normalize_space(excerpt.text), (excerpt.id, text[:60])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sentence_in_exactly_one_excerpt_in_order(name: str):
    post = load(name)
    excerpts = split_post(post, OPTIONS)
    joined = "\n".join(normalize_space(e.text) for e in excerpts)
    position = 0
    for block in body_without_back_matter(post):
        for piece in pieces(block):
            assert joined.count(piece) == 1, (name, piece[:80])
            found = joined.find(piece, position)
            assert found >= position, (name, "out of order", piece[:80])
            position = found + len(piece)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_excerpts_within_max_words_unless_one_block(name: str):
    post = load(name)
    for excerpt in split_post(post, OPTIONS):
        if excerpt.words > OPTIONS.max_words:
            content = [b for b in excerpt.blocks if b.kind != "heading"]
            assert len(content) == 1, (excerpt.id, excerpt.words)


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith(".html")))
def test_html_keeps_the_article_and_drops_the_page_chrome(name: str):
    spec = EXPECTED[name]
    text = normalize_space(" ".join(b.text for b in load(name).body))
    for sentence in spec["article"]:
        assert normalize_space(sentence) in text, sentence
    for chrome in spec["chrome"]:
        assert normalize_space(chrome) not in text, chrome


def test_the_dates_come_from_each_usual_place():
    """citation_publication_date, DC.date, JSON-LD, article:published_time, a dateline."""
    dates = {name: load(name).date for name in
             ("journal-article.html", "government-page.html", "blog-sidebars.html",
              "div-layout.html", "browser-copy.txt")}
    assert {n: d.date() for n, d in dates.items() if d} == {
        "journal-article.html": dt.date(2021, 3, 12),
        "government-page.html": dt.date(2019, 1, 18),  # not "Page last reviewed: May 2, 2023"
        "blog-sidebars.html": dt.date(2022, 6, 14),
        "div-layout.html": dt.date(2016, 8, 30),
        "browser-copy.txt": dt.date(2019, 1, 18),
    }
