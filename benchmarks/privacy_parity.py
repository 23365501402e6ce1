"""The privacy guard finds exactly the same things after a speed change: record, then compare.

Records ``scan_post`` and ``blocking_findings`` of a fixed set of posts, each as the
list of findings *in the order returned* (kind, text, line, key, field, confidence),
and compares a later run with the recording: any difference (a finding more, less,
changed or moved) is printed and the exit code is 1.

The posts:

* every passage of the privacy corpus (``tests/privacy_corpus/``) read the way
  tests/test_privacy_corpus.py reads it, plus each passage's text lower-cased and
  upper-cased as a body, and put in each front-matter field (title, summary, tags,
  image_alt, author, slug, url, image);
* every string literal of tests/test_privacy*.py and tests/test_hostile_posts.py,
  as a body and in each front-matter field;
* the sample post, and every post of a benchmark project (default
  /tmp/b1000/trustpublish, the 1,000-post project of benchmarks/build_bench.py) read
  with that project's own rules.

Run: .venv/bin/python benchmarks/privacy_parity.py record /tmp/parity.json
     .venv/bin/python benchmarks/privacy_parity.py compare /tmp/parity.json
     .venv/bin/python benchmarks/privacy_parity.py speed   (warm ms/post, first call)
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
CORPUS = TESTS / "privacy_corpus"
SAMPLE = ROOT / "src" / "trustpublish" / "sample"
BENCH = Path("/tmp/b1000/trustpublish")
FIELDS = ("title", "summary", "tags", "image_alt", "author", "slug", "url", "image")


def _rules():
    from trustpublish.content.privacy import PrivacyRules

    corpus = PrivacyRules.for_site(
        "https://harborview-counseling.example/blog", allow=["312-555-0101", "Kristin Neff"],
        own=["Harborview Counseling, 1200 Lakeshore Ave, Suite 300, Chicago, IL 60601",
             "(312) 555-0100"])
    listed = PrivacyRules.for_site("https://harborview-counseling.example/blog",
                                   names=["Jane Roe", "Maria"])
    return corpus, listed


def _base():
    from trustpublish.content.model import Post

    return Post(source=Path("posts/corpus.md"), title="Notes from the clinic",
                date=dt.datetime(2025, 1, 7, 9, tzinfo=dt.UTC), slug="notes",
                url="https://harborview-counseling.example/blog/notes", body=())


def _placed(label: str, text: str, base) -> Iterator[tuple[str, object]]:
    """``text`` as a body, and in each front-matter field of ``base``."""
    from trustpublish.content.markup import parse_blocks

    yield f"{label}/body", dataclasses.replace(base, body=tuple(parse_blocks(text, first_line=10)))
    one_line = " ".join(text.split())
    for field in FIELDS:
        if field == "tags":
            value: object = tuple(t.strip() for t in one_line.split(",") if t.strip())
        else:
            value = one_line
        yield f"{label}/{field}", dataclasses.replace(base, **{field: value})


#: the test files whose string literals are inputs (a fixed list: a new test file must not
#: change what an old recording is compared with)
TEST_FILES = ("test_privacy.py", "test_privacy_corpus.py", "test_privacy_layers.py",
              "test_privacy_outputs.py", "test_hostile_posts.py")


def _test_strings() -> list[str]:
    found: list[str] = []
    for path in (TESTS / name for name in TEST_FILES):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and len(node.value.strip()) > 3 and node.value not in found):
                found.append(node.value)
    return found


def cases() -> Iterator[tuple[str, object, object]]:
    """(label, post, rules) of every post the parity check scans."""
    from trustpublish.content.markup import parse_blocks
    from trustpublish.content.readers import read_post
    from trustpublish.plan.config import load_config
    from trustpublish.plan.privacy_rules import rules_for

    corpus_rules, listed = _rules()
    base = _base()
    for name in ("positives.yaml", "negatives.yaml"):
        passages = yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))
        for i, passage in enumerate(passages):
            fields = dict(passage.get("fields") or {})
            if "tags" in fields:
                fields["tags"] = tuple(str(t) for t in fields["tags"])
            text = passage.get("text") or ""
            body = tuple(parse_blocks(text, first_line=10)) if text else ()
            label = f"{name}#{i}"
            yield label, dataclasses.replace(base, body=body, **fields), corpus_rules
            if not text:
                continue
            for variant, changed in (("lower", text.lower()), ("upper", text.upper())):
                post = dataclasses.replace(base, body=tuple(parse_blocks(changed, first_line=3)))
                yield f"{label}/{variant}", post, corpus_rules
            for where, post in _placed(label, text, base):
                yield where, post, listed
    for text in _test_strings():
        label = "test-string#" + hashlib.sha256(text.encode()).hexdigest()[:12]
        for where, post in _placed(label, text, base):
            yield where, post, listed
            yield where + "/corpus-rules", post, corpus_rules
    for path in sorted((SAMPLE / "posts").glob("*.md")):
        yield f"sample/{path.name}", read_post(path), listed
    if BENCH.is_dir():
        config = load_config(BENCH / "schedule.yaml")
        rules = rules_for(config)
        for path in sorted((BENCH / "posts").glob("*.md")):
            yield f"bench/{path.name}", read_post(path, config.defaults), rules


def _rows(findings) -> list[list[object]]:
    return [[f.kind, f.text, f.line, f.key, f.field, f.confidence] for f in findings]


def record() -> dict[str, object]:
    from trustpublish.content.privacy import blocking_findings, scan_post

    out: dict[str, object] = {}
    for label, post, rules in cases():
        out[label] = {"scan": _rows(scan_post(post, rules)),
                      "blocking": _rows(blocking_findings(post, rules))}
    return out


def speed() -> None:
    """Warm ms/post of blocking_findings over the benchmark posts; first call in a fresh
    process (import + first post) measured in a child process."""
    child = (
        "import time, sys\n"
        "from pathlib import Path\n"
        "from trustpublish.content.readers import read_post\n"
        "from trustpublish.plan.config import load_config\n"
        "from trustpublish.plan.privacy_rules import rules_for\n"
        f"config = load_config(Path({str(BENCH / 'schedule.yaml')!r}))\n"
        "rules = rules_for(config)\n"
        f"post = read_post(Path({str(BENCH / 'posts' / 'post-00000.md')!r}), config.defaults)\n"
        "t0 = time.perf_counter()\n"
        "from trustpublish.content.privacy import blocking_findings\n"
        "blocking_findings(post, rules)\n"
        "print(f'{(time.perf_counter() - t0) * 1000:.0f}')\n")
    firsts = [int(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(3)]
    print(f"first blocking_findings call in a fresh process (import + one post): "
          f"{sorted(firsts)[1]} ms (runs: {firsts})")
    from trustpublish.content.privacy import blocking_findings
    from trustpublish.content.readers import read_post
    from trustpublish.plan.config import load_config
    from trustpublish.plan.privacy_rules import rules_for

    config = load_config(BENCH / "schedule.yaml")
    rules = rules_for(config)
    posts = [read_post(p, config.defaults) for p in sorted((BENCH / "posts").glob("*.md"))]
    start = time.perf_counter()
    for post in posts[:200]:
        blocking_findings(post, rules)
    cold = time.perf_counter() - start
    cpu = time.process_time()
    start = time.perf_counter()
    for post in posts:
        blocking_findings(post, rules)
    warm = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(f"first 200 posts (with first-use loading): {cold / 200 * 1000:.2f} ms/post")
    print(f"warm, {len(posts)} posts: {warm / len(posts) * 1000:.2f} ms/post wall, "
          f"{cpu / len(posts) * 1000:.2f} ms/post CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("record", "compare", "speed"))
    parser.add_argument("file", nargs="?", type=Path)
    args = parser.parse_args()
    if args.mode == "speed":
        speed()
        return
    if args.file is None:
        sys.exit("give the recording's file")
    started = time.perf_counter()
    now = record()
    took = time.perf_counter() - started
    found = sum(len(v["scan"]) for v in now.values())  # type: ignore[index]
    if args.mode == "record":
        args.file.write_text(json.dumps(now, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"recorded {len(now)} posts, {found} findings in {took:.1f} s to {args.file}")
        return
    before = json.loads(args.file.read_text(encoding="utf-8"))
    differences = [label for label in sorted(set(before) | set(now))
                   if before.get(label) != now.get(label)]
    for label in differences[:20]:
        print(f"DIFFERENT {label}:\n  before {before.get(label)}\n  now    {now.get(label)}")
    print(f"compared {len(now)} posts, {found} findings in {took:.1f} s: "
          f"{len(differences)} different")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
