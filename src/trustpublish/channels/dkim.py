"""DKIM signing (RFC 6376) for email sent through the clinic's own SMTP server, with dkimpy.

Configured per email channel::

    channels:
      newsletter:
        type: email
        dkim: {selector: tp2026, domain: clinic.example}

and the private key (PEM) from the environment: ``TRUSTPUBLISH_<NAME>_DKIM_KEY`` holds the
PEM text itself, or the path of a PEM file. A relay that signs by itself (SES, Postmark,
Mailgun) needs none of this.

:class:`DkimSigner` signs the complete message bytes (relaxed/relaxed canonicalisation,
rsa-sha256) over the headers a receiver must be able to trust: From, To, Subject, Date,
Message-ID, Reply-To, the List-* headers (so the one-click unsubscribe cannot be altered
in transit), MIME-Version and Content-Type. :meth:`DkimSigner.dns_record` gives the TXT
record to publish at ``<selector>._domainkey.<domain>`` (``trustpublish check`` prints it).

The key is never printed or logged; a key that cannot be read is a ConfigError naming
the variable.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..env import Secret, env_name, secret
from ..errors import ConfigError

__all__ = ["DkimSigner", "SIGNED_HEADERS", "signer_for"]

#: headers covered by the signature (absent ones are simply not signed)
SIGNED_HEADERS: tuple[bytes, ...] = (
    b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"list-id",
    b"list-unsubscribe", b"list-unsubscribe-post", b"mime-version", b"content-type",
)

# ASN.1 DER of the rsaEncryption AlgorithmIdentifier (OID 1.2.840.113549.1.1.1, NULL)
_RSA_ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    return _der(0x02, body)


@dataclass(frozen=True)
class DkimSigner:
    """Signs messages for ``domain`` with ``selector``; ``key`` is the PEM private key."""

    selector: str
    domain: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        import dkim.crypto

        try:
            parsed = dkim.crypto.parse_pem_private_key(self.key)
        except (dkim.crypto.UnparsableKeyError, ValueError, IndexError) as exc:
            raise ValueError("not a PEM RSA private key") from exc
        object.__setattr__(self, "_public", (parsed["modulus"], parsed["publicExponent"]))

    def sign(self, message: bytes) -> bytes:
        """``message`` with a ``DKIM-Signature`` header in front (CRLF line ends kept)."""
        import dkim

        signature = dkim.sign(message, self.selector.encode("ascii"),
                              self.domain.encode("ascii"), self.key,
                              canonicalize=(b"relaxed", b"relaxed"),
                              include_headers=list(SIGNED_HEADERS))
        return signature.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + message

    @property
    def record_name(self) -> str:
        """Where the public key is published: ``<selector>._domainkey.<domain>``."""
        return f"{self.selector}._domainkey.{self.domain}"

    def dns_record(self) -> str:
        """The TXT record value: ``v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo, base64>``."""
        modulus, exponent = self._public  # type: ignore[attr-defined]
        rsa_key = _der(0x30, _der_int(modulus) + _der_int(exponent))
        spki = _der(0x30, _RSA_ALGORITHM + _der(0x03, b"\x00" + rsa_key))
        return f"v=DKIM1; k=rsa; p={base64.b64encode(spki).decode('ascii')}"


def _read_key(value: Secret, variable: str, root: Path | None) -> bytes:
    text = value.reveal().strip()
    if text.startswith("-----BEGIN"):
        return text.replace("\\n", "\n").encode("ascii")
    path = Path(text)
    if not path.is_absolute() and root is not None:
        path = root / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{variable} names a key file that cannot be read ({exc.strerror})",
                          hint="set it to the PEM text or the path of a PEM file") from None


def signer_for(name: str, config: Mapping[str, Any], root: Path | None = None
               ) -> DkimSigner | None:
    """The signer of email channel ``name``, or None when ``dkim:`` is not configured."""
    options = config.get("dkim")
    if not options:
        return None
    key_path = f"channels.{name}.dkim"
    if not isinstance(options, Mapping) or not options.get("selector") or not options.get("domain"):
        raise ConfigError("dkim needs a selector and a domain", key_path=key_path,
                          hint="for example dkim: {selector: tp2026, domain: clinic.example}")
    variable = env_name(name, "dkim_key")
    value = secret(name, "dkim_key")
    if not value:
        raise ConfigError(f"{variable} is not set", key_path=key_path,
                          hint="put the PEM private key (or its file's path) in that variable")
    try:
        return DkimSigner(str(options["selector"]), str(options["domain"]),
                          _read_key(value, variable, root))
    except ValueError:
        raise ConfigError(f"{variable} does not hold a PEM RSA private key", key_path=key_path,
                          hint="make one with `openssl genrsa -out dkim.pem 2048`") from None
