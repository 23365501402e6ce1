"""One pass over the posts and one small content cache (state/cache/content.json.gz).

The reader is instrumented: every read of a post file's bytes goes through
``trustpublish.content.readers.read_raw``, which the tests wrap with a counter. The
builds run in this process (``Project`` + ``build_all``, as ``trustpublish build``
does) so the counter sees them; the first build of a project runs as a real CLI
process, so the cache is also shown to carry over between processes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import pickle
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import SAMPLE, run_cli
from trustpublish.actions.build import build_all
from trustpublish.content import readers
from trustpublish.workspace import index as index_module
from trustpublish.workspace import parse
from trustpublish.workspace.project import Project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from bench_posts import edit_post, write_posts  # noqa: E402

pytestmark = pytest.mark.slow  # builds generated projects of many posts

NOW = "2026-03-01T00:00"
NOW_DT = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.timezone.utc)  # 00:00 in America/Chicago
POSTS = 24


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Paths whose content was read (in this process), in order."""
    seen: list[Path] = []
    real = readers.read_raw

    def counting(path: Path) -> bytes:
        seen.append(Path(path))
        return real(path)

    monkeypatch.setattr(readers, "read_raw", counting)
    return seen


def _project(root: Path, limit: int = 5) -> Path:
    root.mkdir(parents=True)
    schedule = (SAMPLE / "schedule.yaml").read_text(encoding="utf-8")
    (root / "schedule.yaml").write_text(schedule + f"\nfeeds: {{limit: {limit}}}\n",
                                        encoding="utf-8")
    write_posts(root / "posts", POSTS)
    return root


def _build(root: Path) -> dict[str, list[Path]]:
    project = Project.load(root / "schedule.yaml")
    try:
        return build_all(project, NOW_DT)
    finally:
        project.close()


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _mtimes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def built(tmp_path: Path) -> Iterator[Path]:
    """A project built once by the real CLI (cold: no state/, no dist/)."""
    root = _project(tmp_path / "site")
    run = run_cli("--now", NOW, "build", cwd=root)
    assert run.code == 0, run.err
    yield root


def test_a_build_after_a_no_change_build_reads_no_post(built: Path, reads: list[Path]) -> None:
    before = _tree(built / "dist")
    _build(built)  # the no-change build
    assert reads == []
    _build(built)  # and the build after it
    assert reads == []
    assert _tree(built / "dist") == before  # same outputs, from the cache


def test_other_commands_in_between_keep_the_cache_warm(built: Path, reads: list[Path]) -> None:
    # (`check` is left out: it fits every approved excerpt to every social channel with the
    # current templates, so it reads the posts; the build after it still reads none)
    for command in (["plan", "--days", "14"], ["build", "--only", "feeds"]):
        assert run_cli("--now", NOW, *command, cwd=built).code in (0, 1)
    _build(built)
    assert reads == []


def test_a_cold_build_reads_each_post_once(tmp_path: Path, reads: list[Path]) -> None:
    root = _project(tmp_path / "site")
    written = _build(root)
    assert sorted(reads) == sorted((root / "posts").glob("*.md"))  # each once, no more
    assert written["feeds"] and written["email"] and written["preview"]


def test_editing_one_post_reads_that_post_and_rewrites_only_its_feed_pages(
        built: Path, reads: list[Path]) -> None:
    feeds = built / "dist" / "feeds"
    before = _mtimes(feeds)
    edit_post(built / "posts", 2, edit=1)  # an old post: in archive page 1 (posts 0-4)
    _build(built)
    # the documents rendered again (the archive page holding the edited post, and the
    # subscription documents) take the other posts' content from the JSON documents
    # written last time: only the edited post is read
    assert reads == [built / "posts" / "post-00002.md"]
    after = _mtimes(feeds)
    changed = sorted(name for name in after if after[name] != before.get(name))
    # feed.json has no feed-level date, so its bytes (and mtime) stay the same
    assert changed == ["archive/atom-1.xml", "archive/feed-1.json", "archive/rss-1.xml",
                       "atom.xml", "rss.xml"]
    assert "Edited 1 times." in (feeds / "archive" / "rss-1.xml").read_text(encoding="utf-8")


def test_the_build_lists_the_files_it_wrote_and_counts_the_rest(built: Path) -> None:
    listing = json.loads(run_cli("--json", "--now", NOW, "build", cwd=built).out)
    files = sum(len(paths) for paths in listing.values())
    same = run_cli("--now", NOW, "build", cwd=built)
    assert same.code == 0 and "wrote" not in same.out
    assert f"{files} files already up to date (-v lists them)" in same.out
    edit_post(built / "posts", 2, edit=1)
    edited = run_cli("--now", NOW, "build", cwd=built)
    wrote = sorted(line.split()[1] for line in edited.out.splitlines()
                   if line.startswith("wrote "))
    assert wrote == sorted(f"dist/feeds/{name}" for name in (
        "archive/atom-1.xml", "archive/feed-1.json", "archive/rss-1.xml", "atom.xml",
        "rss.xml"))
    assert f"{files - 5} files already up to date" in edited.out
    listed = run_cli("-v", "--now", NOW, "build", cwd=built)
    assert sum(line.startswith("up to date ") for line in listed.out.splitlines()) == files
    assert len(listing["feeds"]) > 5


def _fresh_copy(root: Path, to: Path) -> Path:
    """A copy of the project's inputs in a new folder: posts, schedule and the feed dates
    record (state, not cache: it dates the edited entry), no content cache, no dist/."""
    shutil.copytree(root / "posts", to / "posts")
    shutil.copy2(root / "schedule.yaml", to / "schedule.yaml")
    (to / "state").mkdir()
    shutil.copy2(root / "state" / "feeds-cache.json", to / "state" / "feeds-cache.json")
    return to


def _feeds_of_a_cold_build(root: Path, to: Path) -> dict[str, bytes]:
    fresh = _fresh_copy(root, to)
    _build(fresh)
    return _tree(fresh / "dist" / "feeds")


def test_an_edit_build_equals_a_cold_build_of_the_edited_posts(
        built: Path, tmp_path: Path, reads: list[Path]) -> None:
    edit_post(built / "posts", 21, edit=1)  # in the subscription documents
    _build(built)
    assert reads == [built / "posts" / "post-00021.md"]
    assert _tree(built / "dist" / "feeds") == _feeds_of_a_cold_build(built, tmp_path / "a")


@pytest.mark.parametrize("change", ["add", "add-page", "delete", "backdate"])
def test_entries_that_move_between_pages_are_taken_from_the_old_documents(
        built: Path, tmp_path: Path, reads: list[Path], change: str) -> None:
    posts = built / "posts"
    if change == "add":  # the subscription documents move by one entry
        write_posts(tmp_path / "new", POSTS + 1)
        shutil.copy2(tmp_path / "new" / f"post-{POSTS:05d}.md", posts)
        expected = [posts / f"post-{POSTS:05d}.md"]
    elif change == "add-page":  # 26 posts: a new archive page of the 5 before the newest
        write_posts(tmp_path / "new", POSTS + 2)
        for i in (POSTS, POSTS + 1):
            shutil.copy2(tmp_path / "new" / f"post-{i:05d}.md", posts)
        expected = [posts / f"post-{i:05d}.md" for i in (POSTS, POSTS + 1)]
    elif change == "delete":  # every archive page takes the oldest entry of the next one
        (posts / "post-00001.md").unlink()
        expected = []
    else:  # an old date for a new post: every archive page above it moves by one
        write_posts(tmp_path / "new", POSTS + 1)
        text = (tmp_path / "new" / f"post-{POSTS:05d}.md").read_text(encoding="utf-8")
        date = next(line for line in text.splitlines() if line.startswith("date:"))
        old = next(line for line in (posts / "post-00000.md").read_text(
            encoding="utf-8").splitlines() if line.startswith("date:"))
        (posts / "backdated.md").write_text(text.replace(date, old), encoding="utf-8")
        expected = [posts / "backdated.md"]
    _build(built)
    assert sorted(reads) == sorted(expected)
    assert _tree(built / "dist" / "feeds") == _feeds_of_a_cold_build(built, tmp_path / "cold")


def test_a_changed_old_document_costs_a_read_never_wrong_content(
        built: Path, tmp_path: Path, reads: list[Path]) -> None:
    page = built / "dist" / "feeds" / "archive" / "feed-1.json"
    doc = json.loads(page.read_text(encoding="utf-8"))
    doc["items"][1]["content_html"] = "<p>changed by hand</p>"  # post 3 (newest first)
    doc["items"][2]["summary"] = 7  # post 2: not even a string
    page.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (built / "dist" / "feeds" / "feed.json").write_text("not json", encoding="utf-8")
    edit_post(built / "posts", 0, edit=1)
    edit_post(built / "posts", 22, edit=1)
    _build(built)
    # the edited posts, the two whose old content is not the content index's, and the
    # posts of the subscription documents (feed.json cannot be read back)
    read_back = [0, 2, 3, *range(POSTS - 5, POSTS)]
    assert sorted(reads) == [built / "posts" / f"post-{i:05d}.md" for i in read_back]
    feeds = _tree(built / "dist" / "feeds")
    assert b"changed by hand" not in feeds["archive/feed-1.json"]
    assert feeds == _feeds_of_a_cold_build(built, tmp_path / "cold")


def test_outputs_from_the_cache_equal_outputs_from_a_fresh_read(built: Path) -> None:
    edit_post(built / "posts", 20, edit=3)
    _build(built)
    incremental = _tree(built / "dist")
    shutil.rmtree(built / "dist")
    shutil.rmtree(built / "state" / "cache")
    _build(built)
    assert _tree(built / "dist") == incremental


def test_the_cache_is_small_private_json(built: Path) -> None:
    path = built / "state" / "cache" / index_module.CACHE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(gzip.decompress(path.read_bytes()))
    assert set(data) == {"fingerprint", "id", "entries", "hot", "outputs"}
    assert len(data["entries"]) == POSTS
    posts_size = sum(p.stat().st_size for p in (built / "posts").glob("*.md"))
    assert path.stat().st_size < 0.10 * posts_size


class _Boom:
    """Unpickling this would create a marker file: the cache must never unpickle."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("kind", ["garbage", "truncated", "foreign-json", "other-settings",
                                  "pickle", "gzipped-pickle", "wrong-types"])
def test_a_corrupt_or_foreign_cache_is_ignored_and_rebuilt(built: Path, tmp_path: Path,
                                                           reads: list[Path], kind: str) -> None:
    path = built / "state" / "cache" / index_module.CACHE_NAME
    good = _tree(built / "dist")
    marker = tmp_path / "executed"
    payload = pickle.dumps(_Boom(str(marker)))
    data = json.loads(gzip.decompress(path.read_bytes()))
    content = {
        "garbage": os.urandom(2000),
        "truncated": path.read_bytes()[:100],
        "foreign-json": gzip.compress(b'["not", "our", "cache"]'),
        "other-settings": gzip.compress(json.dumps({**data, "fingerprint": "x"}).encode()),
        "pickle": payload,
        "gzipped-pickle": gzip.compress(payload),
        "wrong-types": gzip.compress(json.dumps({**data, "entries": [1, 2]}).encode()),
    }[kind]
    path.write_bytes(content)
    shutil.rmtree(built / "dist")
    _build(built)
    assert not marker.exists()
    assert len(reads) == POSTS  # everything read again
    assert _tree(built / "dist") == good
    rebuilt = json.loads(gzip.decompress(path.read_bytes()))  # and the cache is whole again
    assert len(rebuilt["entries"]) == POSTS


def test_parallel_parsing_gives_what_serial_parsing_gives(built: Path) -> None:
    project = Project.load(built / "schedule.yaml")
    settings = project.index.settings
    files = sorted((built / "posts").glob("*.md"))
    # every other file is split in the parse, the rest are left to split lazily
    todo: list[parse.Todo] = [(str(f), None, [1, 2], n % 2 == 0) for n, f in enumerate(files)]
    serial = {k: (e, parse.decode_full(b)) for k, e, b in parse.parse_many(todo, settings, 10**6)}
    if parse.workers() < 2:
        pytest.skip("one core: parse_many never starts workers")
    parallel = {k: (e, parse.decode_full(b)) for k, e, b in parse.parse_many(todo, settings, 1)}
    assert parallel == serial
    assert all(e["stamp"] == [1, 2] for e, _ in serial.values())
    assert sorted("ids" in e for e, _ in serial.values()) == sorted(t[3] for t in todo)


def _split(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Slugs of the posts split in this process, in order (the splitter wrapped)."""
    from trustpublish.content import split as split_module

    seen: list[str] = []
    real = split_module.split_post

    def counting(post, options):  # type: ignore[no-untyped-def]
        seen.append(post.slug)
        return real(post, options)

    monkeypatch.setattr(split_module, "split_post", counting)
    monkeypatch.setattr(parse, "split_post", counting)
    return seen


def test_a_build_splits_only_the_posts_its_plans_reach(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from trustpublish.actions.check import run_checks

    root = _project(tmp_path / "site")
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 10**6)  # parse here, where it is seen
    split = _split(monkeypatch)
    _build(root)
    # the plans of the coming weeks take the excerpts of the oldest posts only
    project = Project.load(root / "schedule.yaml")
    planned = {e.split("/", 1)[0] for key, value in project.index.outputs.items()
               if key.startswith("plan:") for row in value["plan"] for e in row[4]}
    assert planned and set(split) <= planned | {project.posts[0].slug}
    assert len(split) < POSTS / 4 and len(set(split)) == len(split)  # each at most once
    entries = project.index.entries
    assert sum("ids" in e for e in entries.values()) == len(split)
    # the feeds and previews built from the lazily split posts are a cold full build's
    lazy = _tree(root / "dist")
    eager = root.parent / "eager"
    shutil.copytree(root, eager, ignore=shutil.ignore_patterns("state", "dist"))
    project = Project.load(eager / "schedule.yaml")
    project.split_every_post()
    build_all(project, NOW_DT)
    project.close()
    assert _tree(eager / "dist") == lazy
    # `check` needs every excerpt: it splits every post in the parse (once each), and the
    # cache keeps their ids for the next command
    split.clear()
    problems = run_checks(Project.load(root / "schedule.yaml"))
    assert not [p for p in problems if p.file and p.file.endswith(".md")]
    assert sorted(split) == sorted(p.slug for p in Project.load(root / "schedule.yaml").posts)
    assert len(set(split)) == POSTS


def test_lazily_split_excerpts_equal_the_parse_split(built: Path) -> None:
    eager = Project.load(built / "schedule.yaml")
    eager.split_every_post()
    lazy = Project.load(built / "schedule.yaml")
    for post in lazy.posts:
        other = next(p for p in eager.posts if p.slug == post.slug)
        assert lazy.excerpts(post) == eager.excerpts(other)
        assert lazy.excerpt_ids(post) == [e.id for e in eager.excerpts(other)]
        assert lazy.excerpt_words(post) == [e.words for e in eager.excerpts(other)]


def _todo(root: Path) -> list[parse.Todo]:
    return [(str(f), None, None, False) for f in sorted((root / "posts").glob("*.md"))]


#: run in a fresh process (no other thread: the workers are forked, so they inherit the
#: fault): the workers fail on every file they take; the main process parses normally
_FAULTY_PARSE = """
import multiprocessing, os, signal, sys, time
from pathlib import Path
from trustpublish.workspace import parse
from trustpublish.workspace.project import Project

root, fault = Path(sys.argv[1]), sys.argv[2]
parent, real = os.getpid(), parse.parse_one
taken, calls = root / "a-worker-took-a-file", []

def failing(key, raw, settings, split=False):
    if os.getpid() != parent:
        taken.touch()
        if fault == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise ValueError("a bug in a worker")
    calls.append(key)
    deadline = time.monotonic() + 60
    while len(calls) > 1 and not taken.exists():  # the first is parsed before the fork
        assert time.monotonic() < deadline, "no worker took a file"
        time.sleep(0.01)  # however loaded the machine, a worker takes one first
    return real(key, raw, settings, split)

parse.parse_one = failing
settings = Project.load(root / "schedule.yaml").index.settings
todo = [(str(f), None, None, False) for f in sorted((root / "posts").glob("*.md"))]
try:
    list(parse.parse_many(todo, settings, 1))
    print("no error")
except RuntimeError as exc:
    print("error:", " | ".join(str(exc).splitlines()))
print("children left:", len(multiprocessing.active_children()))
"""


@pytest.mark.skipif(parse.workers() < 2, reason="one core: parse_many never starts workers")
@pytest.mark.parametrize("fault", ["bug", "killed"])
def test_a_parse_worker_that_fails_or_dies_is_an_error_not_a_hang_or_a_gap(
        built: Path, fault: str) -> None:
    import subprocess

    run = subprocess.run([sys.executable, "-c", _FAULTY_PARSE, str(built), fault],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert "error: a parse worker" in run.stdout, run.stdout
    if fault == "bug":
        assert "a bug in a worker" in run.stdout
    assert "children left: 0" in run.stdout


def test_check_keeps_the_excerpt_ids_it_split_for_the_next_command(built: Path) -> None:
    cache = built / "state" / "cache" / index_module.CACHE_NAME
    before = index_module.read_cache(cache)["entries"]
    assert not all("ids" in e for e in before.values())  # the build split only a few
    run = run_cli("--now", NOW, "check", cwd=built)
    assert run.code == 0, run.err
    after = index_module.read_cache(cache)["entries"]
    assert len(after) == POSTS and all("ids" in e and "words" in e for e in after.values())


def test_check_fits_only_the_posts_whose_inputs_changed(built: Path, reads: list[Path]) -> None:
    """The text-budget check keeps each post's result under its inputs: a second `check`
    reads no post; an edited post, or a changed template, is checked again."""
    assert run_cli("--now", NOW, "check", cwd=built).code == 0
    reads.clear()
    again = run_cli("--now", NOW, "check", cwd=built)
    assert again.code == 0 and reads == []
    edit_post(built / "posts", 3, edit=1)
    assert run_cli("--now", NOW, "check", cwd=built).code == 0
    assert reads == [built / "posts" / "post-00003.md"]
    reads.clear()
    # a Bluesky template no excerpt can fit (the fixed text alone is over 300 graphemes)
    template = built / "templates" / "social" / "bluesky.txt.j2"
    template.parent.mkdir(parents=True)
    template.write_text("x" * 400 + " {{ text }} {{ link }}\n", encoding="utf-8")
    over = run_cli("--now", NOW, "check", cwd=built)
    assert over.code == 1 and "for channel bluesky (limit 300) even after cutting" in over.out
    assert sorted(reads) == sorted((built / "posts").glob("*.md"))  # every post fitted anew
    assert over.out.count("Too long") == sum(
        len(e["ids"]) for e in index_module.read_cache(
            built / "state" / "cache" / index_module.CACHE_NAME)["entries"].values())
    template.unlink()
    assert run_cli("--now", NOW, "check", cwd=built).code == 0  # the inputs of the first run


def test_after_a_cold_build_no_post_content_stays_in_memory(tmp_path: Path) -> None:
    """The index keeps each parsed post's content in its temporary file, not in memory: the
    feed HTML is read back each time it is used, and only the few most recently used posts
    keep their decoded blocks."""
    project = Project.load(_project(tmp_path / "site") / "schedule.yaml")
    try:
        build_all(project, NOW_DT)
        index, spill = project.index, project.index._full
        recent = index._recent
        assert len(recent) <= index_module._RECENT < POSTS
        post = project.posts[0]
        reads = spill.reads
        first = index.feed_html(post)
        assert index.feed_html(post) == first and spill.reads == reads + 2  # never kept
        for each in project.posts:  # every post's blocks used once
            assert [block.text for block in each.body]
        assert len(recent) == index_module._RECENT
        decoded = [key for key, full in recent.items() if full.decoded]
        assert decoded == [str(p.source) for p in project.posts[-index_module._RECENT:]]
        reads = spill.reads
        last = project.posts[-1].body  # a loop over the blocks of a post in use: no read
        assert [last[i].text for i in range(len(last))] == [b.text for b in last]
        assert spill.reads == reads
    finally:
        project.close()


def test_the_cache_file_is_the_compact_json_of_the_cache(built: Path) -> None:
    """Written a member at a time, it holds exactly what one json.dumps would."""
    cache = built / "state" / "cache" / "content.json.gz"
    data = json.loads(gzip.decompress(cache.read_bytes()))
    assert set(data) >= {"fingerprint", "entries", "hot", "outputs"} and data["entries"]
    odd = {"fingerprint": "f",
           "entries": {"p\u00e9\"st.md": {"meta": {"t": "\u2028 <\\>", "n": [1.5, None, True]}}},
           "hot": {}, "outputs": {"x": {"key": "k", "files": [["a", 1, 2]]}}, "n": 3}
    assert gzip.decompress(index_module._gzip_json(odd)) == json.dumps(
        odd, separators=(",", ":")).encode()
    # more members than are encoded at once, and a last batch that is not full
    many = index_module._MEMBERS_AT_ONCE * 2 + 7
    big = {**data, "entries": {f"posts/{n}.md": {"n": n, "t": "é"} for n in range(many)}}
    assert gzip.decompress(index_module._gzip_json(big)) == json.dumps(
        big, separators=(",", ":")).encode()


def _changes(root: Path) -> dict[str, object] | None:
    path = root / "state" / "cache" / index_module.CHANGES_NAME
    return json.loads(gzip.decompress(path.read_bytes())) if path.exists() else None


def test_an_edit_writes_only_its_changes_beside_the_cache(built: Path, reads: list[Path]) -> None:
    cache = built / "state" / "cache" / index_module.CACHE_NAME
    whole = cache.read_bytes()
    base = json.loads(gzip.decompress(whole))
    assert _changes(built) is None  # a cold build writes the whole cache
    edited = built / "posts" / "post-00003.md"
    edit_post(built / "posts", 3, edit=1)
    _build(built)
    assert reads == [edited]
    assert cache.read_bytes() == whole  # not rewritten
    changes = _changes(built)
    assert changes is not None and changes["base"] == base["id"]
    assert list(changes["entries"]) == [str(edited)] and changes["removed"] == []
    assert changes["entries"][str(edited)]["sha"] != base["entries"][str(edited)]["sha"]
    assert stat.S_IMODE(cache.with_name(index_module.CHANGES_NAME).stat().st_mode) == 0o600
    # the next run sees the edited entry: it reads nothing, and the outputs stay the same
    reads.clear()
    outputs = _tree(built / "dist")
    _build(built)
    assert reads == [] and _tree(built / "dist") == outputs
    # a deleted post is a removed entry; the cache as the next run reads it has neither
    gone = built / "posts" / "post-00005.md"
    gone.unlink()
    _build(built)
    changes = _changes(built)
    assert changes is not None and changes["removed"] == [str(gone)]
    seen = index_module.read_cache(cache)
    assert str(gone) not in seen["entries"] and len(seen["entries"]) == POSTS - 1
    assert seen["entries"][str(edited)] == changes["entries"][str(edited)]
    assert cache.read_bytes() == whole


def test_past_the_limit_the_cache_is_written_whole_again(built: Path, reads: list[Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "CHANGES_AT_LEAST", 3)  # 24 posts: at most 3 changes
    cache = built / "state" / "cache" / index_module.CACHE_NAME
    first_id = json.loads(gzip.decompress(cache.read_bytes()))["id"]
    for n in (1, 2, 3):
        edit_post(built / "posts", n, edit=1)
        _build(built)
        changes = _changes(built)
        assert changes is not None and len(changes["entries"]) == n  # they add up
    edit_post(built / "posts", 4, edit=1)
    _build(built)
    assert _changes(built) is None  # folded into the cache file, which has a new id
    data = json.loads(gzip.decompress(cache.read_bytes()))
    assert data["id"] != first_id and len(data["entries"]) == POSTS
    reads.clear()
    _build(built)
    assert reads == []


def test_changes_left_beside_another_cache_are_ignored(built: Path, reads: list[Path]) -> None:
    """Changes name the cache file they apply to: beside a newer one (a crash between
    writing the cache and removing them), they are never applied."""
    good = _tree(built / "dist")
    cache = built / "state" / "cache" / index_module.CACHE_NAME
    base = json.loads(gzip.decompress(cache.read_bytes()))
    key = str(built / "posts" / "post-00003.md")
    wrong = {**base["entries"][key], "meta": {**base["entries"][key]["meta"], "title": "WRONG"}}
    stale = {"fingerprint": base["fingerprint"], "base": "another-cache", "removed": [],
             "entries": {key: wrong}, "hot": {}, "outputs": {}}
    cache.with_name(index_module.CHANGES_NAME).write_bytes(gzip.compress(
        json.dumps(stale).encode()))
    assert index_module.read_cache(cache)["entries"][key] == base["entries"][key]
    _build(built)  # were they applied, post 3's feed entries would get the title WRONG
    assert reads == []
    assert _tree(built / "dist") == good


@pytest.mark.parametrize("damage", ["garbage", "foreign-json", "odd-removed", "wrong-types"])
def test_a_damaged_changes_file_is_ignored(built: Path, reads: list[Path], damage: str) -> None:
    good = _tree(built / "dist")
    cache = built / "state" / "cache" / index_module.CACHE_NAME
    base = json.loads(gzip.decompress(cache.read_bytes()))
    mine = {"fingerprint": base["fingerprint"], "base": base["id"], "hot": base["hot"],
            "outputs": base["outputs"]}
    content = {
        "garbage": b"garbage",
        "foreign-json": gzip.compress(b'{"removed": [[1]]}'),
        # applied, but the odd keys are skipped
        "odd-removed": gzip.compress(json.dumps({**mine, "entries": {},
                                                 "removed": [[1], 2]}).encode()),
        "wrong-types": gzip.compress(json.dumps({**mine, "entries": [1],
                                                 "removed": []}).encode()),
    }[damage]
    cache.with_name(index_module.CHANGES_NAME).write_bytes(content)
    assert len(index_module.read_cache(cache)["entries"]) == POSTS
    _build(built)
    assert reads == [] and _tree(built / "dist") == good
