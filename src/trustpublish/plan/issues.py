"""Digest issues of email channels: their ids and sizes, shared by the planner and the digest.

An issue of channel ``newsletter`` numbered 1 is ``newsletter-0001`` everywhere: in
the plan, the ledger, ``dist/email/`` and the Message-ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

__all__ = ["DEFAULT_EXCERPTS_PER_ISSUE", "issue_id", "excerpts_per_issue"]

DEFAULT_EXCERPTS_PER_ISSUE = 2


def issue_id(channel: str, number: int) -> str:
    """``issue_id("newsletter", 1)`` → ``newsletter-0001``."""
    return f"{channel}-{number:04d}"


def excerpts_per_issue(name: str, options: Mapping[str, Any]) -> int:
    """How many excerpts an issue of email channel ``name`` holds (default 2)."""
    value = options.get("excerpts_per_issue", DEFAULT_EXCERPTS_PER_ISSUE)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError("must be a whole number of at least 1",
                          key_path=f"channels.{name}.excerpts_per_issue")
    return value
