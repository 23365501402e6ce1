"""Bounce webhooks: Amazon SES through SNS and Mailgun, with valid and forged signatures,
posted to a real ``trustpublish serve``; SNS certificates come from a local HTTP server."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from support import free_port, run_cli
from test_signups import _serve

from trustpublish.deliver.provider_events import sns_string_to_sign

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-bounces"
MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
MID = "<newsletter-0001.3f1c2a9b8d7e6f5a4b3c2d1e@harborview-counseling.example>"


def _cert(tmp: Path, name: str) -> tuple[bytes, object]:
    key, crt = tmp / f"{name}.key", tmp / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(crt), "-days", "2", "-subj", "/CN=sns.amazonaws.com"],
                   check=True, capture_output=True)
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    return crt.read_bytes(), private


def _sns(private: object, cert_url: str, message: dict | str, *, kind: str = "Notification",
         version: str = "1", topic: str = TOPIC, extra: dict | None = None) -> bytes:
    data = {"Type": kind, "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": topic, "Subject": None,
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": "2026-12-01T15:10:00.000Z", "SignatureVersion": version,
            "SigningCertURL": cert_url, **(extra or {})}
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = private.sign(sns_string_to_sign(data), padding.PKCS1v15(), algorithm)
    data["Signature"] = base64.b64encode(signature).decode()
    return json.dumps(data).encode()


def _ses_bounce(address: str, bounce_type: str = "Permanent") -> dict:
    return {"notificationType": "Bounce",
            "bounce": {"bounceType": bounce_type, "bounceSubType": "General",
                       "bouncedRecipients": [{"emailAddress": address}]},
            "mail": {"source": "news@harborview-counseling.example",
                     "commonHeaders": {"messageId": MID}}}


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _mailgun(event: dict, *, key: str = MAILGUN_KEY, when: float | None = None,
             token: str = "a1b2c3") -> bytes:
    timestamp = str(int(when if when is not None else time.time()))
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps({"signature": {"timestamp": timestamp, "token": token,
                                     "signature": signature}, "event-data": event}).encode()


def _active(project: Path) -> str:
    return run_cli("subscribers", "list", "--status", "active", cwd=project).out


@pytest.mark.slow
def test_signed_events_suppress_and_forged_ones_change_nothing(project: Path, tmp_path: Path,
                                                                httpserver) -> None:
    cert, private = _cert(tmp_path, "sns")
    _other_cert, stranger = _cert(tmp_path, "stranger")
    httpserver.expect_request("/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem") \
        .respond_with_data(cert)
    httpserver.expect_request("/confirm").respond_with_data("<ConfirmSubscriptionResponse/>")
    cert_url = httpserver.url_for(
        "/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem")
    schedule = project / "schedule.yaml"
    schedule.write_text(schedule.read_text() + f"\nbounces: {{ses_topics: [\"{TOPIC}\"], "
                        "sns_hosts: [localhost, '127\\.0\\.0\\.1']}\n")
    people = ["ses.hard@example.org", "ses.soft@example.org", "forged@example.org",
              "mg.hard@example.org", "mg.complaint@example.org", "stays@example.org"]
    (project / "subs.csv").write_text("email\n" + "\n".join(people) + "\n")
    assert run_cli("subscribers", "import", "subs.csv", cwd=project).code == 0
    port = free_port()
    proc = _serve(project, port, {"TRUSTPUBLISH_MAILGUN_WEBHOOK_KEY": MAILGUN_KEY})
    ses, mailgun = (f"http://127.0.0.1:{port}/bounces/ses",
                    f"http://127.0.0.1:{port}/bounces/mailgun")
    try:
        confirm = _sns(private, cert_url, "You have chosen to subscribe...",
                       kind="SubscriptionConfirmation",
                       extra={"Token": "2336412f37", "SubscribeURL": httpserver.url_for(
                           "/confirm") + "?Action=ConfirmSubscription&Token=2336412f37"})
        assert _post(ses, confirm) == 200
        assert any(req.path == "/confirm" for req, _ in httpserver.log)
        assert _post(ses, _sns(private, cert_url, _ses_bounce("ses.hard@example.org"))) == 200
        assert _post(ses, _sns(private, cert_url, _ses_bounce("ses.soft@example.org",
                                                              "Transient"), version="2")) == 200
        # forged: another key, another topic, a certificate from elsewhere, a changed body
        assert _post(ses, _sns(stranger, cert_url, _ses_bounce("forged@example.org"))) == 403
        assert _post(ses, _sns(private, cert_url, _ses_bounce("forged@example.org"),
                               topic=TOPIC.replace("123456789012", "999999999999"))) == 403
        assert _post(ses, _sns(private, "https://evil.example/cert.pem",
                               _ses_bounce("forged@example.org"))) == 403
        tampered = _sns(private, cert_url, _ses_bounce("stays@example.org")).replace(
            b"stays@example.org", b"forged@example.org")
        assert _post(ses, tampered) == 403
        failed = {"event": "failed", "severity": "permanent", "recipient": "mg.hard@example.org",
                  "message": {"headers": {"message-id": MID.strip("<>")}}}
        assert _post(mailgun, _mailgun(failed, token="t1")) == 200
        assert _post(mailgun, _mailgun(failed, token="t1")) == 403  # replayed
        complaint = {"event": "complained", "recipient": "mg.complaint@example.org"}
        assert _post(mailgun, _mailgun(complaint, token="t2")) == 200
        assert _post(mailgun, _mailgun({"event": "failed", "severity": "permanent",
                                        "recipient": "stays@example.org"},
                                       key="key-wrong", token="t3")) == 403
        assert _post(mailgun, _mailgun({"event": "failed", "severity": "permanent",
                                        "recipient": "stays@example.org"},
                                       when=time.time() - 3600, token="t4")) == 403
        assert _post(ses, b"{not json") == 403
        assert _post(f"http://127.0.0.1:{port}/bounces/sendgrid", b"{}") == 404
    finally:
        proc.terminate()
        proc.wait(10)
    active = _active(project)
    for gone in ("ses.hard@example.org", "mg.hard@example.org", "mg.complaint@example.org"):
        assert gone not in active
    for kept in ("ses.soft@example.org", "forged@example.org", "stays@example.org"):
        assert kept in active  # one soft bounce is counted, not suppressed
    complained = run_cli("subscribers", "list", "--status", "complained", cwd=project).out
    assert "mg.complaint@example.org" in complained


def test_without_settings_the_webhooks_are_not_there(project: Path) -> None:
    port = free_port()
    proc = _serve(project, port, {})
    try:
        assert _post(f"http://127.0.0.1:{port}/bounces/ses", b"{}") == 404
        assert _post(f"http://127.0.0.1:{port}/bounces/mailgun", b"{}") == 404
    finally:
        proc.terminate()
        proc.wait(10)


def test_mailgun_stale_clock_uses_the_event_time_window() -> None:
    from trustpublish.deliver.provider_events import ForgedEvent, mailgun_report

    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
    body = _mailgun({"event": "failed", "severity": "temporary", "recipient": "A@Example.org"},
                    when=now.timestamp() - 60, token="x")
    report = mailgun_report(body, MAILGUN_KEY.encode(), now, set())
    assert report is not None and report.kind == "soft" and report.addresses == ("a@example.org",)
    with pytest.raises(ForgedEvent):
        mailgun_report(body, MAILGUN_KEY.encode(), now + dt.timedelta(minutes=16), set())
