"""A post the privacy guard blocks reaches no output: channels, digest, feeds, preview.

One end-to-end test per field, each leaking a different kind of detail. Every test
runs the real CLI on a copy of the sample project: ``run --once`` at a time when the
timetable sends (the leaky post is the oldest, so it would go first), then ``build``
(feeds, digest pages, preview site). Nothing under ``outbox/`` or ``dist/`` may hold
the post. Then staff approve the finding the guard reported and the same post does
reach the feeds, which shows the test can fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_cli

MARKER = "Quillfeather"  # a word only the leaky post contains
BODY = (f"## What helped\n\n{MARKER} is how we remember a long winter. "
        + "Small steps, kept week after week, slowly rebuilt trust and routine. " * 14 + "\n")

# field -> (front-matter lines or body addition, text that must not get out, kind)
CASES = {
    "title": ('title: "How my client Maria Okonkwo faced her relapse"', "Okonkwo", "name"),
    "summary": ("summary: Reach Dana at 312-555-0187 for her side of it.", "555-0187", "phone"),
    "tags": ('tags: [anxiety, "DOB 03/14/1987"]', "03/14/1987", "birthdate"),
    "author": ('author: "R. Diaz 123 45 6789"', "123 45 6789", "id-number"),
    "slug": ("slug: mrn-00123456-winter", "00123456", "record"),
    "url": ("url: https://harborview-counseling.example/blog/x?ref=dana.reyes@gmail.com",
            "dana.reyes", "email"),
    "image": ("image: https://cdn.clinic.example/images/admitted-2023-03-14.jpg\n"
              "image_alt: A snowy path", "2023-03-14",
              "date"),
    "image_alt": ('image_alt: "The front door of 4821 N. Winthrop Ave."', "Winthrop", "address"),
    "body": ("", "patient=Dana", "url"),
}


def _post(front: str, field: str) -> str:
    title = "" if field == "title" else 'title: "A winter of small steps"\n'
    extra = ("\nFill in https://forms.example.net/intake?patient=Dana+Reyes to join.\n"
             if field == "body" else "")
    return (f"---\n{title}{front}\ndate: 2020-02-01\nstatus: approved\n---\n\n{BODY}{extra}")


def _everything(project: Path) -> str:
    texts = []
    for folder in ("outbox", "dist"):
        for path in (project / folder).rglob("*"):
            if path.is_file():
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


@pytest.mark.slow
@pytest.mark.parametrize("field", list(CASES))
def test_a_blocked_post_reaches_no_output(project: Path, field: str):
    front, secret, kind = CASES[field]
    post = project / "posts" / "winter.md"
    post.write_text(_post(front, field), encoding="utf-8")

    report = run_cli("--json", "check", "--privacy-report", cwd=project)
    assert report.code == 1, report.err
    findings = json.loads(report.out)["findings"]
    mine = [f for f in findings if f["file"].endswith("winter.md") and f["blocking"]]
    assert any(f["kind"] == kind and f["field"] == field for f in mine), mine

    sent = run_cli("--now", "2026-12-01T09:05", "run", "--once", cwd=project)
    assert sent.code == 0, sent.err
    built = run_cli("--now", "2026-12-01T09:10", "build", cwd=project)
    assert built.code == 0, built.err
    out = _everything(project)
    assert "Harborview" in out and (project / "outbox").is_dir()  # other posts did go out
    assert MARKER not in out and secret not in out

    # approving exactly what the guard reported lets the same post through
    keys = sorted({f["key"] for f in mine})
    post.write_text(_post(front, field).replace(
        "status: approved", f"status: approved\nprivacy_ok: {json.dumps(keys)}"), encoding="utf-8")
    assert run_cli("check", cwd=project).code == 0
    assert run_cli("--now", "2026-12-01T09:10", "build", "--only", "feeds", cwd=project).code == 0
    assert MARKER in (project / "dist" / "feeds" / "atom.xml").read_text(encoding="utf-8")
