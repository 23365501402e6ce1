"""Which Markdown parser? Speed and output identity against markdown-it-py (the one we use).

For each candidate this prints the time to parse 200 generated posts (about 2,000 words
each, see bench_posts.py) plus the sample post, and how many of them render to HTML
byte-identical to markdown-it-py's ``commonmark`` preset with tables and raw HTML off
(what :func:`trustpublish.content.markup.to_html` does; the goldens depend on it).
Candidates that are not installed are skipped (``make bench`` installs them into the
benchmark venv, never into trustpublish's dependencies).

Measured on this project's 2-core machine (about 2.9 MB in 201 documents)::

    markdown-it-py parse (tokens)              10.06 ms/post
    markdown-it-py render (html)                8.97 ms/post  identical html: 201/201
    markdown-it-pyrs tree (nodes+srcmap)        0.45 ms/post
    markdown-it-pyrs render (html)              0.64 ms/post  identical html: 201/201
    pyromark events (with ranges)               0.01 ms/post
    pyromark html                               0.12 ms/post  identical html: 83/201
    cmarkgfm gfm html                           0.50 ms/post  identical html: 201/201

Chosen: markdown-it-pyrs. It is the same markdown-it design (same rules, same HTML,
so the goldens stay byte-identical) and its tree gives each block's source offsets,
which the splitter needs. pyromark (pulldown-cmark) is faster still but renders 118
of the 201 documents differently; cmarkgfm renders the same HTML but its tree has no
plain-text reading we could keep identical as cheaply. Where the two markdown-it ports
differ (rare texts: see ``needs_reference`` in content/markup.py) markdown-it-py is used.
Run: .cache/bench-venv/bin/python benchmarks/parser_bench.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_posts import post_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def bodies() -> list[str]:
    texts = [post_text(i) for i in range(200)]
    texts.append((ROOT / "src/trustpublish/sample/posts").glob("*.md").__next__().read_text())
    texts += [p.read_text() for p in sorted((ROOT / "tests/data").rglob("*.md"))]
    return [t.split("\n---\n", 1)[1] if t.startswith("---\n") else t for t in texts]


def candidates() -> dict[str, Callable[[str], object]]:
    from markdown_it import MarkdownIt

    ref = MarkdownIt("commonmark", {"html": False}).enable("table")
    out: dict[str, Callable[[str], object]] = {
        "markdown-it-py parse (tokens)": ref.parse,
        "markdown-it-py render (html)": ref.render,
    }
    try:
        import markdown_it_pyrs

        rs = markdown_it_pyrs.MarkdownIt("commonmark").enable("table")
        out["markdown-it-pyrs tree (nodes+srcmap)"] = rs.tree
        out["markdown-it-pyrs render (html)"] = rs.render
    except ImportError:
        pass
    try:
        import pyromark

        opts = pyromark.Options.ENABLE_TABLES
        out["pyromark events (with ranges)"] = lambda t: pyromark.events_with_range(t, options=opts)
        out["pyromark html"] = lambda t: pyromark.html(t, options=opts)
    except ImportError:
        pass
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options

        out["cmarkgfm gfm html"] = lambda t: cmarkgfm.github_flavored_markdown_to_html(
            t, options=Options.CMARK_OPT_UNSAFE * 0)
    except ImportError:
        pass
    return out


def main() -> None:
    texts = bodies()
    from markdown_it import MarkdownIt

    ref = MarkdownIt("commonmark", {"html": False}).enable("table")
    want = [ref.render(t) for t in texts]
    print(f"{len(texts)} documents, {sum(map(len, texts)) / 1e6:.1f} MB")
    for name, fn in candidates().items():
        fn(texts[0])
        t0 = time.perf_counter()
        results = [fn(t) for t in texts]
        per = (time.perf_counter() - t0) / len(texts) * 1000
        same = ""
        if name.endswith("html)") or name.endswith("html"):
            n = sum(1 for got, exp in zip(results, want) if got == exp)
            same = f"  identical html: {n}/{len(texts)}"
        print(f"{name:40s} {per:7.2f} ms/post{same}")


if __name__ == "__main__":
    main()
