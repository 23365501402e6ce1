"""The email adapter's PIPELINING path (RFC 2920) against a small real SMTP server.

aiosmtpd does not offer PIPELINING, so these tests run a stdlib socket server on
127.0.0.1 that advertises it, answers the batched MAIL/RCPT/DATA commands in order
(refusing DATA when no recipient was accepted, as RFC 2920 requires) and records
what arrived, including whether the three commands came in one write.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading

import pytest

from trustpublish.channels.base import Delivery
from trustpublish.channels.smtp import SmtpChannel, SmtpSettings
from trustpublish.errors import CredentialsError, OutcomeUnknown, PermanentFailure, RetryableFailure

SENDER = "news@clinic.example"


class _Handler(socketserver.StreamRequestHandler):
    rbufsize = 0  # unbuffered: what is still unread stays in the socket, for select()

    def handle(self) -> None:  # noqa: C901 - a tiny SMTP state machine
        server: PipeliningServer = self.server  # type: ignore[assignment]
        self.wfile.write(b"220 test ESMTP\r\n")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL":
                server.batched.append(bool(select.select([self.connection], [], [], 0)[0]))
                sender, rcpts = line[10:].strip().strip(b"<>").decode(), []
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"RCPT":
                who = line[8:].strip().strip(b"<>").decode()
                code = server.rcpt_codes.get(who.split("@")[0], 250)
                if code == 250:
                    rcpts.append(who)
                self.wfile.write(f"{code} {'ok' if code == 250 else 'no'}\r\n".encode())
            elif verb == b"DATA":
                if not rcpts:
                    self.wfile.write(b"554 no valid recipients\r\n")
                    continue
                self.wfile.write(b"354 go ahead\r\n")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b""):
                        break
                    lines.append(data[1:] if data.startswith(b".") else data)
                body = b"".join(lines)
                local = rcpts[0].split("@")[0]
                if local.startswith("drop"):
                    return  # the connection breaks after the message was sent
                with server.lock:
                    server.received.append((sender, rcpts[0], body))
                code = server.data_codes.get(local, 250)
                self.wfile.write(f"{code} {'queued' if code == 250 else 'refused'}\r\n".encode())
            elif verb == b"RSET":
                sender, rcpts = None, []
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 unknown\r\n")


class PipeliningServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.received: list[tuple[str, str, bytes]] = []
        self.batched: list[bool] = []
        self.rcpt_codes = {"bad": 550, "busy": 450, "auth": 535}
        self.data_codes = {"spam": 554, "later": 451}


@pytest.fixture
def server():
    srv = PipeliningServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def channel(srv: PipeliningServer) -> SmtpChannel:
    host, port = srv.server_address[:2]
    return SmtpChannel("newsletter", {}, settings=SmtpSettings(host=host, port=port,
                                                               security="plain"))


def delivery(to: str, body: bytes) -> Delivery:
    message = (b"From: Clinic <news@clinic.example>\r\nTo: " + to.encode()
               + b"\r\nSubject: Digest\r\nMessage-ID: <m." + to.split("@")[0].encode()
               + b"@clinic.example>\r\n\r\n" + body)
    return Delivery(id=f"newsletter:i:{to}", channel="newsletter", item_id="i", kind="email",
                    message=message, sender=SENDER, recipient=to)


def test_pipelined_messages_arrive_intact_with_dot_lines_on_one_connection(server):
    ch = channel(server)
    bodies = [b".starts with a dot\r\nmiddle\r\n..two dots\r\n.\r\nend\r\n",
              b"no final line break", b"lone\nnewline and lone\rreturn\r\n"]
    try:
        results = [ch.publish(delivery(f"p{i}@example.org", b)) for i, b in enumerate(bodies)]
    finally:
        ch.close()
    assert [r.remote_id for r in results] == [f"<m.p{i}@clinic.example>" for i in range(3)]
    assert ch.connections_opened == 1
    assert [rcpt for _, rcpt, _ in server.received] == [f"p{i}@example.org" for i in range(3)]
    got = [body.split(b"\r\n\r\n", 1)[1] for _, _, body in server.received]
    assert got[0] == bodies[0]
    assert got[1] == b"no final line break\r\n"
    assert got[2] == b"lone\r\nnewline and lone\r\nreturn\r\n"
    assert all(sender == SENDER for sender, _, _ in server.received)
    assert server.batched and all(server.batched)  # MAIL, RCPT and DATA in one write


@pytest.mark.parametrize("to, error, text", [
    ("bad@example.org", PermanentFailure, "550 no while naming the recipient for bad@"),
    ("busy@example.org", RetryableFailure, "450 no while naming the recipient"),
    ("auth@example.org", CredentialsError, "535"),
    ("spam@example.org", PermanentFailure, "554 refused while sending the message"),
    ("later@example.org", RetryableFailure, "451 refused while sending the message"),
])
def test_pipelined_refusals_map_to_the_same_errors_and_the_connection_stays_usable(
        server, to, error, text):
    ch = channel(server)
    try:
        with pytest.raises(error) as info:
            ch.publish(delivery(to, b"hello\r\n"))
        assert text in info.value.message
        ch.publish(delivery("ok@example.org", b"hello\r\n"))  # same connection, clean state
    finally:
        ch.close()
    assert ch.connections_opened == 1
    assert [rcpt for _, rcpt, _ in server.received][-1] == "ok@example.org"


def test_a_connection_broken_after_the_pipelined_data_is_an_unknown_outcome(server):
    ch = channel(server)
    try:
        with pytest.raises(OutcomeUnknown):
            ch.publish(delivery("drop@example.org", b"hello\r\n"))
        ch.publish(delivery("after@example.org", b"hello\r\n"))  # reconnects
    finally:
        ch.close()
    assert ch.connections_opened == 2
    assert [rcpt for _, rcpt, _ in server.received] == ["after@example.org"]


def test_a_server_gone_before_the_replies_is_retryable(server):
    ch = channel(server)
    ch.publish(delivery("first@example.org", b"hello\r\n"))
    assert ch._conn is not None
    ch._conn.sock.shutdown(socket.SHUT_RDWR)  # the connection breaks before MAIL is read
    with pytest.raises(RetryableFailure):
        ch.publish(delivery("second@example.org", b"hello\r\n"))
    ch.close()
