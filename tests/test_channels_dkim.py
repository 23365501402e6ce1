"""DKIM: digest messages are signed before they leave, and verify with dkimpy.

The public key is served to the verifier by a stub resolver returning exactly the TXT
record ``DkimSigner.dns_record()`` gives (what `trustpublish check` tells the user to
publish), so a wrong record would fail verification here too.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import dkim
import pytest
from support.smtp import PASSWORD, USER, Recorder, start_smtp
from support import SAMPLE

from trustpublish.channels.base import Delivery
from trustpublish.channels.dkim import DkimSigner, signer_for
from trustpublish.channels.registry import open_channel
from trustpublish.errors import ConfigError
from trustpublish.render.digest import Recipient, compose_issue, render_issue
from trustpublish.workspace.project import Project

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def key_pem(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("dkim") / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(path), "2048"], check=True,
                   capture_output=True)
    return path.read_bytes()


def resolver(signer: DkimSigner):
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        wanted = (signer.record_name + ".").encode()
        return signer.dns_record().encode() if name in (wanted, wanted[:-1]) else None

    return dnsfunc


def digest_message(email: str = "ana@example.org") -> bytes:
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="tp-dkim-"))
    for item in ("schedule.yaml", "posts", "templates"):
        source = SAMPLE / item
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / item)
    project = Project.load(folder / "schedule.yaml")  # a copy: nothing written to the package
    post = project.posts[0]
    options = project.config.channels["newsletter"]
    issue = compose_issue(project, "newsletter", options, project.excerpts(post)[:2], number=1,
                          now=NOW)
    rendered = render_issue(issue, project.templates_dir)
    return rendered.message_for(Recipient(email, "Ana", "https://clinic.example/u?t=abc"),
                                now=NOW)


@pytest.mark.slow
def test_a_signed_digest_verifies_and_a_changed_one_does_not(key_pem: bytes) -> None:
    signer = DkimSigner("tp2026", "harborview-counseling.example", key_pem)
    signed = signer.sign(digest_message())
    assert signed.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
    assert b"\n" not in signed.replace(b"\r\n", b"")  # CRLF line ends only
    assert dkim.verify(signed, dnsfunc=resolver(signer))
    head = signed.split(b"\r\n\r\n", 1)[0].lower()
    for header in (b"from", b"list-unsubscribe", b"list-unsubscribe-post", b"message-id"):
        assert header in head.split(b"h=", 1)[1].split(b";", 1)[0].replace(b"\r\n ", b"")
    tampered = signed.replace(b"https://clinic.example/u?t=abc", b"https://evil.example/u?t=abc")
    assert tampered != signed
    assert not dkim.verify(tampered, dnsfunc=resolver(signer))
    other = DkimSigner("tp2026", "harborview-counseling.example",
                       subprocess.run(["openssl", "genrsa", "2048"], check=True,
                                      capture_output=True).stdout)
    assert not dkim.verify(signed, dnsfunc=resolver(other))  # the record must match the key


def test_the_dns_record_is_the_public_key_openssl_derives(key_pem: bytes, tmp_path: Path) -> None:
    (tmp_path / "k.pem").write_bytes(key_pem)
    der = subprocess.run(["openssl", "rsa", "-in", str(tmp_path / "k.pem"), "-pubout",
                          "-outform", "DER"], check=True, capture_output=True).stdout
    import base64

    record = DkimSigner("s1", "clinic.example", key_pem).dns_record()
    assert record == f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


def test_the_smtp_adapter_signs_every_message_it_sends(key_pem: bytes, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    controller, port, cert = start_smtp(tmp_path, "starttls", recorder)
    try:
        monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_URL",
                           f"smtp+starttls://{USER.replace('@', '%40')}@127.0.0.1:{port}")
        monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_PASSWORD", PASSWORD)
        monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_CA_FILE", str(cert))
        (tmp_path / "keys").mkdir()
        (tmp_path / "keys" / "dkim.pem").write_bytes(key_pem)
        monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_DKIM_KEY", "keys/dkim.pem")  # a path
        config = {"type": "email", "from": "Clinic <news@harborview-counseling.example>",
                  "dkim": {"selector": "tp2026", "domain": "harborview-counseling.example"}}
        with open_channel("newsletter", config, root=tmp_path) as channel:
            for address in ("ana@example.org", "ben@example.org"):
                channel.publish(Delivery(id=address, channel="newsletter", item_id="i1",
                                         kind="email", message=digest_message(address),
                                         sender="news@harborview-counseling.example",
                                         recipient=address))
    finally:
        controller.stop()
    signer = signer_for("newsletter", config, tmp_path)
    assert signer is not None
    assert len(recorder.messages) == 2
    for _sender, _rcpt, data in recorder.messages:
        data = data if isinstance(data, bytes) else data.encode()
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        assert data.startswith(b"DKIM-Signature:")
        assert dkim.verify(data, dnsfunc=resolver(signer))


def test_configuration_mistakes_name_the_variable_and_never_show_the_key(
        key_pem: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"type": "email", "dkim": {"selector": "s1", "domain": "clinic.example"}}
    monkeypatch.delenv("TRUSTPUBLISH_NEWSLETTER_DKIM_KEY", raising=False)
    with pytest.raises(ConfigError, match="TRUSTPUBLISH_NEWSLETTER_DKIM_KEY is not set"):
        signer_for("newsletter", config, tmp_path)
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_DKIM_KEY", "-----BEGIN RSA PRIVATE KEY-----\nnope")
    with pytest.raises(ConfigError, match="does not hold a PEM RSA private key") as caught:
        signer_for("newsletter", config, tmp_path)
    assert "nope" not in str(caught.value)
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_DKIM_KEY", "missing.pem")
    with pytest.raises(ConfigError, match="cannot be read"):
        signer_for("newsletter", config, tmp_path)
    with pytest.raises(ConfigError, match="selector and a domain"):
        signer_for("newsletter", {"type": "email", "dkim": {"selector": "s1"}}, tmp_path)
    assert signer_for("newsletter", {"type": "email"}, tmp_path) is None
    assert "BEGIN" not in repr(DkimSigner("s1", "clinic.example", key_pem))


def test_check_prints_the_dns_record_to_publish_and_does_not_fail(key_pem: bytes,
                                                                   project: Path) -> None:
    from support import run_cli

    schedule = project / "schedule.yaml"
    text = schedule.read_text()
    assert "excerpts_per_issue: 2}" in text
    schedule.write_text(text.replace(
        "excerpts_per_issue: 2}",
        "excerpts_per_issue: 2, dkim: {selector: tp2026, domain: clinic.example}}", 1))
    (project / "dkim.pem").write_bytes(key_pem)
    env = {"TRUSTPUBLISH_NEWSLETTER_DKIM_KEY": "dkim.pem"}
    for args in (["check"], ["check", "--fatal"]):
        result = run_cli(*args, cwd=project, env=env)
        assert result.code == 0, result.out + result.err
        expected = DkimSigner("tp2026", "clinic.example", key_pem).dns_record()
        assert "tp2026._domainkey.clinic.example" in result.out
        assert expected in result.out.replace("\n", "")
    assert "PRIVATE KEY" not in result.out + result.err
