"""Front matter of other tools, undated drafts, back matter, long blocks, ids and anchors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support import run_cli

from trustpublish.errors import ContentError
from trustpublish.content.markup import parse_blocks
from trustpublish.content.model import Post
from trustpublish.content.readers import read_post
from trustpublish.content.split import SplitOptions, split_post
from trustpublish.content.text import anchor_slug, count_words, normalize_space

OPTIONS = SplitOptions(min_words=40, max_words=80)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def post_of(markdown: str, title: str = "T") -> Post:
    return Post(source=Path("x.md"), title=title, date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                slug="x", url="https://clinic.example/blog/x", body=tuple(parse_blocks(markdown)))


# --- front matter -------------------------------------------------------------------

def test_synonyms_map_to_our_fields_and_other_keys_become_one_note(tmp_path: Path):
    post = read_post(write(tmp_path, "2021-05-04-hello.md", """---
title: Hello
date: 2021-05-04
description: The summary.
categories: [News]
tags: [news, sleep]
lastmod: 2021-06-01
thumbnail: /img/a.jpg
canonical_url: https://old.example/hello
draft: true
layout: post
weight: 3
---

Body text here.
"""))
    assert post.summary == "The summary."
    assert post.tags == ("news", "sleep")  # "News" merged, not doubled
    assert post.updated is not None and post.updated.date() == dt.date(2021, 6, 1)
    assert post.image == "https://clinic.example/img/a.jpg"
    assert post.url == "https://old.example/hello"
    assert post.status == "draft"
    assert post.slug == "hello"  # Jekyll's date prefix is not part of the slug
    assert [m for _, m in post.notes] == [
        "front-matter fields kept but not used by trustpublish: layout, weight",
        "the image has no `image_alt`: add one before you approve this post"]


@pytest.mark.parametrize(("key", "suggestion", "line"), [("titel", "title", 2),
                                                          ("staus", "status", 4)])
def test_a_near_miss_of_our_own_key_is_an_error(tmp_path: Path, key: str, suggestion: str,
                                                line: int):
    lines = ["title: Hello", "date: 2021-05-04", "status: draft"]
    lines[line - 2] = f"{key}: {lines[line - 2].split(': ', 1)[1]}"
    if key == "titel":
        lines.append("title: Hello")
    path = write(tmp_path, "p.md", "---\n" + "\n".join(lines) + "\n---\n\nBody.\n")
    with pytest.raises(ContentError) as info:
        read_post(path)
    assert info.value.line == line and f"did you mean `{suggestion}`" in (info.value.hint or "")


def test_toml_and_pelican_headers(tmp_path: Path):
    toml = read_post(write(tmp_path, "a.md", '+++\ntitle = "A"\ndate = 2020-01-02\n'
                                             'tags = ["x"]\n+++\n\nText.\n'))
    pelican = read_post(write(tmp_path, "b.md", "Title: B\nDate: 2020-01-03 10:20\n"
                                                "Category: Y\nAuthors: Ann Lee\n\nText.\n"))
    assert (toml.title, toml.date.date(), toml.tags) == ("A", dt.date(2020, 1, 2), ("x",))
    assert (pelican.title, pelican.author, pelican.tags) == ("B", "Ann Lee", ("Y",))


def test_no_date_is_a_draft_with_a_note_but_an_approved_post_needs_one(tmp_path: Path):
    draft = read_post(write(tmp_path, "d.md", "---\ntitle: D\n---\n\nSome text.\n"))
    assert draft.date is None and draft.status == "draft"
    assert any("no date yet" in m for _, m in draft.notes)
    with pytest.raises(ContentError, match="approved post needs a `date`"):
        read_post(write(tmp_path, "e.md", "---\ntitle: E\nstatus: approved\n---\n\nText.\n"))


def test_check_shows_notes_once_and_they_never_fail(project: Path):
    write(project / "posts", "hugo.md", "---\ntitle: Hugo post\ndate: 2024-01-01\n"
          "aliases: [/old/]\nweight: 2\n---\n\n## A heading\n\nSome text.\n")
    for args in (["check"], ["check", "--fatal"]):
        result = run_cli(*args, cwd=project)
        assert result.code == 0, result.out + result.err
        assert result.out.count("aliases, weight") == 1
    write(project / "posts", "typo.md", "---\ntitel: Oops\ndate: 2024-01-01\n---\n\nText.\n")
    result = run_cli("check", cwd=project)
    assert result.code == 1 and "typo.md:2: titel: unknown front-matter field" in result.out
    assert "did you mean `title`" in result.out


def test_split_previews_an_undated_text_file_and_import_leaves_date_empty(project: Path,
                                                                        tmp_path: Path):
    page = write(tmp_path, "copied.txt", "Why Sleep Matters\n\nSleep shapes mood. It also "
                 "shapes attention and patience.\n\nMore text follows here. And more.\n")
    result = run_cli("split", str(page), cwd=project)
    assert result.code == 0, result.err
    assert "part-1" in result.out
    result = run_cli("import", str(page), "-o", str(tmp_path / "out.md"), cwd=project)
    assert result.code == 0, result.err
    text = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert "date:  # no date found in the source" in text
    back = read_post(tmp_path / "out.md")
    assert back.date is None and back.status == "draft"


# --- splitting ----------------------------------------------------------------------

def test_back_matter_is_skipped_and_later_sections_are_not(tmp_path: Path):
    body = ("## Intro\n\n" + "Real text here. " * 20 + "\n\n## Notes\n\nA footnote. " * 1
            + "\n\n## After the notes\n\n" + "More real text. " * 20 + "\n\n"
            "## 5. References:\n\n1. Ref one.\n2. Ref two.\n")
    ids = [e.id for e in split_post(post_of(body), OPTIONS)]
    assert ids == ["x/intro", "x/after-the-notes"]
    custom = SplitOptions(40, 80, skip_sections=("After the notes",))
    text = " ".join(e.text for e in split_post(post_of(body), custom))
    assert "A footnote." in text and "Ref one." in text and "More real text" not in text


def test_a_long_list_is_cut_between_items_and_every_item_stays_whole():
    items = [f"{n}. Author{n} A, Writer B. A long title of a study number {n} about sleep "
             f"and mood in adults {2000 + n}" for n in range(1, 31)]
    excerpts = split_post(post_of("## Reading list\n\n" + "\n".join(items)), OPTIONS)
    assert len(excerpts) > 3
    assert all(e.words <= OPTIONS.max_words for e in excerpts)
    joined = "\n".join(e.body for e in excerpts)
    assert [line for line in joined.split("\n") if line and line[0].isdigit()] == items
    assert all(b.kind == "list" for e in excerpts for b in e.blocks)
    assert excerpts[1].id == "x/reading-list-part-2"


def test_a_long_table_is_cut_between_rows_with_the_header_repeated():
    rows = [f"| Clinic {n} | Monday to Friday | 8am to 6pm | walk-ins welcome |" for n in
            range(40)]
    table = "| Clinic | Days | Hours | Notes |\n|---|---|---|---|\n" + "\n".join(rows)
    excerpts = split_post(post_of("## Hours\n\n" + table), OPTIONS)
    assert len(excerpts) > 2
    for e in excerpts:
        assert e.words <= OPTIONS.max_words
        assert e.body.startswith("| Clinic | Days | Hours | Notes |\n|---|---|---|---|\n")
    assert sum(e.body.count("| Clinic ") - 1 for e in excerpts) == 40


def test_lines_without_sentence_ends_are_cut_between_lines():
    lines = [f"Resource line {n} with a phone number and opening hours for the weekend"
             for n in range(30)]
    excerpts = split_post(post_of("\n".join(lines)), OPTIONS)
    assert len(excerpts) > 2 and all(e.words <= OPTIONS.max_words for e in excerpts)
    assert normalize_space(" ".join(e.text for e in excerpts)) == " ".join(lines)
    assert [e.id for e in excerpts][:2] == ["x/part-1", "x/part-2"]


def test_one_block_that_cannot_be_cut_may_run_over_and_check_reports_it(project: Path):
    item = "- " + " ".join(["word"] * 260)
    excerpts = split_post(post_of("## One item\n\n" + item), SplitOptions())
    assert len(excerpts) == 1 and excerpts[0].words > 220
    write(project / "posts", "long.md", "---\ntitle: Long\ndate: 2024-01-01\nstatus: approved"
          "\n---\n\n## One item\n\n" + item + "\n")
    result = run_cli("check", cwd=project)
    words = excerpts[0].words
    assert f"long.md:9: excerpt long/one-item has {words} words (max 220)" in result.out
    assert result.code == 0  # a warning: only --fatal fails
    assert run_cli("check", "--fatal", cwd=project).code == 1


def test_a_post_without_headings_starts_at_part_1():
    excerpts = split_post(post_of(" ".join(["A sentence of ten words is here for you."] * 20)),
                          OPTIONS)
    assert [e.id for e in excerpts] == [f"x/part-{n}" for n in range(1, len(excerpts) + 1)]
    assert excerpts[0].url == "https://clinic.example/blog/x"


def test_non_latin_headings_keep_their_letters_in_anchors():
    assert anchor_slug("Что такое КПТ?") == "что-такое-кпт"
    assert anchor_slug("Σύνοψη: η θεραπεία") == "σύνοψη-η-θεραπεία"
    assert anchor_slug("睡眠と健康") == "睡眠と健康"
    assert anchor_slug("Café & Co.") == "cafe-co"  # Latin: as before
    body = "## Что такое КПТ?\n\n" + "Это метод терапии. " * 30
    first = split_post(post_of(body), OPTIONS)[0]
    assert first.id == "x/что-такое-кпт"
    assert first.url.endswith("#что-такое-кпт")
    assert count_words(first.text) == first.words


def test_schedule_yaml_takes_skip_sections_and_sources(project: Path):
    from trustpublish.plan.config import load_config
    from trustpublish.errors import ConfigError

    config_path = project / "schedule.yaml"
    original = config_path.read_text(encoding="utf-8")
    config_path.write_text(original.replace(
        "  max_words: 220\n", "  max_words: 220\n  skip_sections: [Further reading]\n")
        + "\nsources:\n  - {url: https://clinic.example/feed.xml, status: draft}\n",
        encoding="utf-8")
    config = load_config(config_path)
    assert config.split.skip_sections == ("Further reading",)
    config_path.write_text(original + "\nsources:\n  - {url: https://x.example/feed, "
                           "statuss: draft}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config_path)
    assert "sources[0]" in str(info.value)


def test_label_paragraphs_and_footnotes_are_back_matter_too():
    body = ("## Care at home\n\n" + "Rest and fluids help most people recover. " * 8 + "\n\n"
            "Conflicts of interest: none declared.\n\n"
            "This sentence stays in the excerpt.[^1]\n\n"
            "[^1]: A footnote definition that is not an excerpt.\n\n"
            "**References**\n\n1. Doe J. A study. 2020.\n2. Roe K. Another. 2021.\n\n"
            "## Next steps\n\n" + "Call us when symptoms last more than a week. " * 8)
    text = " ".join(e.text for e in split_post(post_of(body), OPTIONS))
    assert "This sentence stays in the excerpt." in text and "Call us when" in text
    for gone in ("none declared", "footnote definition", "Doe J.", "References"):
        assert gone not in text


def test_breadcrumbs_are_not_the_title_and_a_date_in_the_address_is_a_date(tmp_path: Path):
    from trustpublish.content.readers.html import html_to_markdown
    from trustpublish.content.readers.plaintext import text_to_markdown

    meta, _, _ = text_to_markdown("Home › Blog › Sleep\n\nSleep Tips\n\nPosted on March 3, "
                                  "2021\n\nSome text. More text here.\n")
    assert meta == {"title": "Sleep Tips", "date": "March 3, 2021"}
    page = ('<html><head><link rel="canonical" href="https://a.example/2019/01/18/tips/">'
            '</head><body><article><h1>Tips</h1><p>' + "Some text here. " * 40 +
            "</p></article></body></html>")
    assert html_to_markdown(page)[0]["date"] == "2019-01-18"
