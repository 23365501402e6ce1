"""The content commands as a user runs them: check, split, init, import.

In-process (``run_cli``), except the install test: it needs an interpreter that sees
only the built wheel.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, SEED_TXT, run_cli
from test_readers import BAD_FILES

SLUG = "the-importance-of-building-trust-in-therapy-relationships"


def test_check_clean_project(project: Path):
    result = run_cli("check", cwd=project)
    assert result.code == 0, result.out + result.err
    assert "OK" in result.out


def test_check_reports_each_bad_post_in_one_line_and_keeps_reading(project: Path):
    for name, (data, _line) in BAD_FILES.items():
        (project / "posts" / name).write_bytes(data)
    result = run_cli("check", cwd=project)
    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    error_lines = [ln for ln in result.out.splitlines() if ln.startswith("Content error:")]
    assert len(error_lines) == len(BAD_FILES)
    for name, (_data, line) in BAD_FILES.items():
        expected = f"posts/{name}:{line}:" if line else f"posts/{name}:"
        assert any(expected in ln for ln in error_lines), (name, error_lines)
    # the good post is still read and split
    split = run_cli("split", SLUG, "--json", cwd=project)
    assert split.code == 0 and len(json.loads(split.out)) >= 8


def test_check_json_lists_problems(project: Path):
    (project / "posts" / "no-title.md").write_bytes(BAD_FILES["no-title.md"][0])
    result = run_cli("--json", "check", cwd=project)
    assert result.code == 1
    data = json.loads(result.out)
    assert data["ok"] is False
    [problem] = data["problems"]
    assert problem["file"].endswith("no-title.md") and problem["line"] == 1
    assert "title" in problem["message"]


def test_split_json_fields(project: Path):
    result = run_cli("--json", "split", f"posts/{SLUG}.md", cwd=project)
    assert result.code == 0, result.err
    excerpts = json.loads(result.out)
    assert len(excerpts) >= 8
    for key in ("id", "title", "position", "words", "text", "teaser", "url"):
        assert all(key in e for e in excerpts), key
    assert excerpts[0]["id"] == f"{SLUG}/introduction"
    assert excerpts[0]["url"].endswith(f"/{SLUG}#introduction")
    # the same via the trailing --json form
    assert json.loads(run_cli("split", SLUG, "--json", cwd=project).out) == excerpts


def test_split_table(project: Path):
    result = run_cli("split", SLUG, cwd=project)
    assert result.code == 0
    assert "introduction" in result.out and "words" in result.out
    assert "Impact of trust on client openness" in result.out


def test_split_unknown_post_is_a_clear_error(project: Path):
    result = run_cli("split", "no-such-post", cwd=project)
    assert result.code == 1
    assert result.err.startswith("Error: no post 'no-such-post'")
    assert "Traceback" not in result.err


def test_missing_config_is_a_clear_error(tmp_path: Path):
    result = run_cli("split", "x", cwd=tmp_path)
    assert result.code == 3
    assert "schedule.yaml: file not found" in result.err and "trustpublish init" in result.err


def test_import_plain_text_writes_a_markdown_post(project: Path):
    result = run_cli("import", str(SEED_TXT), "-o", "posts/imported.md", cwd=project)
    assert result.code == 0, result.err
    text = (project / "posts" / "imported.md").read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: The importance of building trust")
    assert "status: draft" in text
    assert re.search(r"^date: '?2025-01-21'?$", text, re.M)
    assert "## The Pillar of Confidentiality" in text
    assert "Recent articles" not in text
    check = run_cli("check", cwd=project)
    assert "imported.md" in check.out  # a second post with the same slug is reported
    # the imported file reads back with the same structure as the sample post
    from trustpublish.content.readers import read_post

    imported = read_post(project / "posts" / "imported.md")
    original = read_post(project / "posts" / f"{SLUG}.md")
    heads = lambda p: [(b.level, b.text) for b in p.body if b.kind == "heading"]  # noqa: E731
    assert heads(imported) == heads(original)


@pytest.mark.process
def test_init_from_a_non_editable_install(tmp_path: Path):
    """`init` works from the installed package alone (a wheel, not this checkout)."""
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir),
                    str(ROOT)], check=True, capture_output=True)
    [wheel] = list(wheel_dir.glob("trustpublish-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    env = {"PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import trustpublish; print(trustpublish.__file__)"],
                           env=env, capture_output=True, text=True, cwd=tmp_path)
    assert where.stdout.startswith(str(target)), where.stdout + where.stderr
    result = run_cli("init", "clinic", cwd=tmp_path, env=env, process=True)
    assert result.code == 0, result.err
    made = tmp_path / "clinic"
    assert (made / "schedule.yaml").is_file()
    assert (made / "posts" / f"{SLUG}.md").is_file()
    assert (made / "templates").is_dir()
    assert run_cli("check", cwd=made, env=env, process=True).code == 0
    again = run_cli("init", "clinic", cwd=tmp_path, env=env, process=True)
    assert again.code == 1 and "already exists" in again.err
