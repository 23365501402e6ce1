"""What a run did: :class:`RunReport` (counts by outcome and lines for the user).

Contract: filled by the delivery code, read by the CLI; no I/O. ``ok`` is False when
anything failed or has an unknown outcome (the run then exits 1). See ``docs/delivery.md``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["RunReport"]


@dataclass
class RunReport:
    """What a run did: counts by outcome and human-readable lines."""

    counts: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)
    sent_channels: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not (self.counts["failed"] or self.counts["unknown"] or self.counts["partial"])
