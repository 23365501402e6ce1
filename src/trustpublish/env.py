"""Secrets from the environment (optionally a project ``.env`` file), never from schedule.yaml.

Variables are named ``TRUSTPUBLISH_<CHANNEL>_<WHAT>`` with the channel name upper-cased
and non-alphanumerics as ``_`` (channel ``mastodon`` → ``TRUSTPUBLISH_MASTODON_TOKEN``).
Values are wrapped in :class:`Secret` so they never print or log by accident.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["Secret", "env_name", "secret", "load_dotenv_for"]


class Secret(str):
    """A string whose repr/str-formatting in logs is masked. Use ``.reveal()`` to send it."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def reveal(self) -> str:
        return str.__str__(self)


def env_name(channel: str, what: str) -> str:
    """``env_name("my-mastodon", "token")`` → ``TRUSTPUBLISH_MY_MASTODON_TOKEN``."""
    return "TRUSTPUBLISH_" + re.sub(r"[^A-Za-z0-9]+", "_", f"{channel}_{what}").upper().strip("_")


def secret(channel: str, what: str) -> Secret | None:
    """The variable for (channel, what), or None when it is unset or empty."""
    value = os.environ.get(env_name(channel, what), "")
    return Secret(value) if value else None


def load_dotenv_for(root: Path) -> None:
    """Load ``root/.env`` into the environment without overriding variables already set."""
    path = root / ".env"
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)
