"""`trustpublish publish` on a fresh sample project with no credentials: outbox files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from trustpublish.channels.ids import delivery_id
from trustpublish.checks import run_checks
from trustpublish.project import Project

EXCERPT = "the-importance-of-building-trust-in-therapy-relationships/impact-of-trust-on-client-openness"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
    return subprocess.run([sys.executable, "-m", "trustpublish", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_publish_without_credentials_writes_outbox_requests(tmp_path):
    assert run(tmp_path, "init", "site").returncode == 0
    site = tmp_path / "site"
    for channel in ("mastodon", "bluesky"):
        done = run(site, "publish", EXCERPT, "--channel", channel)
        assert done.returncode == 0, done.stderr
        path = site / "outbox" / channel / f"{delivery_id(channel, EXCERPT)}.json"
        assert path.as_uri() in done.stdout
    mastodon = json.loads((site / "outbox" / "mastodon" /
                           f"{delivery_id('mastodon', EXCERPT)}.json").read_text())
    assert mastodon["url"] == "https://mastodon.social/api/v1/statuses"
    assert mastodon["headers"]["Authorization"] == "Bearer ***"
    assert "utm_source=mastodon" in mastodon["json"]["status"]
    bluesky = json.loads((site / "outbox" / "bluesky" /
                          f"{delivery_id('bluesky', EXCERPT)}.json").read_text())
    assert bluesky["json"]["record"]["facets"][0]["features"][0]["uri"].startswith("https://")


def test_publish_to_an_email_channel_or_unknown_channel_is_a_one_line_error(tmp_path):
    run(tmp_path, "init", "site")
    site = tmp_path / "site"
    done = run(site, "publish", EXCERPT, "--channel", "newsletter")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "trustpublish run" in done.stderr
    done = run(site, "publish", EXCERPT, "--channel", "nope")
    assert done.returncode == 3 and "the channels are: bluesky, mastodon, newsletter" in done.stderr


def test_check_reports_an_excerpt_that_cannot_fit(tmp_path):
    run(tmp_path, "init", "site")
    site = tmp_path / "site"
    (site / "templates" / "social").mkdir(parents=True, exist_ok=True)
    (site / "templates" / "social" / "bluesky.txt.j2").write_text(
        "{{ text }} " + "padding " * 50 + "{{ link }}\n")
    problems = run_checks(Project.load(site / "schedule.yaml"))
    assert problems and all("channel bluesky (limit 300)" in p.message for p in problems)
    assert problems[0].file.endswith(".md")
