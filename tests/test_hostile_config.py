"""Hostile schedule.yaml files and environment values: one line naming the key, no traceback.

For each case the real CLI runs twice: ``check`` exits 1 with ``schedule.yaml:LINE:
key.path`` (or the variable's name), and ``run --once`` exits 3 with the same one-line
error, sends nothing and writes no outbox/. Environment values never appear in any
output (they are credentials).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_helpers import Cli, assert_clean
from support import DAILY_OUTBOX, make_project

HEAD = DAILY_OUTBOX
NOW = "2026-03-05T09:05"
LAUGHS = "\n".join(["l0: &l0 [x, x, x, x, x, x, x, x, x]"] + [
    f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]) + "\n"


def entry(text: str) -> str:
    """HEAD plus a second timetable entry on line 6."""
    return HEAD + f"  - {{channel: social, {text}}}\n"


# (case id, schedule.yaml text, expected line, key path or fragment that must be shown)
CASES: list[tuple[str, str, int | None, str]] = [
    ("at-feb-30-unquoted", entry("at: [2026-02-30]"), 6, "timetable[1].at[0]"),
    ("at-month-13", entry("at: [2026-13-01]"), 6, "timetable[1].at[0]"),
    ("at-scalar-feb-30", entry("at: 2026-02-30"), 6, "timetable[1].at"),
    ("at-datetime-feb-29", entry("at: [2026-02-29T09:00:00]"), 6, "timetable[1].at[0]"),
    ("at-word", entry('at: ["soon"]'), 6, "timetable[1].at[0]"),
    ("cron-minute-61", entry('cron: "61 * * * *"'), 6, "timetable[1].cron"),
    ("cron-three-fields", entry('cron: "* * *"'), 6, "timetable[1].cron"),
    ("cron-bad-day", entry('cron: "0 9 * * FUNDAY"'), 6, "timetable[1].cron"),
    ("weekly-bad-day", entry('weekly: ["XYZ 12:00"]'), 6, "timetable[1].weekly[0]"),
    ("weekly-hour-25", entry('weekly: ["MON 25:00"]'), 6, "timetable[1].weekly[0]"),
    ("unknown-channel", HEAD + '  - {channel: socail, cron: "0 9 * * *"}\n', 6,
     "did you mean `social`"),
    ("dist-up", HEAD + "paths: {dist: ../../x}\n", 6, "paths.dist"),
    ("outbox-absolute", HEAD + "paths: {outbox: /tmp/elsewhere}\n", 6, "paths.outbox"),
    ("posts-etc", HEAD + "paths: {posts: /etc}\n", 6, "paths.posts"),
    ("state-parent", HEAD + 'paths: {state: ".."}\n', 6, "paths.state"),
    ("templates-root", HEAD + 'paths: {templates: "."}\n', 6, "paths.templates"),
    ("dist-nul", HEAD + 'paths: {dist: "a\\0b"}\n', 6, "paths.dist"),
    ("dist-sneaky", HEAD + "paths: {dist: sub/../../x}\n", 6, "paths.dist"),
    ("state-url-word", HEAD + "state: {url: notaurl}\n", 6, "state.url"),
    ("state-url-no-driver", HEAD + 'state: {url: "postgresql+pg8000://u@h/db"}\n', 6,
     "pg8000"),
    ("state-url-unknown-db", HEAD + 'state: {url: "foo://x"}\n', 6, "unknown database type"),
    ("state-url-empty", HEAD + 'state: {url: ""}\n', 6, "state.url"),
    ("timezone", HEAD.replace("America/Chicago", "Mars/Olympus"), 1, "site.timezone"),
    ("site-url-missing", HEAD.replace(', url: "https://clinic.example/blog"', ""), 1, "site"),
    ("channel-type-typo", HEAD.replace("type: outbox", "type: mastadon"), 3,
     "did you mean `mastodon`"),
    ("duplicate-key", HEAD + "channels: {}\n", 6, "duplicate key"),
    ("tab-indent", HEAD + "run:\n\tgrace: 1h\n", 7, "not valid YAML"),
    ("python-tag", HEAD.replace("title: Clinic", "title: !!python/object/apply:os.system [true]"),
     1, "unsupported tag"),
    ("python-name", HEAD + "x: !!python/name:os.system\n", 6, "constructor"),
    ("alias-bomb", HEAD + LAUGHS, 6, "more than 200000 values"),
    ("alias-loop", HEAD + "x: &a [*a]\n", 1, "nested too deeply"),
    ("min-words-word", HEAD + "excerpts: {min_words: abc}\n", 6, "excerpts.min_words"),
    ("grace-forever", HEAD + "run: {grace: forever}\n", 6, "run.grace"),
    ("timetable-string", HEAD.split("timetable:")[0] + 'timetable: "daily"\n', 4, "timetable"),
    ("top-level-list", "- a\n- b\n", 1, "mapping"),
    ("unknown-top-key", HEAD + "timetabel: []\n", 6, "did you mean `timetable`"),
    ("not-utf8", None, None, "not UTF-8"),  # written as bytes below
    ("unclosed-quote", HEAD + 'run: {grace: "1h}\n', 6, "not valid YAML"),
]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


def _project(root: Path, text: str | None) -> None:
    make_project(root, HEAD, posts=2)
    if text is None:
        (root / "schedule.yaml").write_bytes(HEAD.encode().replace(b"Clinic", b"Cl\xefnic"))
    else:
        (root / "schedule.yaml").write_text(text, encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("text,line,shown", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_schedule_is_one_line_and_nothing_runs(tmp_path: Path, cli: Cli,
                                                      text: str | None, line: int | None,
                                                      shown: str) -> None:
    _project(tmp_path, text)
    where = f"schedule.yaml:{line}:" if line else "schedule.yaml:"
    check = cli(tmp_path, "check")
    assert_clean(check)
    assert check.code == 1, check.text
    assert where in check.out and shown in check.out, check.text

    run = cli(tmp_path, "--now", NOW, "run", "--once")
    assert_clean(run)
    assert run.code == 3, run.text
    first = run.err.splitlines()[0]
    assert first.startswith("Config error: ") and where in first, run.err
    assert shown in run.err, run.err
    assert not (tmp_path / "outbox").exists()


def test_cron_that_never_fires_is_a_warning(tmp_path: Path, cli: Cli) -> None:
    _project(tmp_path, entry('cron: "0 9 31 2 *"'))
    check = cli(tmp_path, "check")
    assert_clean(check)
    assert check.code == 0, check.text
    assert "schedule.yaml:6:" in check.out and "never fires" in check.out
    assert cli(tmp_path, "check", "--fatal").code == 1


# -- environment values -----------------------------------------------------------------
VARIABLES = ["MASTODON_TOKEN", "BLUESKY_APP_PASSWORD", "LINKEDIN_TOKEN", "FACEBOOK_PAGE_TOKEN",
             "TELEGRAM_BOT_TOKEN", "DISCORD_WEBHOOK_URL", "SLACK_WEBHOOK_URL",
             "SOCIAL_WEBHOOK_SECRET", "NEWSLETTER_SMTP_URL", "NEWSLETTER_SMTP_PASSWORD",
             "SECRET_KEY", "STATE_URL"]
BAD = {"cr": ("\r", "carriage return"), "lf": ("\n", "line break"),
       "esc": ("\x1b", "U+001B")}
ENV_CASES = [(f"{var}-{kind}", var, kind) for var in VARIABLES for kind in BAD] + [
    ("MASTODON_TOKEN-del", "MASTODON_TOKEN", "del"), ("SECRET_KEY-u2028", "SECRET_KEY", "ls"),
    ("SLACK_WEBHOOK_URL-tab", "SLACK_WEBHOOK_URL", "tab"),
    ("NEWSLETTER_SMTP_PASSWORD-bell", "NEWSLETTER_SMTP_PASSWORD", "bell")]
BAD.update({"del": ("\x7f", "U+007F"), "ls": ("\u2028", "U+2028"), "tab": ("\t", "U+0009"),
            "bell": ("\x07", "U+0007")})


@pytest.mark.parametrize("var,kind", [c[1:] for c in ENV_CASES], ids=[c[0] for c in ENV_CASES])
def test_control_characters_in_credentials_are_refused(tmp_path: Path, cli: Cli, var: str,
                                                       kind: str) -> None:
    _project(tmp_path, HEAD)
    char, described = BAD[kind]
    value = f"https://v4lue.example/MARKER-{kind}"[:8] + "visibleMARKER" + char
    name = f"TRUSTPUBLISH_{var}"
    env = {name: value}
    check = cli(tmp_path, "check", env=env)
    assert_clean(check)
    assert check.code == 1, check.text
    line = next(l for l in check.out.splitlines() if name in l)
    assert described in line and "not shown" in line, check.text
    run = cli(tmp_path, "--now", NOW, "run", "--once", env=env)
    assert_clean(run)
    assert run.code == 3, run.text
    assert run.err.startswith(f"Config error: {name}: "), run.err
    for result in (check, run):
        assert "visibleMARKER" not in result.text
    assert not (tmp_path / "outbox").exists()


def test_pem_keys_may_hold_line_breaks(tmp_path: Path, cli: Cli) -> None:
    """A DKIM key given as PEM text is multi-line by nature; only it may be."""
    _project(tmp_path, HEAD)
    pem = "-----BEGIN PRIVATE KEY-----\r\nMIIB\nxyz\n-----END PRIVATE KEY-----\n"
    ok = cli(tmp_path, "check", env={"TRUSTPUBLISH_NEWS_DKIM_KEY": pem})
    assert ok.code == 0 and "DKIM_KEY" not in ok.text, ok.text
    bad = cli(tmp_path, "check", env={"TRUSTPUBLISH_NEWS_DKIM_KEY": pem + "\x1b"})
    assert bad.code == 1 and "TRUSTPUBLISH_NEWS_DKIM_KEY" in bad.out
