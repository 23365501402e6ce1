"""``bounces fetch`` against a real IMAP server: Dovecot, started on a free loopback port
with a private configuration, holding the report samples of tests/data/bounces."""

from __future__ import annotations

import imaplib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_port, run_cli

DATA = Path(__file__).parent / "data" / "bounces"
USER, PASSWORD = "bounces@harborview-counseling.example", "mailbox-s3cret"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"the IMAP tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def dovecot() -> Iterator[int]:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        _unavailable("dovecot is not installed (Debian package dovecot-imapd)")
    if os.geteuid() != 0:
        _unavailable("the private Dovecot instance needs root to switch users")
    home = Path(tempfile.mkdtemp(prefix="tp-dovecot-"))
    home.chmod(0o755)  # the dovecot user reads its mail under here
    port = free_port()
    (home / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (home / "mail").mkdir()
    shutil.chown(home / "mail", "dovecot", "dovecot")
    config = home / "dovecot.conf"
    config.write_text(f"""protocols = imap
listen = 127.0.0.1
base_dir = {home}/run
state_dir = {home}/state
log_path = {home}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={home}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
    subprocess.run([binary, "-c", str(config)], check=True)
    try:
        for _ in range(50):
            try:
                imaplib.IMAP4("127.0.0.1", port).logout()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        subprocess.run([binary, "-c", str(config), "stop"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def _deliver(port: int, messages: list[bytes]) -> None:
    conn = imaplib.IMAP4("127.0.0.1", port)
    conn.login(USER, PASSWORD)
    for message in messages:
        conn.append("INBOX", None, None, message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    conn.logout()


def _unseen(port: int) -> int:
    conn = imaplib.IMAP4("127.0.0.1", port)
    conn.login(USER, PASSWORD)
    conn.select("INBOX", readonly=True)
    count = len((conn.search(None, "UNSEEN")[1][0] or b"").split())
    conn.logout()
    return count


@pytest.mark.slow
def test_fetch_reads_each_report_once_and_cleans_the_list(dovecot: int, project: Path) -> None:
    samples = sorted(DATA.glob("*.eml"))
    people = ["ana.gone@example.org", "ben.nobody@gmail.com", "cho.left@outlook.com",
              "dan.moved@example.net", "eve.closed@example.com", "fay.full@example.org",
              "gus.annoyed@yahoo.com", "hal.reported@hotmail.com", "stays@example.org"]
    (project / "subs.csv").write_text("email\n" + "\n".join(people) + "\n")
    assert run_cli("subscribers", "import", "subs.csv", cwd=project).code == 0
    schedule = project / "schedule.yaml"
    schedule.write_text(schedule.read_text() + f"\nbounces: {{imap: {{host: 127.0.0.1, "
                        f"port: {dovecot}, user: {USER}, security: plain}}}}\n")
    _deliver(dovecot, [p.read_bytes() for p in samples]
             + [b"From: ana@example.org\nSubject: thanks!\n\nLovely issue.\n"])
    env = {"TRUSTPUBLISH_BOUNCES_IMAP_PASSWORD": PASSWORD}
    first = run_cli("bounces", "fetch", cwd=project, env=env)
    assert first.code == 0, first.out + first.err
    assert "5 hard" in first.out and "2 complaint" in first.out and "1 soft" in first.out
    assert "1 not a report" in first.out and "7 suppressed" in first.out
    assert _unseen(dovecot) == 0
    active = run_cli("subscribers", "list", "--status", "active", cwd=project).out
    assert "stays@example.org" in active and "fay.full@example.org" in active
    for gone in people[:5] + people[6:8]:
        assert gone not in active
    again = run_cli("bounces", "fetch", cwd=project, env=env)
    assert again.code == 0 and "no messages" in again.out  # each message is read once
    assert PASSWORD not in first.out + first.err + again.out + again.err


@pytest.mark.slow
def test_a_wrong_password_or_a_dead_server_is_a_clear_error(dovecot: int, project: Path) -> None:
    schedule = project / "schedule.yaml"
    base = schedule.read_text()
    schedule.write_text(base + f"\nbounces: {{imap: {{host: 127.0.0.1, port: {dovecot}, "
                        f"user: {USER}, security: plain}}}}\n")
    wrong = run_cli("bounces", "fetch", cwd=project,
                    env={"TRUSTPUBLISH_BOUNCES_IMAP_PASSWORD": "not-it"})
    assert wrong.code == 5 and "refused the login" in wrong.err and "Traceback" not in wrong.err
    assert "not-it" not in wrong.out + wrong.err
    schedule.write_text(base + f"\nbounces: {{imap: {{host: 127.0.0.1, port: {free_port()}, "
                        f"user: {USER}, security: plain}}}}\n")
    dead = run_cli("bounces", "fetch", cwd=project,
                   env={"TRUSTPUBLISH_BOUNCES_IMAP_PASSWORD": PASSWORD})
    assert dead.code == 5 and "cannot reach the bounce mailbox" in dead.err
    unset = run_cli("bounces", "fetch", cwd=project)
    assert unset.code == 3 and "TRUSTPUBLISH_BOUNCES_IMAP_PASSWORD is not set" in unset.err
