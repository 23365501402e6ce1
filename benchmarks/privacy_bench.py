"""`check` on 1,000 posts with and without the privacy guard (goal: at most 1.5x).

Generates a project of 1,000 approved posts, each the sample article's body (about
1,000 words of real clinic prose) plus three tricky but harmless passages from the
guard's corpus (crisis lines, researchers, statistics, the clinic's phone and
address), so the guard does all its work and must find nothing. Each measurement is
a fresh process doing what `trustpublish check` does — load the project, read every
post, run every check — once with the registered checks and once without
``check_privacy``. Runs alternate, three each; the median is printed.

Run: .venv/bin/python benchmarks/privacy_bench.py [--posts 1000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "src" / "trustpublish" / "sample"
NEGATIVES = ROOT / "tests" / "privacy_corpus" / "negatives.yaml"

CHILD = """
import sys, time
t0 = time.perf_counter()
from pathlib import Path
from trustpublish import checks
from trustpublish.workspace.project import Project
if sys.argv[2] == "without":
    checks.CHECKS[:] = [c for c in checks.CHECKS if c is not checks.check_privacy]
project = Project.load(Path(sys.argv[1]))
problems = checks.run_checks(project)
elapsed = time.perf_counter() - t0
print(elapsed, len(project.posts), len(problems))
"""


def make_project(root: Path, posts: int) -> None:
    schedule = (SAMPLE / "schedule.yaml").read_text(encoding="utf-8")
    # the corpus clinic's allow list, plus the two cited names the guard flags in the corpus
    schedule += ('\nprivacy: {allow: ["312-555-0101", "Kristin Neff", "Winston Churchill", '
                 '"Carl Rogers"]}\n')
    (root / "schedule.yaml").write_text(schedule, encoding="utf-8")
    (root / "templates").symlink_to(SAMPLE / "templates")
    sample = next((SAMPLE / "posts").glob("*.md")).read_text(encoding="utf-8")
    body = sample.split("\n---\n", 1)[1]
    passages = [p["text"] for p in yaml.safe_load(NEGATIVES.read_text(encoding="utf-8"))
                if "text" in p and "\n" not in p["text"]]
    folder = root / "posts"
    folder.mkdir()
    for i in range(posts):
        extra = "\n\n".join(passages[(i * 3 + k) % len(passages)] for k in range(3))
        (folder / f"post-{i:04d}.md").write_text(
            f"---\ntitle: Notes {i}\ndate: 2025-01-{i % 28 + 1:02d}T08:00\nslug: notes-{i:04d}\n"
            f"status: approved\ntags: [therapy, trust]\n---\n{body}\n\n## More\n\n{extra}\n",
            encoding="utf-8")


def measure(root: Path, mode: str) -> tuple[float, int, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(root / "schedule.yaml"), mode],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, args.posts)
        times: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.runs):
            for mode in ("without", "with"):
                elapsed, n, problems = measure(root, mode)
                times[mode].append(elapsed)
                if mode == "with" and problems:
                    sys.exit(f"the guard raised {problems} problems on harmless posts")
        without, with_guard = (statistics.median(times[m]) for m in ("without", "with"))
        print(f"check, {n} posts, without the privacy guard: {without:.2f} s")
        print(f"check, {n} posts, with the privacy guard:    {with_guard:.2f} s")
        print(f"ratio {with_guard / without:.2f} (goal <= 1.5)")
    if with_guard / without > 1.5:
        sys.exit(1)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
