"""Secrets from the environment (optionally a project ``.env`` file), never from schedule.yaml.

Variables are named ``TRUSTPUBLISH_<CHANNEL>_<WHAT>`` with the channel name upper-cased
and non-alphanumerics as ``_`` (channel ``mastodon`` → ``TRUSTPUBLISH_MASTODON_TOKEN``).
Values are wrapped in :class:`Secret` so they never print or log by accident, and
every one of them is masked by :mod:`trustpublish.redact` wherever text leaves the
program. A value holding CR, LF, NUL or another control character (a token copied
from a Windows file ends in ``\r``) is refused with a ConfigError naming the
variable, never its value: it would otherwise break headers or leak in echoes.
Variables holding PEM text (``*_DKIM_KEY``, ``*_PRIVATE_KEY``, ``*_PEM``) may contain
line breaks, nothing else.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import ConfigError

__all__ = ["Secret", "env_name", "secret", "load_dotenv_for", "check_environment",
           "checked_value"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: variables that hold PEM text: line breaks (LF, CRLF) are part of the value
_MULTILINE_NAME = re.compile(r"_(DKIM_KEY|PRIVATE_KEY|PEM)$")
_MULTILINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


class Secret(str):
    """A string whose repr/str-formatting in logs is masked. Use ``.reveal()`` to send it."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def reveal(self) -> str:
        return str.__str__(self)


def env_name(channel: str, what: str) -> str:
    """``env_name("my-mastodon", "token")`` → ``TRUSTPUBLISH_MY_MASTODON_TOKEN``."""
    return "TRUSTPUBLISH_" + re.sub(r"[^A-Za-z0-9]+", "_", f"{channel}_{what}").upper().strip("_")


def checked_value(name: str) -> str | None:
    """``os.environ[name]`` or None when unset/empty; ConfigError on control characters."""
    value = os.environ.get(name, "")
    if not value:
        return None
    bad = (_MULTILINE_CONTROL if _MULTILINE_NAME.search(name) else _CONTROL).search(value)
    if bad:
        what = {"\r": "a carriage return (\\r)", "\n": "a line break (\\n)",
                "\x00": "a NUL byte"}.get(bad.group(),
                                         f"control character U+{ord(bad.group()):04X}")
        raise ConfigError(
            f"the environment variable contains {what} at character {bad.start() + 1} "
            f"of {len(value)} (the value is not shown)",
            key_path=name,
            hint="set it again without the line ending (a value copied from a Windows file "
                 "ends in \\r: run `dos2unix .env` or retype it)")
    return value


def check_environment() -> None:
    """Refuse any ``TRUSTPUBLISH_*`` variable holding control characters (first one found)."""
    for name in sorted(os.environ):
        if name.startswith("TRUSTPUBLISH_"):
            checked_value(name)


def secret(channel: str, what: str) -> Secret | None:
    """The variable for (channel, what), or None when it is unset or empty.

    Raises ConfigError (naming the variable, not the value) on control characters.
    """
    value = checked_value(env_name(channel, what))
    return Secret(value) if value else None


def load_dotenv_for(root: Path) -> None:
    """Load ``root/.env`` into the environment without overriding variables already set."""
    path = root / ".env"
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)
