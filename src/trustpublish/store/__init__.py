"""The state database (PRODUCT §2, §9): the only code that touches SQL.

SQLite in ``state/trustpublish.db`` by default; any SQLAlchemy URL (PostgreSQL)
through ``state.url`` in schedule.yaml or ``TRUSTPUBLISH_STATE_URL``. Every table
of every feature is declared on the one :data:`metadata` in its own module
(``ledger``, ``subscribers``, ...) and created by :func:`open_store`.
"""

from __future__ import annotations

from .db import metadata, open_engine, state_url

__all__ = ["metadata", "open_engine", "state_url"]
