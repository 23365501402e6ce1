"""The studio: a local web app to see, approve and fix everything without a terminal.

:class:`~trustpublish.web.studio.app.Studio` is a plain WSGI callable;
:func:`~trustpublish.web.studio.server.make_server` serves it with the standard library.
"""

from __future__ import annotations

from .app import Studio, StudioSettings
from .server import make_server

__all__ = ["Studio", "StudioSettings", "make_server"]
