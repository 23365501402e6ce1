"""Hostile posts: each broken post is one clear line (file:line) and the others go on.

Every case writes one hostile post next to two valid ones and runs the real CLI:
``check`` exits 1 naming the file and line, with no traceback, and still reads the
two valid posts; ``run --once`` delivers a valid post's excerpt (to the outbox
channel), warns about the broken one by file and line, and writes nothing of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_helpers import Cli, assert_clean
from support import BODY, DAILY_OUTBOX, make_project

SCHEDULE = DAILY_OUTBOX
NOW = "2026-03-05T09:05"
NAME = "zz-hostile.md"


def post(*lines: str, body: str = f"## Part\n\n{BODY}\n") -> str:
    """A post whose front-matter line i (0-based) is file line i + 2."""
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


OK = ("title: Hostile", "date: 2025-02-01", "status: approved")


def with_line(index: int, line: str) -> tuple[str, ...]:
    lines = list(OK)
    if index < len(lines):
        lines[index] = line
    else:
        lines.append(line)
    return tuple(lines)


LAUGHS = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"] + [
    f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]

# (case id, file content, expected line or None, fragment of the message)
CASES: list[tuple[str, str | bytes, int | None, str]] = [
    ("month-13", post(*with_line(1, "date: 2025-13-45")), 3, "not a real date"),
    ("feb-30", post(*with_line(1, "date: 2025-02-30")), 3, "not a real date"),
    ("year-0", post(*with_line(1, "date: 0000-01-01")), 3, "not a real date"),
    ("hour-25", post(*with_line(1, "date: 2025-01-01T25:00:00")), 3, "not a real date"),
    ("offset-25h", post(*with_line(1, "date: 2025-01-01T09:00:00+25:00")), 3, "date"),
    ("minute-61", post(*with_line(1, "date: 2025-01-01 09:61")), 3, "date"),
    ("date-word", post(*with_line(1, "date: soon")), 3, "cannot read 'soon' as a date"),
    ("date-list", post(*with_line(1, "date: [2025-01-01]")), 3, "expected a date"),
    ("date-map", post(*with_line(1, "date: {y: 2025}")), 3, "expected a date"),
    ("date-empty", post(*with_line(1, 'date: ""')), 4, "needs a `date`"),
    ("date-missing", post("title: T", "status: approved"), 3, "needs a `date`"),
    ("publish-after-month-99", post(*with_line(3, "publish_after: 2025-99-01")), 5, "date"),
    ("updated-feb-29-2026", post(*with_line(3, "updated: 2026-02-29")), 5, "not a real date"),
    ("title-missing", post("date: 2025-01-01", "status: approved"), 1, "no `title`"),
    ("title-list", post(*with_line(0, "title: [a, b]")), 1, "no `title`"),
    ("title-empty", post(*with_line(0, 'title: "   "')), 1, "no `title`"),
    ("unknown-field", post(*with_line(3, "titel: x")), 5, "did you mean `title`"),
    ("status-markup-close", post(*with_line(2, 'status: "[/red]"')), 4, "unknown status '[/red]'"),
    ("status-markup-open", post(*with_line(2, 'status: "[bold]x[/bold]"')), 4, "unknown status"),
    ("status-word", post(*with_line(2, "status: banana")), 4, "unknown status"),
    ("slug-traversal", post(*with_line(3, 'slug: "../../etc/passwd"')), 5, "not a valid slug"),
    ("slug-slash", post(*with_line(3, "slug: a/b")), 5, "not a valid slug"),
    ("slug-escape", post(*with_line(3, 'slug: "\\e[31mred"')), 5, "not a valid slug"),
    ("url-javascript", post(*with_line(3, 'url: "javascript:alert(1)"')), 5, "http(s) URL"),
    ("url-ftp", post(*with_line(3, "url: ftp://files.example/x")), 5, "http(s) URL"),
    ("image-javascript", post(*OK, 'image: "javascript:alert(1)"', "image_alt: x"), 5,
     "javascript: scheme"),
    ("image-javascript-mixed-case", post(*OK, 'image: " JaVaScRiPt:alert(1)"', "image_alt: x"),
     5, "javascript: scheme"),
    ("image-data", post(*OK, 'image: "data:image/svg+xml;base64,PHN2Zz4="', "image_alt: x"),
     5, "data: scheme"),
    ("image-file", post(*OK, 'image: "file:///etc/passwd"', "image_alt: x"), 5, "file: scheme"),
    ("image-vbscript", post(*OK, 'image: "vbscript:msgbox(1)"', "image_alt: x"), 5, "vbscript"),
    ("image-traversal", post(*OK, 'image: "../../etc/passwd"', "image_alt: x"), 5,
     "outside the project"),
    ("image-mailto", post(*OK, 'image: "mailto:x@evil.example"', "image_alt: x"), 5,
     "mailto: scheme"),
    ("image-control", post(*OK, 'image: "a\\tb.png"', "image_alt: x"), 5, "control characters"),
    ("image-no-alt", post(*OK, "image: https://ok.example/a.jpg"), 5, "image_alt"),
    ("tags-map", post(*OK, "tags: {a: 1}"), 5, "`tags` must be a list"),
    ("channels-of-maps", post(*OK, "channels: [{x: 1}]"), 5, "`channels` must be a list"),
    ("privacy-ok-map", post(*OK, "privacy_ok: {a: b}"), 5, "`privacy_ok` must be a list"),
    ("python-object", post(*with_line(0, "title: !!python/object/apply:os.system ['true']")), 2,
     "unsupported tag"),
    ("python-name", post(*with_line(0, "title: !!python/name:os.system")), 2, "constructor"),
    ("binary-tag", post(*with_line(0, "title: !!binary 'AAA!'")), 2, "base64"),
    ("int-tag", post(*with_line(0, "title: !!int abc")), 2, "cannot be read"),
    ("duplicate-key", post(*OK, "title: Again"), 5, "duplicate key"),
    ("list-key", post(*OK, "[a]: 1"), 5, "plain value"),
    ("unclosed-bracket", post(*OK, "tags: [a, b"), 5, "not valid YAML"),
    ("tab-indent", post(*OK, "\ttags: [a]"), 5, "not valid YAML"),
    ("alias-bomb", post(*OK, *LAUGHS), 5, "more than 200000 values"),
    ("alias-loop", post(*OK, "tags: &a [*a]"), 2, "nested too deeply"),
    ("deep-nesting", post(*OK, "tags: " + "[" * 3000 + "]" * 3000), 2, "nested too deeply"),
    ("front-matter-list", "---\n- a\n- b\n---\n\nbody text here\n", 2, "`key: value` lines"),
    ("no-front-matter", "# Just a heading\n\nSome text.\n", 1, "no front matter"),
    ("front-matter-open", "---\ntitle: x\ndate: 2025-01-01\n\nbody\n", 1, "not closed"),
    ("empty", "", None, "the file is empty"),
    ("whitespace", "   \n\n\t\n", None, "the file is empty"),
    ("nul-byte", b"---\ntitle: a\x00b\ndate: 2025-01-01\n---\n\ntext\n", 2, "binary file"),
    ("latin-1", b"---\ntitle: caf\xe9\ndate: 2025-01-01\n---\n\ntext\n", 2, "not UTF-8"),
    ("no-body", post(*OK, body=""), 1, "no text after the front matter"),
    ("duplicate-slug", post(*OK, "slug: post-000"), 1, "already used"),
    ("too-big", post(*OK, body="## Part\n\n" + "word " * (1_100_000) + "\n"), 1,
     "posts are limited to 5 MiB"),
]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("content,line,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_post_is_one_line_and_the_others_go_on(tmp_path: Path, cli: Cli,
                                                      content: str | bytes, line: int | None,
                                                      fragment: str) -> None:
    make_project(tmp_path, SCHEDULE, posts=2)
    path = tmp_path / "posts" / NAME
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    where = f"{NAME}:{line}:" if line else f"{NAME}:"

    check = cli(tmp_path, "check")
    assert_clean(check)
    assert check.code == 1, check.text
    reported = [l for l in check.out.splitlines() if NAME in l]
    assert len(reported) == 1 and where in reported[0], check.text
    assert fragment in check.out, check.text  # in the message or its hint
    assert "2 posts read" in check.out, check.text

    run = cli(tmp_path, "--now", NOW, "run", "--once")
    assert_clean(run)
    assert run.code == 0, run.text
    warnings = [l for l in run.err.splitlines() if NAME in l]
    assert len(warnings) == 1 and where in warnings[0], run.text
    sent = list((tmp_path / "outbox" / "social").iterdir())
    assert len(sent) == 1 and "post-000" in sent[0].name, sent
    assert "Hostile" not in sent[0].read_text(encoding="utf-8")


# -- valid posts with hostile text: shown literally, never read as terminal markup ------
LITERAL = [
    ("markup-heading", post(*OK, body=f"## Loss [/b] explained\n\n{BODY}\n"),
     "Loss [/b] explained"),
    ("markup-title", post('title: "[/red] [bold]Care[/bold]"', *OK[1:]),
     "[/red] [bold]Care[/bold]"),
    ("emoji-code", post('title: "Calm :smile: notes"', *OK[1:]), "Calm :smile: notes"),
    ("ansi-title", post('title: "\\e[31mRed\\e[0m care"', *OK[1:]), "\\x1b[31mRed\\x1b[0m care"),
    ("markup-teaser", post(*OK, body=f"## Part\n\n[red]Fear[/red] and [/] trust. {BODY}\n"),
     "[red]Fear[/red] and [/] trust."),
]


@pytest.mark.parametrize("content,shown", [c[1:] for c in LITERAL], ids=[c[0] for c in LITERAL])
def test_user_text_is_shown_literally(tmp_path: Path, cli: Cli, content: str, shown: str) -> None:
    make_project(tmp_path, SCHEDULE, posts=2)
    (tmp_path / "posts" / NAME).write_text(content, encoding="utf-8")
    check = cli(tmp_path, "check")
    assert_clean(check)
    assert check.code == 0, check.text
    split = cli(tmp_path, "split", "zz-hostile")
    assert_clean(split)
    assert split.code == 0, split.text
    assert shown in split.out.replace("\n", " ") or shown in split.out, split.out
    assert "\x1b" not in split.out


def test_javascript_links_never_reach_feeds(tmp_path: Path, cli: Cli) -> None:
    make_project(tmp_path, SCHEDULE, posts=2)
    body = f"## Part\n\nSee [this](javascript:alert(1)) and <script>alert(2)</script>. {BODY}\n"
    (tmp_path / "posts" / NAME).write_text(post(*OK, body=body), encoding="utf-8")
    build = cli(tmp_path, "build")
    assert_clean(build)
    assert build.code == 0, build.text
    import json

    import feedparser

    folder = tmp_path / "dist" / "feeds"
    html_parts = [item.get("content_html", "") for item in
                  json.loads((folder / "feed.json").read_text(encoding="utf-8"))["items"]]
    for name in ("atom.xml", "rss.xml"):
        for entry in feedparser.parse(str(folder / name)).entries:
            html_parts += [c.value for c in entry.get("content", [])]
    html = "".join(html_parts)
    assert "See " in html  # the hostile post is published, made safe
    assert "<script" not in html and 'href="javascript' not in html
