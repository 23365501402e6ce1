"""Channel adapters: the only code that talks to platforms (SMTP, HTTP APIs, WebSub).

Each adapter is a :class:`~trustpublish.channels.base.Channel` subclass found by its
``type:`` name in :mod:`~trustpublish.channels.registry` (entry-point group
``trustpublish.channels``). See ``docs/channels.md`` for the contract.
"""
