"""The fast Markdown reading (markdown-it-pyrs) equals the markdown-it-py one, byte for byte.

:mod:`trustpublish.content.markup` parses with markdown-it-pyrs and
:mod:`trustpublish.content.markup_py` is the markdown-it-py reading it replaced. Both
must give the same blocks (kind, source, plain text, line, level) and the same HTML on
realistic posts and on random mixes of every construct we handle, including the
edge cases where the two ports differ (which the fast module hands to markdown-it-py).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from trustpublish.content import markup, markup_py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_posts import post_text  # noqa: E402

PIECES = [
    "# H1", "## Hé *x*", "###", "para with [link *em*](u) and `code` &copy; \\* x",
    "![alt *x*](i.png) ![](y)", "- a\n- b\n  - c\n- ", "1. a\n\n   more\n2. b",
    "> q *x*\n> - l\n>\n> ## h", "```py\ncode\n```", "    indented", "***",
    "| a | b |\n|---|---|\n| `c` | |\n| d |", "<div>raw</div>", "T\n===", "line  \nbreak\nsoft",
    "[r]: http://x", "- a\n\n  ```\n  c\n  ```\n- b\n  ## hh", "Ends with colon:",
    "* x\n* y\n\n\n* z", "  \t", "- ![im](a)\n- [l](b)", "1) x\n2) y", "a\n\n\n\nb",
    "> ```\n> q", "```\nunclosed", "- a\n  | t | u |\n  |---|---|\n  | 1 | 2 |",
    "Café ’x’ <b>x</b> <script>alert(1)</script>", " ", "\u00a0", "x\x0cy", "a\u2028b",
    "\t- x", "~~~\nfence", "[ref link][r] and <https://auto.example>", "Setext\n---",
    "- [ ] task\n- [x] done", "**bold _nested `code`_** end.", "1. one\n1. two\n\n   > q",
]


def _same(doc: str) -> None:
    assert markup.parse_blocks(doc, first_line=4) == markup_py.parse_blocks(doc, first_line=4)
    assert markup.to_html(doc) == markup_py.to_html(doc)


def test_generated_and_sample_posts_read_identically() -> None:
    docs = [post_text(i).split("\n---\n", 1)[1] for i in range(60)]
    docs += [p.read_text(encoding="utf-8").split("\n---\n", 1)[1]
             for p in (ROOT / "src/trustpublish/sample/posts").glob("*.md")]
    for doc in docs:
        assert not markup.needs_reference(doc)  # the fast path is the one measured
        _same(doc)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_random_mixes_read_identically(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(400):
        parts = [rng.choice(PIECES) for _ in range(rng.randint(1, 8))]
        _same(rng.choice(["\n\n", "\n"]).join(parts) + rng.choice(["", "\n", "\n\n"]))


def test_raw_html_is_escaped_on_the_fast_path() -> None:
    html = markup.to_html("<script>alert(1)</script>\n\nhi <b>x</b>\n")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_ascii_fast_path_finds_the_same_odd_spaces_as_the_class() -> None:
    from trustpublish.content.markup import _ODD_SPACE, needs_reference

    for code in range(0x3000):
        char = chr(code)
        for text in (f"a{char}b\n", f"{char}\n", f"para\n\n{char}x\n"):
            assert needs_reference(text) == bool(_ODD_SPACE.search(text)), repr(char)
