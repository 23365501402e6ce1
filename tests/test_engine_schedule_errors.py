"""Bad schedule.yaml files: one clear line with key path and line, non-zero exit, nothing sent."""

from __future__ import annotations

import pytest
from support import DAILY_OUTBOX, make_project, tp

GOOD = DAILY_OUTBOX

CASES = [
    # (schedule text, expected fragment, expected line)
    (GOOD.replace('cron: "0 9 * * *"', 'cron: "0 9 * * MONDAY"'), "timetable[0].cron: bad cron", 5),
    (GOOD.replace("America/Chicago", "America/Chicagoo"), "site.timezone: unknown timezone", 1),
    (GOOD.replace("channel: social,", "channel: socail,"), "timetable[0].channel: unknown channel 'socail'", 5),
    (GOOD.replace("{type: outbox}", "{type: mastodn}"), "channels.social.type: unknown channel type", 3),
    (GOOD.replace("{type: outbox}", "{type: outbox, excerpt_per_slot: 2}"), "channels.social.excerpt_per_slot: unknown key", 3),
    (GOOD.replace("{type: outbox}", "{type: outbox, excerpts_per_slot: two}"), "channels.social.excerpts_per_slot", 3),
    (GOOD + '  - {channel: social, weekly: ["MON 12:30"], name: social-1}\n', "timetable[1].name: duplicate", 6),
    (GOOD + "  - {channel: social}\n", "timetable[1]: give exactly one of `cron`, `weekly` or `at`", 6),
    (GOOD + "run: {grace: soon}\n", "run.grace", 6),
    (GOOD.replace("timetable:", "timetabel:"), "timetabel: unknown key", 4),
    (GOOD.replace("  social: {type: outbox}", "  social: {type: outbox\n"), "not valid YAML", None),
    (GOOD.replace("timetable:\n", "timetable:\n  - {channel: social, weekly: 'MON 25:61'}\n"), "timetable[0].weekly", 5),
]


@pytest.mark.parametrize("text,fragment,line", CASES)
def test_check_reports_key_path_and_line(tmp_path, text, fragment, line):
    make_project(tmp_path, text, posts=1)
    result = tp(tmp_path, "check")
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert fragment in out, out
    if line is not None:
        assert f"schedule.yaml:{line}:" in out, out
    assert "Traceback" not in out


def test_did_you_mean_for_unknown_keys_and_channels(tmp_path):
    make_project(tmp_path, GOOD.replace("timetable:", "timetabel:"), posts=1)
    assert "did you mean `timetable`?" in tp(tmp_path, "check").stdout
    make_project(tmp_path, GOOD.replace("channel: social,", "channel: socail,"), posts=1)
    assert "did you mean `social`?" in tp(tmp_path, "check").stdout


@pytest.mark.parametrize("text,fragment,line", CASES[:4])
def test_run_refuses_bad_schedule_and_sends_nothing(tmp_path, text, fragment, line):
    make_project(tmp_path, text, posts=2)
    result = tp(tmp_path, "--now", "2026-03-05T09:00", "run", "--once")
    assert result.returncode == 3, result.stderr  # configuration error
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "outbox").exists()
    assert not (tmp_path / "state").exists()


def test_good_schedule_passes_and_schema_command_writes_json(tmp_path):
    make_project(tmp_path, GOOD, posts=1)
    assert tp(tmp_path, "check").returncode == 0
    result = tp(tmp_path, "schema", "-o", "schema.json")
    assert result.returncode == 0
    import json

    schema = json.loads((tmp_path / "schema.json").read_text())
    entry = schema["$defs"]["timetable_entry"]
    assert {"cron", "weekly", "at"} <= set(entry["properties"])


def test_post_naming_an_unknown_channel_is_reported(tmp_path):
    make_project(tmp_path, GOOD, posts=1, extra={0: "channels: [socail]\n"})
    result = tp(tmp_path, "check")
    assert result.returncode == 1
    assert "post-000.md" in result.stdout and "'socail' is not a channel" in result.stdout
    assert "did you mean `social`?" in result.stdout
