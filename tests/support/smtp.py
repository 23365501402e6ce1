"""A scripted aiosmtpd server on 127.0.0.1 for the SMTP channel tests.

STARTTLS, implicit TLS or plain; AUTH PLAIN/LOGIN against one known user
(:data:`USER`/:data:`PASSWORD`); scripted replies for chosen recipients and a
connection dropped after DATA for others.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path

from .net import free_port, make_cert

__all__ = ["USER", "PASSWORD", "Recorder", "start_smtp"]

USER, PASSWORD = "clinic@example.org", "s3cr3t-pa55"


@dataclass
class Recorder:
    """What the SMTP server saw, and how it should answer."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    peers: set[tuple[str, int]] = field(default_factory=set)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    drop_on_data: set[str] = field(default_factory=set)
    data_reply: str = "250 2.0.0 Ok: queued as ABC123"
    auth_tls: list[bool] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.peers.add(session.peer)
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if set(envelope.rcpt_tos) & self.drop_on_data:
            server.transport.abort()  # the message arrived; the reply never does
            return "250 OK"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.data_reply


def _authenticator(recorder: Recorder):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server, session, envelope, mechanism, auth_data):
        recorder.auth_tls.append(session.ssl is not None)
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
              and auth_data.password.decode() == PASSWORD)
        return AuthResult(success=ok, handled=False)

    return check


def start_smtp(tmp_path: Path, security: str, recorder: Recorder):
    """Start aiosmtpd on 127.0.0.1; returns (controller, port, cert path)."""
    from aiosmtpd.controller import Controller

    cert, key = make_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    port = free_port()
    kwargs: dict = dict(hostname="127.0.0.1", port=port, authenticator=_authenticator(recorder),
                        # aiosmtpd does not see implicit TLS as TLS, so only STARTTLS
                        # servers can insist on it
                        auth_require_tls=security == "starttls")
    if security == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    elif security == "tls":
        kwargs.update(ssl_context=context, server_hostname="localhost")
    else:
        kwargs.update(auth_required=False)
    controller = Controller(recorder, **kwargs)
    controller.start()
    return controller, port, cert
