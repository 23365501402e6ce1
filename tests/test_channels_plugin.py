"""A channel plugin installed from its own package works like a built-in channel.

``tests/plugin_echo`` is a separate distribution that registers ``type: echo`` in the
``trustpublish.channels`` entry-point group (docs/channels.md). It is installed with
pip into a temporary folder, never into the test environment, and only processes
started with that folder on PYTHONPATH see it. Its rules differ from every built-in
(it counts UTF-8 bytes and upper-cases hashtags), so the assertions below can only
pass when ``check``, ``publish`` and the timetable take them from the plugin class.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import make_project, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.process]  # pip-installs the test plugin

PLUGIN_SOURCE = Path(__file__).parent / "plugin_echo"
EXCERPT = "post-000/first-part"
SLOT = "2026-03-02T09:00:00+00:00"

SCHEDULE = """\
site: {{title: Clinic, url: https://clinic.example, timezone: UTC}}
channels:
  echo: {{type: echo, url: "{url}"}}
  tiny: {{type: echo, url: "{url}", max_characters: 60}}
  later: {{type: echo, url: "{url}"}}
timetable:
  - channel: later
    at: "2026-03-02T09:00"
"""


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin installed (with its entry point metadata) into a temporary folder."""
    base = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(PLUGIN_SOURCE, base / "src")  # pip builds in the source tree
    target = base / "site-packages"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(target), str(source)],
                   check=True, capture_output=True, timeout=300)
    assert (target / "tp_echo.py").is_file()
    assert list(target.glob("tp_echo_channel-1.0.dist-info/entry_points.txt"))
    return target


@pytest.fixture
def project(tmp_path: Path, httpserver) -> Path:
    httpserver.expect_request("/echo", method="POST").respond_with_json(
        {"id": "e1", "url": "https://echo.example/e1"})
    make_project(tmp_path, SCHEDULE.format(url=httpserver.url_for("/echo")), posts=2,
                 extra={0: "tags: [Café Santé]\n"})
    return tmp_path


def with_plugin(plugin_path: Path, **env: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(plugin_path), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path, **env}


def posted(httpserver) -> list[tuple[dict, dict]]:
    return [(json.loads(request.data), dict(request.headers)) for request, _ in httpserver.log]


def test_without_the_plugin_the_type_is_unknown_and_the_known_types_are_listed(project):
    done = run_cli("check", cwd=project)
    report = done.out + done.err
    assert done.code != 0 and "Traceback" not in report
    assert "schedule.yaml:3: channels.echo.type: unknown channel type 'echo'" in report
    assert "known types: bluesky, discord, email, facebook, feed" in report


def test_a_remembered_schedule_whose_plugin_was_removed_names_the_line(project, plugin_path):
    built = run_cli("build", cwd=project, env=with_plugin(plugin_path))
    assert built.code == 0, built.err
    assert (project / "state" / "cache" / "config-ok.json").is_file()  # the text passed
    done = run_cli("build", cwd=project)  # the same text, the plugin gone
    assert done.code != 0 and "Traceback" not in done.out + done.err
    assert "schedule.yaml:3: channels.echo.type: unknown channel type 'echo'" in done.err


def test_check_counts_with_the_plugins_rule_and_reports_what_does_not_fit(project, plugin_path):
    done = run_cli("check", cwd=project, env=with_plugin(plugin_path))
    assert done.code != 0, done.out + done.err
    report = done.out + done.err
    assert "for channel tiny (limit 60)" in report and "bytes" in report
    assert "channel echo" not in report and "channel later" not in report
    shown = run_cli("--json", "--dry-run", "publish", EXCERPT, "--channel", "echo", cwd=project,
                    env=with_plugin(plugin_path))
    assert shown.code == 0, shown.err
    fitted = json.loads(shown.out)
    text = fitted["parts"][0]
    assert "#CAFÉSANTÉ" in text                                   # the plugin's text form
    assert fitted["counts"] == [len(text.encode("utf-8"))] != [len(text)]  # its counting rule
    assert fitted["limit"] == 400


def test_publish_sends_through_the_plugin_once(project, plugin_path, httpserver):
    env = with_plugin(plugin_path, TRUSTPUBLISH_ECHO_TOKEN="s3cret-token")
    done = run_cli("publish", EXCERPT, "--channel", "echo", cwd=project, env=env)
    assert done.code == 0, done.err
    assert "https://echo.example/e1" in done.out
    [(body, headers)] = posted(httpserver)
    assert body["channel"] == "echo" and body["item"] == EXCERPT
    assert "#CAFÉSANTÉ" in body["parts"][0]
    assert headers["Authorization"] == "Bearer s3cret-token" and headers["Idempotency-Key"]
    again = run_cli("publish", EXCERPT, "--channel", "echo", cwd=project, env=env)
    assert again.code != 0 and len(httpserver.log) == 1          # the ledger refuses a repeat


def test_the_timetable_delivers_to_the_plugin(project, plugin_path, httpserver):
    env = with_plugin(plugin_path, TRUSTPUBLISH_LATER_TOKEN="t0ken")
    done = run_cli("--now", "2026-03-02T09:01:00Z", "run", "--once", cwd=project, env=env)
    assert done.code == 0, done.out + done.err
    [(body, _)] = posted(httpserver)
    assert body["channel"] == "later" and body["item"] == EXCERPT
    history = run_cli("--json", "history", cwd=project, env=env)
    assert history.code == 0, history.err
    rows = json.loads(history.out)
    rows = rows.get("deliveries", rows) if isinstance(rows, dict) else rows
    assert [(r["channel"], r["state"]) for r in rows] == [("later", "sent")]
    rerun = run_cli("--now", "2026-03-02T09:02:00Z", "run", "--once", cwd=project, env=env)
    assert rerun.code == 0 and len(httpserver.log) == 1


def test_an_entry_point_that_is_not_a_channel_class_is_refused_with_file_and_line(
        tmp_path, plugin_path):
    make_project(tmp_path, SCHEDULE.format(url="http://127.0.0.1:9/echo").replace(
        "tiny: {type: echo", "tiny: {type: broken"), posts=1)
    done = run_cli("check", cwd=tmp_path, env=with_plugin(plugin_path))
    report = done.out + done.err
    assert done.code != 0 and "Traceback" not in report, report
    assert "schedule.yaml:4: channels.tiny.type: channel type 'broken' does not name a " \
           "Channel subclass" in report
    assert "tp_echo:NotAChannel" in report
