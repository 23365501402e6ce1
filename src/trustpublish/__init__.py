"""trustpublish: a clinic's long articles → excerpts → email digests, feeds and social posts."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
