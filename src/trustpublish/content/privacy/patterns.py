"""Patterns compiled on first use.

Compiling the guard's patterns (the ``regex`` module parses them in Python) is most of
its start-up cost, and a build that changed one post pays it for that post. A
:class:`Lazy` pattern is compiled the first time one of its methods is used, so a text
that never needs it (no candidate name, no date cue) never pays for it. After that its
methods are the compiled pattern's own, with no extra step per call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Lazy"]

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "split")


class Lazy:
    """``compile(pattern, flags)`` on first use of any attribute (``re.compile`` or
    ``regex.compile``); then the same object behaves as the compiled pattern."""

    def __init__(self, compile: Callable[..., Any], pattern: str, flags: int = 0) -> None:
        self._compile = compile
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_compile", "_source", "compiled"):
            raise AttributeError(name)
        compiled = self.__dict__.get("compiled")
        if compiled is None:
            compiled = self.compiled = self._compile(*self._source)
            for method in _METHODS:
                setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"Lazy({self._source[0]!r})"
