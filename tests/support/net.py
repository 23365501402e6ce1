"""Loopback networking for tests: free ports, a self-signed certificate, a tool check."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

__all__ = ["free_port", "make_cert", "need"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers that need a number)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(tool: str) -> str:
    """The path of command-line ``tool``; skips the test when missing (fails in CI)."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is required in CI")
        pytest.skip(f"{tool} not installed")
    return path


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate (and key) valid for 127.0.0.1 and localhost, via ``openssl``."""
    openssl = need("openssl")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key
