"""The email adapter against a real aiosmtpd server on 127.0.0.1 (STARTTLS, TLS, AUTH)."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest
from support import free_port
from support.smtp import PASSWORD, Recorder, USER, start_smtp

from trustpublish.channels.base import Delivery
from trustpublish.channels.ids import delivery_id
from trustpublish.channels.outbox import OutboxChannel
from trustpublish.channels.registry import open_channel
from trustpublish.channels.smtp import SmtpChannel
from trustpublish.errors import (
    ConfigError,
    CredentialsError,
    OutcomeUnknown,
    PermanentFailure,
    RetryableFailure,
)

SENDER = "news@clinic.example"


def message(to: str, n: int = 1) -> Delivery:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"Clinic <{SENDER}>", to, f"Digest {n}"
    msg["Message-ID"] = f"<issue-{n}.{to.split('@')[0]}@clinic.example>"
    msg.set_content(f"Hello number {n}\n")
    return Delivery(id=delivery_id("newsletter", f"issue-{n}", to), channel="newsletter",
                    item_id=f"issue-{n}", kind="email", message=msg.as_bytes(),
                    sender=SENDER, recipient=to)


@pytest.fixture
def server(tmp_path, monkeypatch, request):
    security = getattr(request, "param", "starttls")
    recorder = Recorder()
    controller, port, cert = start_smtp(tmp_path, security, recorder)
    scheme = {"starttls": "smtp+starttls", "tls": "smtps", "plain": "smtp"}[security]
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_URL",
                       f"{scheme}://{USER.replace('@', '%40')}@127.0.0.1:{port}")
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_CA_FILE", str(cert))
    yield recorder
    controller.stop()


CONFIG = {"type": "email", "from": f"Clinic <{SENDER}>", "timeout": 5}


@pytest.mark.parametrize("server", ["starttls", "tls"], indirect=True)
def test_sends_over_tls_with_auth_and_reuses_one_connection(server, tmp_path):
    channel = open_channel("newsletter", CONFIG, root=tmp_path)
    assert isinstance(channel, SmtpChannel)
    with channel:
        results = [channel.publish(message(f"reader{i}@example.net", i)) for i in range(3)]
    assert [r.remote_id for r in results] == [
        f"<issue-{i}.reader{i}@clinic.example>" for i in range(3)]
    assert results[0].detail["reply"].startswith("250")
    assert channel.connections_opened == 1
    assert len(server.peers) == 1
    assert len(server.auth_tls) == 1  # one login for three messages
    assert [(m[0], m[1]) for m in server.messages] == [
        (SENDER, [f"reader{i}@example.net"]) for i in range(3)]
    assert b"Subject: Digest 2" in server.messages[2][2]


def test_wrong_password_is_a_credentials_error_without_the_password(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_PASSWORD", "wrong-password-123")
    with open_channel("newsletter", CONFIG, root=tmp_path) as channel:
        with pytest.raises(CredentialsError) as info:
            channel.publish(message("a@example.net"))
    assert "wrong-password-123" not in str(info.value)
    assert "535" in str(info.value)
    assert server.messages == []


def test_4xx_recipient_is_retryable_and_5xx_is_permanent_and_the_connection_survives(
        server, tmp_path):
    server.rcpt_replies = {"busy@example.net": "450 4.2.1 Mailbox busy, try later",
                           "gone@example.net": "550 5.1.1 No such user"}
    with open_channel("newsletter", CONFIG, root=tmp_path) as channel:
        with pytest.raises(RetryableFailure, match="450 4.2.1 Mailbox busy"):
            channel.publish(message("busy@example.net"))
        with pytest.raises(PermanentFailure, match="550 5.1.1 No such user.*gone@example.net"):
            channel.publish(message("gone@example.net"))
        channel.publish(message("fine@example.net"))
        assert channel.connections_opened == 1
    assert [m[1] for m in server.messages] == [["fine@example.net"]]


def test_connection_dropped_after_data_is_outcome_unknown_then_reconnects(server, tmp_path):
    server.drop_on_data = {"lost@example.net"}
    with open_channel("newsletter", CONFIG, root=tmp_path) as channel:
        with pytest.raises(OutcomeUnknown, match="may have accepted"):
            channel.publish(message("lost@example.net"))
        channel.publish(message("next@example.net"))
        assert channel.connections_opened == 2
    assert [m[1] for m in server.messages] == [["next@example.net"]]


def test_data_refused_with_5xx_is_permanent(server, tmp_path):
    server.data_reply = "554 5.7.1 Message rejected as spam"
    with open_channel("newsletter", CONFIG, root=tmp_path) as channel:
        with pytest.raises(PermanentFailure, match="554 5.7.1 Message rejected as spam"):
            channel.publish(message("a@example.net"))


def test_send_rate_spaces_messages(server, tmp_path):
    with open_channel("newsletter", {**CONFIG, "send_rate": 20}, root=tmp_path) as channel:
        started = time.monotonic()
        for i in range(5):
            channel.publish(message(f"r{i}@example.net", i))
        elapsed = time.monotonic() - started
    assert elapsed >= 4 / 20 - 0.01  # four gaps of 1/20 s
    assert len(server.messages) == 5


def test_nothing_listening_is_retryable(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    with open_channel("newsletter", CONFIG, root=tmp_path) as channel:
        with pytest.raises(RetryableFailure, match="could not connect"):
            channel.publish(message("a@example.net"))


@pytest.mark.parametrize("url, fragment", [
    ("smtp://mail.example.com:25", "only allowed for this machine"),
    ("smtp+starttls://u:pw@mail.example.com", "must not contain the password"),
    ("ftp://mail.example.com", "must look like"),
])
def test_bad_smtp_urls_are_config_errors(url, fragment, tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_URL", url)
    monkeypatch.setenv("TRUSTPUBLISH_NEWSLETTER_SMTP_PASSWORD", "pw")
    with pytest.raises(ConfigError, match=fragment) as info:
        open_channel("newsletter", CONFIG, root=tmp_path)
    assert ":pw@" not in str(info.value)


def test_no_credentials_writes_the_eml_to_the_outbox(tmp_path, monkeypatch):
    monkeypatch.delenv("TRUSTPUBLISH_NEWSLETTER_SMTP_URL", raising=False)
    channel = open_channel("newsletter", CONFIG, root=tmp_path)
    assert isinstance(channel, OutboxChannel)
    delivery = message("a@example.net")
    channel.publish(delivery)
    channel.publish(delivery)
    files = list((tmp_path / "outbox" / "newsletter").iterdir())
    assert [f.name for f in files] == [f"{delivery.id}.eml"]
    assert files[0].read_bytes() == delivery.message
