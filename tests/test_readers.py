"""Readers: Markdown, plain text and HTML give the same article structure."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import SAMPLE_POST, SEED_TXT

from trustpublish.content.readers import Defaults, read_post, read_posts
from trustpublish.content.readers.plaintext import text_to_markdown
from trustpublish.errors import ContentError

CHROME = ("Recent articles", "References", "music therapy into ABA", "sibling relationships")


def headings(post) -> list[tuple[int, str]]:
    return [(b.level, b.text) for b in post.body if b.kind == "heading"]


def test_markdown_sample_post_metadata():
    post = read_post(SAMPLE_POST, Defaults(timezone="America/Chicago"))
    assert post.title == "The importance of building trust in therapy relationships"
    assert post.date.isoformat() == "2025-01-21T00:00:00-06:00"
    assert post.status == "approved"
    assert post.url.startswith("https://") and post.url.endswith(post.slug)
    assert post.tags and post.summary


def test_plain_text_seed_matches_markdown_post_structure(tmp_path: Path):
    md = read_post(SAMPLE_POST)
    txt = read_post(SEED_TXT)
    assert headings(txt) == headings(md)
    assert len(headings(md)) >= 20
    assert txt.title == md.title
    assert txt.date.date() == md.date.date()
    assert txt.summary == md.summary


def test_plain_text_keeps_the_bullet_list_as_one_list():
    post = read_post(SEED_TXT)
    lists = [b for b in post.body if b.kind == "list"]
    assert len(lists) == 1
    items = lists[0].text.split("\n")
    assert len(items) == 6
    assert items[0].startswith("• Open Communication:") and items[-1].startswith("• Patience:")


def test_plain_text_keeps_each_table_as_one_unbroken_block():
    post = read_post(SEED_TXT)
    tables = [b for b in post.body if b.kind == "table"]
    assert len(tables) == 2
    assert [len(t.text.split("\n")) for t in tables] == [7, 6]
    assert tables[0].text.startswith("Method Description Importance")
    assert "Regular Check-ins" in tables[0].text.split("\n")[-1]
    md_tables = [b for b in read_post(SAMPLE_POST).body if b.kind == "table"]
    assert [len(t.text.split("\n")) for t in md_tables] == [7, 6]


@pytest.mark.parametrize("path", [SEED_TXT, SAMPLE_POST])
def test_site_chrome_is_dropped(path: Path):
    post = read_post(path)
    body = post.markdown
    for chrome in CHROME:
        assert chrome not in body
    assert body.rstrip().endswith("more meaningful and effective therapeutic interventions.")


def test_plain_text_rules_are_predictable():
    meta, body, _ = text_to_markdown(
        "My Title\n\n2024-03-05\n\nA Subtitle Here\n\nOverview\n\nSome text here. More text.\n\n"
        "Why does it matter?\n\n- one\n- two\n\nName  Value\nAlpha  1\nBeta  2\n\n"
        "Related posts\n\nOther article\n")
    assert meta == {"title": "My Title", "date": "2024-03-05", "summary": "A Subtitle Here"}
    assert body.split("\n\n") == [
        "## Overview", "Some text here. More text.", "### Why does it matter?", "- one\n- two",
        "| Name | Value |\n|---|---|\n| Alpha | 1 |\n| Beta | 2 |\n",
    ]


def test_html_reader_drops_chrome_and_scripts(tmp_path: Path):
    page = tmp_path / "article.html"
    page.write_text("""<!doctype html><html><head><title>Site | Post</title>
      <link rel="canonical" href="https://clinic.example/blog/trust">
      <meta name="description" content="A short summary."></head>
      <body><nav><a href="/">Home</a> Recent articles</nav>
      <article><h1>Trust matters</h1><time datetime="2025-01-21">Jan 21</time>
      <h2>Why trust</h2><p>Trust is <strong>key</strong>. See <a href="https://x.example">this</a>.</p>
      <script>alert(1)</script>
      <ul><li>One</li><li>Two</li></ul>
      <table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>
      <h2>References</h2>
      <h3>Recent articles</h3><ul><li><a href="/x">Another post</a></li></ul>
      </article><footer>(c) Clinic</footer></body></html>""", encoding="utf-8")
    post = read_post(page)
    assert post.title == "Trust matters"
    assert post.url == "https://clinic.example/blog/trust"
    assert post.summary == "A short summary."
    assert [b.kind for b in post.body] == ["heading", "paragraph", "list", "table"]
    assert "alert" not in post.markdown and "Another post" not in post.markdown
    assert "[this](https://x.example)" in post.markdown
    assert post.status == "draft"


BAD_FILES = {
    "broken-yaml.md": (b"---\ntitle: Fine\ndate: 2025-01-01\ntags: [a, b\n---\n\nBody text.\n", 4),
    "no-title.md": (b"---\ndate: 2025-01-01\n---\n\nBody text.\n", 1),
    "bad-date.md": (b"---\ntitle: T\ndate: next tuesday-ish\n---\n\nBody.\n", 3),
    "empty.md": (b"", None),
    "binary.md": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3),
    "latin1.md": (b"---\ntitle: Caf\xe9\ndate: 2025-01-01\n---\n\nBody.\n", 2),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_post_gives_content_error_with_file_and_line(tmp_path: Path, name: str):
    data, line = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ContentError) as info:
        read_post(path)
    assert info.value.file == path
    assert info.value.line == line
    assert str(path) in str(info.value)
    assert info.value.hint


def test_bad_posts_do_not_hide_good_ones(tmp_path: Path):
    for name, (data, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "good.md").write_text(SAMPLE_POST.read_text(encoding="utf-8"), encoding="utf-8")
    result = read_posts(tmp_path)
    assert [p.slug for p in result.posts] == [
        "the-importance-of-building-trust-in-therapy-relationships"]
    assert sorted(Path(str(e.file)).name for e in result.errors) == sorted(BAD_FILES)
