"""`trustpublish build` beside Pelican and Hugo on the same posts (cold, one-post edit, no change).

For each size (100, 1,000 and, with ``--sizes 100,1000,10000``, 10,000 posts) this
generates the posts once (:mod:`bench_posts`: about 2,000 words, 8-12 sections, all
approved) and writes three copies that differ only in the front-matter syntax each
tool reads. Then, ``--runs`` times, in one run with the tools alternating, it times
whole processes, as a user runs them:

1. trustpublish cold: ``trustpublish --now NOW build`` (the installed command, as
   Pelican runs as ``pelican``) with no state/ and no dist/
   (the sample schedule.yaml: feeds with archive pages, the email preview, the
   preview site);
2. Pelican cold, feeds only: every post in full in one Atom and one RSS feed;
3. Hugo cold, feeds only: every post in full in one RSS feed;
4. trustpublish after editing one old post (one paragraph changed);
5. trustpublish again with nothing changed (same ``--now``: same inputs);
6. trustpublish with no post changed but on the real clock (no ``--now``): the pages
   dated with the build time (email preview, preview site) are rendered again.

It prints the medians of wall time and CPU time, peak memory (the sum of the
proportional set sizes of the process and its children, sampled every 10 ms in one
extra cold run of each tool: sampling slows a process, so timed runs are not sampled) and
the ratios against the goals: cold <= 1/3 of
Pelican; one-post edit <= 1/4 of Hugo's full build; no change <= 0.5 s; peak memory
<= Pelican's. Last, how cold time and memory grow with the number of posts, and the
size of trustpublish's content cache against the posts.

Peers (benchmark only, never dependencies of trustpublish; ``make bench`` installs them):

* Pelican from PyPI into ``.cache/bench-venv`` (``pip install "pelican[markdown]>=4.9,<5"``).
  Settings (written to ``pelicanconf.py`` by :data:`PELICAN_CONF`): ``FEED_ALL_ATOM`` and
  ``FEED_ALL_RSS`` on, ``FEED_MAX_ITEMS = None`` (all posts), ``RSS_FEED_SUMMARY_ONLY =
  False`` (full content), every other feed off, every page type off (``*_SAVE_AS = ""``,
  ``DIRECT_TEMPLATES = []``), no static files, no content cache. Run as
  ``pelican content -s pelicanconf.py -o output -q`` after deleting ``output/``.
* Hugo from Debian (``apt-get install hugo``). Settings in :data:`HUGO_CONF`: outputs
  ``home = ["RSS"]`` only (no page, section, taxonomy or sitemap output),
  ``services.rss.limit = -1`` (all posts) and an RSS template (:data:`HUGO_RSS`) with
  each post's full ``.Content``. Run as ``hugo --quiet`` after deleting ``public/``
  and ``resources/``.

Run: ``make bench`` or ``.venv/bin/python benchmarks/build_bench.py [--sizes 100,1000]
[--runs 3] [--large-runs 1]`` (``--large-runs``: runs for sizes of 10,000 posts and more,
where one run takes many minutes; the default is ``--runs``). Work files go to
``.cache/build-bench/`` (or ``--work``). To time one step by hand, run
``trustpublish --now 2026-03-01T00:00 build`` in ``.cache/build-bench/<size>/trustpublish``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_posts import edit_post, post_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "src" / "trustpublish" / "sample" / "schedule.yaml"
#: the ``trustpublish`` command installed beside this Python (as Pelican runs as its
#: ``pelican`` command); ``python -m trustpublish`` where there is none
_COMMAND = ([str(Path(sys.executable).with_name("trustpublish"))]
            if Path(sys.executable).with_name("trustpublish").is_file()
            else [sys.executable, "-m", "trustpublish"])
TRUSTPUBLISH = [*_COMMAND, "--now", "2026-03-01T00:00", "build"]
#: the same build on the real clock: the email and preview pages (dated now) are rendered again
TRUSTPUBLISH_CLOCK = [*_COMMAND, "build"]
PELICAN = ROOT / ".cache" / "bench-venv" / "bin" / "pelican"
PEERS = True  # time Pelican and Hugo too (--no-peers: trustpublish only)
EDITED = 10  # the post edited in the one-post-edit run (an old one: in an archive page)

PELICAN_CONF = '''\
AUTHOR = "Harborview Counseling Team"
SITENAME = "Harborview Counseling"
SITEURL = "https://harborview-counseling.example/blog"
TIMEZONE = "America/Chicago"
DEFAULT_LANG = "en"
PATH = "content"
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
FEED_MAX_ITEMS = None
RSS_FEED_SUMMARY_ONLY = False
CATEGORY_FEED_ATOM = CATEGORY_FEED_RSS = None
TRANSLATION_FEED_ATOM = TRANSLATION_FEED_RSS = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
TAG_FEED_ATOM = TAG_FEED_RSS = None
DIRECT_TEMPLATES = []
ARTICLE_SAVE_AS = ARTICLE_LANG_SAVE_AS = DRAFT_SAVE_AS = DRAFT_LANG_SAVE_AS = ""
PAGE_SAVE_AS = PAGE_LANG_SAVE_AS = DRAFT_PAGE_SAVE_AS = DRAFT_PAGE_LANG_SAVE_AS = ""
CATEGORY_SAVE_AS = TAG_SAVE_AS = AUTHOR_SAVE_AS = ""
ARCHIVES_SAVE_AS = AUTHORS_SAVE_AS = CATEGORIES_SAVE_AS = TAGS_SAVE_AS = INDEX_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = MONTH_ARCHIVE_SAVE_AS = DAY_ARCHIVE_SAVE_AS = ""
STATIC_PATHS = []
THEME_STATIC_PATHS = []
DEFAULT_PAGINATION = False
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
'''

HUGO_CONF = '''\
baseURL = "https://harborview-counseling.example/blog/"
languageCode = "en"
title = "Harborview Counseling"
disableKinds = ["taxonomy", "term", "sitemap", "robotsTXT", "404"]
[outputs]
  home = ["RSS"]
  section = []
  page = []
[services.rss]
  limit = -1
'''

HUGO_RSS = '''\
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\" standalone=\\"yes\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{{ .Site.Title }}</title>
    <link>{{ .Permalink }}</link>
    <description>Recent content on {{ .Site.Title }}</description>
    <language>{{ site.LanguageCode }}</language>
    {{- range .Site.RegularPages }}
    <item>
      <title>{{ .Title }}</title>
      <link>{{ .Permalink }}</link>
      <pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
      <guid>{{ .Permalink }}</guid>
      <description>{{ .Content | html }}</description>
    </item>
    {{- end }}
  </channel>
</rss>
'''


def _front(text: str) -> tuple[dict[str, str], str]:
    head, body = text[4:].split("\n---\n", 1)
    meta = dict(line.split(": ", 1) for line in head.splitlines())
    return meta, body


def generate(work: Path, n: int) -> int:
    """The three copies of ``n`` posts under ``work``; returns trustpublish's Markdown bytes."""
    if work.exists():
        shutil.rmtree(work)
    tp, pel, hugo = work / "trustpublish", work / "pelican", work / "hugo"
    for folder in (tp / "posts", pel / "content", hugo / "content" / "posts",
                   hugo / "layouts" / "_default"):
        folder.mkdir(parents=True)
    shutil.copy(SAMPLE, tp / "schedule.yaml")
    (pel / "pelicanconf.py").write_text(PELICAN_CONF, encoding="utf-8")
    (hugo / "hugo.toml").write_text(HUGO_CONF, encoding="utf-8")
    (hugo / "layouts" / "_default" / "rss.xml").write_text(HUGO_RSS, encoding="utf-8")
    total = 0
    for i in range(n):
        text = post_text(i)
        name = f"post-{i:05d}.md"
        data = text.encode()
        (tp / "posts" / name).write_bytes(data)
        total += len(data)
        meta, body = _front(text)
        tags = meta["tags"].strip("[]")
        (pel / "content" / name).write_text(
            f"Title: {meta['title']}\nDate: {meta['date']}\nSlug: {meta['slug']}\n"
            f"Summary: {meta['summary']}\nTags: {tags}\n\n{body}", encoding="utf-8")
        iso = meta["date"].replace(" ", "T") + ":00-06:00"
        (hugo / "content" / "posts" / name).write_text(
            f"---\ntitle: \"{meta['title']}\"\ndate: {iso}\nslug: {meta['slug']}\n"
            f"summary: \"{meta['summary']}\"\ntags: [{tags}]\n---\n{body}", encoding="utf-8")
    return total


def _tree_rss(pid: int) -> int:
    """Memory of ``pid`` and all its descendants: the sum of their proportional set
    sizes (PSS: a page shared by k processes counts 1/k in each, so forked workers
    are not counted twice for the pages they share with their parent)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as handle:
                    stack += [int(c) for c in handle.read().split()]
        except (OSError, ValueError):
            continue
    return total


CPU: dict[tuple[str, int], float] = {}  # (cwd, run) → CPU seconds of the last measure()


def measure(cmd: list[str], cwd: Path, memory: bool = False) -> tuple[float, int]:
    """(wall seconds, peak memory of the process tree or 0) of one run of ``cmd``.

    With ``memory``, the tree's memory is sampled every 10 ms; reading a process's
    memory map slows it down, so the times the benchmark reports come from runs without
    sampling, and each tool's peak memory from a separate run. The CPU seconds (user +
    system, the process and the children it waited for) go to ``CPU[str(cwd), 0]``: on
    a loaded machine they show the work apart from the waiting.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG if memory else 0)
        if pid:
            break
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed in {cwd} (exit {proc.returncode})")
    CPU[str(cwd), 0] = usage.ru_utime + usage.ru_stime
    return elapsed, peak


def clean(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def bench(work: Path, n: int, runs: int) -> dict[str, float]:
    size = generate(work, n)
    tp, pel, hugo = work / "trustpublish", work / "pelican", work / "hugo"
    times: dict[str, list[float]] = {k: [] for k in ("cold", "pelican", "hugo", "edit", "same",
                                                     "clock")}
    cpu: dict[str, list[float]] = {k: [] for k in times}
    mem: dict[str, list[int]] = {k: [] for k in ("cold", "pelican", "hugo")}
    pelican = [str(PELICAN), "content", "-s", "pelicanconf.py", "-o", "output", "-q"]

    tools = [("cold", TRUSTPUBLISH, tp, (tp / "state", tp / "dist"))]
    if PEERS:
        tools += [("pelican", pelican, pel, (pel / "output", pel / "cache", pel / "__pycache__")),
                  ("hugo", ["hugo", "--quiet"], hugo, (hugo / "public", hugo / "resources"))]

    def cold_runs(memory: bool) -> None:
        """Each tool once, cold, one after the other: timed, or with memory sampled."""
        for key, cmd, cwd, outputs in tools:
            clean(*outputs)
            t, m = measure(cmd, cwd, memory)
            if memory:
                mem[key].append(m)
            else:
                times[key].append(t)
                cpu[key].append(CPU[str(cwd), 0])

    cold_runs(memory=True)  # the peak memory of each tool, from runs of their own
    for run in range(runs):
        cold_runs(memory=False)
        edit_post(tp / "posts", EDITED, edit=run + 1)
        times["edit"].append(measure(TRUSTPUBLISH, tp)[0])
        cpu["edit"].append(CPU[str(tp), 0])
        times["same"].append(measure(TRUSTPUBLISH, tp)[0])
        cpu["same"].append(CPU[str(tp), 0])
        times["clock"].append(measure(TRUSTPUBLISH_CLOCK, tp)[0])
        cpu["clock"].append(CPU[str(tp), 0])
    nan = float("nan")
    med = {k: statistics.median(v) if v else nan for k, v in times.items()}
    mcpu = {k: statistics.median(v) if v else nan for k, v in cpu.items()}
    peak = {k: statistics.median(v) if v else nan for k, v in mem.items()}
    cache = tp / "state" / "cache" / "content.json.gz"
    # the cache file and the changes an edit wrote beside it (content-changes.json.gz)
    cache_size = sum(p.stat().st_size for p in cache.parent.glob("content*.json.gz"))
    entries = len(json.loads(gzip.decompress(cache.read_bytes()))["entries"])
    assert entries == n, f"the cache holds {entries} posts, not {n}"
    assert "Edited" in (tp / "dist" / "feeds" / "archive" / "rss-1.xml").read_text()  # edit shown
    mb = 1024 * 1024
    print(f"\n== {n} posts ({size / mb:.1f} MB of Markdown), medians of {runs} run(s), "
          "tools alternating")
    print("                                      wall        CPU   peak memory")
    for key, label in (("cold", "trustpublish cold build"),
                       ("pelican", "Pelican, feeds only, cold"),
                       ("hugo", "Hugo, feeds only, cold"),
                       ("edit", "trustpublish after one-post edit"),
                       ("same", "trustpublish with nothing changed"),
                       ("clock", "  the same on the real clock")):
        memory = f"{peak[key] / mb:8.0f} MB" if key in peak else ""
        print(f"{label:34s} {med[key]:7.2f} s  {mcpu[key]:7.2f} s {memory}")

    def verdict(ok: bool) -> str:
        return "meets the goal" if ok else "MISSES the goal"

    if not PEERS:
        print(f"no change                          {med['same']:7.2f} s   goal <= 0.5 s")
        print(f"content cache                      {cache_size / 1024:7.0f} KB  = "
              f"{100 * cache_size / size:.1f}% of the posts (goal < 10%)")
        return {"n": n, "cold": med["cold"], "mem": peak["cold"], "pelican": nan,
                "cpu": mcpu["cold"]}
    r_cold = med["cold"] / med["pelican"]
    r_edit = med["edit"] / med["hugo"]
    r_mem = peak["cold"] / peak["pelican"]
    print(f"cold / Pelican                     {r_cold:7.2f}     goal <= 0.33   "
          f"{verdict(r_cold <= 1 / 3)}"
          f"  (CPU: {mcpu['cold'] / mcpu['pelican']:.2f})")
    print(f"one-post edit / Hugo full build    {r_edit:7.2f}     goal <= 0.25   "
          f"{verdict(r_edit <= 0.25)}"
          f"  (CPU: {mcpu['edit'] / mcpu['hugo']:.2f})")
    print(f"no change                          {med['same']:7.2f} s   goal <= 0.5 s  "
          f"{verdict(med['same'] <= 0.5)}")
    print(f"peak memory / Pelican's            {r_mem:7.2f}     goal <= 1      "
          f"{verdict(r_mem <= 1)}")
    print(f"content cache                      {cache_size / 1024:7.0f} KB  = "
          f"{100 * cache_size / size:.1f}% of the posts (goal < 10%)")
    return {"n": n, "cold": med["cold"], "mem": peak["cold"], "pelican": med["pelican"],
            "cpu": mcpu["cold"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="post counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (medians)")
    parser.add_argument("--large-runs", type=int, default=None,
                        help="runs for sizes of 10,000 posts or more (default: --runs)")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "build-bench")
    parser.add_argument("--no-peers", action="store_true",
                        help="time trustpublish only (for the growth at large sizes)")
    args = parser.parse_args()
    missing = [name for name, ok in (("Pelican (.cache/bench-venv)", PELICAN.exists()),
                                     ("Hugo", shutil.which("hugo") is not None)) if not ok]
    if args.no_peers:
        global PEERS
        PEERS = False
    elif missing:
        raise SystemExit(f"missing peers: {', '.join(missing)}; `make bench` installs them")
    # An installed package comes with its bytecode compiled (pip does it); a checkout gets it
    # on its first run, unless PYTHONDONTWRITEBYTECODE is set. Compile it here, so every run
    # of every tool starts from bytecode as a user's does (Pelican's came with its install).
    import compileall

    compileall.compile_dir(ROOT / "src" / "trustpublish", quiet=1)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    large = args.runs if args.large_runs is None else args.large_runs
    results = [bench(args.work / str(n), int(n), large if n >= 10_000 else args.runs)
               for n in map(int, args.sizes.split(","))]
    if len(results) > 1:
        print("\n== growth of the cold build (linear would be the same per post)")
        for r in results:
            print(f"{r['n']:6d} posts: {r['cold']:7.2f} s = "
                  f"{1000 * r['cold'] / r['n']:6.1f} ms/post"
                  f" (CPU {1000 * r['cpu'] / r['n']:5.1f} ms/post)"
                  f"   peak {r['mem'] / 2**20:6.0f} MB"
                  f"   (Pelican {1000 * r['pelican'] / r['n']:6.1f} ms/post)")
        for a, b in zip(results, results[1:]):
            k = b["n"] / a["n"]
            grow = [b["cold"] / a["cold"], b["cpu"] / a["cpu"], b["mem"] / a["mem"]]
            linear = all(g <= k * 1.1 for g in grow)
            shape = "no faster than linear" if linear else "FASTER THAN LINEAR"
            print(f"{a['n']} -> {b['n']} posts (x{k:.0f}): wall x{grow[0]:.2f}, "
                  f"CPU x{grow[1]:.2f}, memory x{grow[2]:.2f}  ({shape})")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (2 cores shared: absolute times "
          "vary; the ratios pair each tool with the others in the same run)")


if __name__ == "__main__":
    main()
