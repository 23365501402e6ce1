"""Named studio users with argon2id password hashes, and the two roles.

Stored in ``state/studio-users.json`` (``{"users": {name: {"role", "hash"}}}``, written
atomically, mode 0600). Passwords are hashed with argon2-cffi's ``PasswordHasher``
(argon2id, its recommended parameters); a hash is never printed or logged.

Roles: *editor* may send a post for review or back to draft; *approver* may also
approve, approve privacy findings, publish now, retry, resolve, send what is due and
manage subscribers.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ...errors import ConfigError
from ...files import write_atomic

__all__ = ["User", "UserStore", "ROLES", "PERMISSIONS", "allowed", "USERS_NAME"]

USERS_NAME = "studio-users.json"
ROLES = ("editor", "approver")
PERMISSIONS: dict[str, frozenset[str]] = {
    "editor": frozenset({"review", "draft"}),
    "approver": frozenset({"review", "draft", "approve", "privacy", "hold", "skip", "publish",
                           "retry", "resolve", "run", "subscribers"}),
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MIN_PASSWORD = 10


def allowed(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action`` (one of the PERMISSIONS words)."""
    return action in PERMISSIONS.get(role, frozenset())


@dataclass(frozen=True)
class User:
    name: str
    role: str


class UserStore:
    """The users file of one project."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / USERS_NAME
        self.hasher = PasswordHasher()

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise ConfigError(f"not valid JSON: {exc}", file=self.path,
                              hint="restore it from a backup, or delete it and add the users "
                                   "again with `trustpublish studio users add`") from None
        users = data.get("users") if isinstance(data, dict) else None
        return users if isinstance(users, dict) else {}

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        data = json.dumps({"users": users}, indent=2, sort_keys=True).encode() + b"\n"
        write_atomic(self.path, data)
        os.chmod(self.path, 0o600)

    def list(self) -> list[User]:
        return [User(name, str(v.get("role", ""))) for name, v in sorted(self._read().items())]

    def get(self, name: str) -> User | None:
        raw = self._read().get(name)
        return User(name, str(raw.get("role", ""))) if raw else None

    def add(self, name: str, role: str, password: str) -> User:
        """Add or replace ``name``; the password is stored as an argon2id hash only."""
        if not _NAME.match(name):
            raise ConfigError(f"user name {name!r} is not allowed",
                              hint="use letters, digits, '.', '_' or '-' (at most 64)")
        if role not in ROLES:
            raise ConfigError(f"role {role!r} is unknown", hint=f"use one of: {', '.join(ROLES)}")
        if len(password) < _MIN_PASSWORD:
            raise ConfigError(f"the password is shorter than {_MIN_PASSWORD} characters",
                              hint="use a longer passphrase")
        users = self._read()
        users[name] = {"role": role, "hash": self.hasher.hash(password)}
        self._write(users)
        return User(name, role)

    def remove(self, name: str) -> bool:
        users = self._read()
        if users.pop(name, None) is None:
            return False
        self._write(users)
        return True

    def verify(self, name: str, password: str) -> User | None:
        """The user when ``password`` is right, else None (same work either way)."""
        raw = self._read().get(name)
        stored = raw.get("hash", "") if raw else ""
        try:
            if not stored:
                # spend the same time as a real check, so names cannot be probed by timing
                self.hasher.verify(self.hasher.hash("not a user"), password + "x")
                return None
            self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return User(name, str(raw.get("role", ""))) if raw else None
