"""`trustpublish publish` on a fresh sample project with no credentials: outbox files.

Every command runs in-process (``support.tp``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from support import tp

from trustpublish.actions.check import run_checks
from trustpublish.deliver.ledger import delivery_key
from trustpublish.workspace.project import Project

EXCERPT = "the-importance-of-building-trust-in-therapy-relationships/impact-of-trust-on-client-openness"


def outbox_file(site: Path, channel: str) -> Path:
    """The outbox file of EXCERPT on ``channel``: named by its delivery (ledger) key."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", delivery_key(channel, EXCERPT))
    return site / "outbox" / channel / f"{safe}.json"


def test_publish_without_credentials_writes_outbox_requests(tmp_path):
    assert tp(tmp_path, "init", "site").returncode == 0
    site = tmp_path / "site"
    for channel in ("mastodon", "bluesky"):
        done = tp(site, "publish", EXCERPT, "--channel", channel)
        assert done.returncode == 0, done.stderr
        assert outbox_file(site, channel).as_uri() in done.stdout
    mastodon = json.loads(outbox_file(site, "mastodon").read_text())
    assert mastodon["url"] == "https://mastodon.social/api/v1/statuses"
    assert mastodon["headers"]["Authorization"] == "Bearer ***"
    assert "utm_source=mastodon" in mastodon["json"]["status"]
    bluesky = json.loads(outbox_file(site, "bluesky").read_text())
    assert bluesky["json"]["record"]["facets"][0]["features"][0]["uri"].startswith("https://")


def test_publish_to_an_email_channel_or_unknown_channel_is_a_one_line_error(tmp_path):
    tp(tmp_path, "init", "site")
    site = tmp_path / "site"
    done = tp(site, "publish", EXCERPT, "--channel", "newsletter")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "trustpublish run" in done.stderr
    done = tp(site, "publish", EXCERPT, "--channel", "nope")
    assert done.returncode == 3 and "the channels are: bluesky, mastodon, newsletter" in done.stderr


def test_check_reports_an_excerpt_that_cannot_fit(tmp_path):
    tp(tmp_path, "init", "site")
    site = tmp_path / "site"
    (site / "templates" / "social").mkdir(parents=True, exist_ok=True)
    (site / "templates" / "social" / "bluesky.txt.j2").write_text(
        "{{ text }} " + "padding " * 50 + "{{ link }}\n")
    problems = run_checks(Project.load(site / "schedule.yaml"))
    assert problems and all("channel bluesky (limit 300)" in p.message for p in problems)
    assert problems[0].file.endswith(".md")


def test_publish_goes_through_the_ledger_exactly_once(tmp_path):
    tp(tmp_path, "init", "site")
    site = tmp_path / "site"
    assert tp(site, "publish", EXCERPT, "--channel", "mastodon").returncode == 0
    again = tp(site, "publish", EXCERPT, "--channel", "mastodon")
    assert again.returncode == 6 and "already has a delivery to mastodon" in again.stderr
    assert "Traceback" not in again.stderr
    # the timetable does not send that excerpt to mastodon again
    plan = json.loads(tp(site, "--now", "2026-11-27T10:00", "plan", "--days", "120",
                          "--json").stdout)
    mastodon = [e for p in plan if p["channel"] == "mastodon" for e in p["excerpts"]]
    assert mastodon and EXCERPT not in mastodon
    history = json.loads(tp(site, "history", "--json").stdout)
    assert [(h["channel"], h["item"], h["state"]) for h in history] == [
        ("mastodon", EXCERPT, "sent")]
