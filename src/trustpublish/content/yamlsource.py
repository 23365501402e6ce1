"""YAML with line numbers, so every error can name the line it is about.

``load_yaml(text)`` returns the plain data and a :class:`LineMap` from key paths
(``timetable[2].cron``) to 1-based lines. Duplicate mapping keys are errors (YAML
silently keeps the last one, which hides mistakes). Only safe YAML is loaded.

Every failure is a :class:`YamlSyntaxError` with a line, including values PyYAML
recognises but cannot build (``date: 2025-13-45`` or ``at: [2026-02-30]`` raise a
bare ValueError inside its constructor): the caller names the file and key path.
A document that expands to more than :data:`MAX_VALUES` values (aliases multiplying
one another, the "billion laughs") is refused instead of exhausting time and memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["LineMap", "YamlSyntaxError", "load_yaml", "join_path", "MAX_VALUES"]

#: the most values (scalars, lists, mappings, aliases counted each time) one document may hold
MAX_VALUES = 200_000


class YamlSyntaxError(ValueError):
    """YAML that cannot be parsed; ``line`` is 1-based."""

    def __init__(self, message: str, line: int | None, key_path: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.key_path = key_path
        self.problem = message


@dataclass
class LineMap:
    """Key path → line. ``line_of`` falls back to the nearest known parent path."""

    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: str) -> int | None:
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""


def join_path(parent: str, key: str | int) -> str:
    """``join_path("timetable", 2)`` → ``timetable[2]``; ``join_path("site", "url")`` → ``site.url``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def _scalar(node: yaml.Node, path: str, loader: yaml.SafeLoader) -> Any:
    """Build one value; a value the constructor cannot build is a YamlSyntaxError."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError:
        raise
    except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
        value = getattr(node, "value", "")
        shown = repr(value) if isinstance(value, str) else "this value"
        if node.tag.endswith(":timestamp"):
            reason = f"{shown} is not a real date ({exc})"
            hint = "; write a date that exists, like 2026-02-28, or quote it to keep it as text"
        else:
            reason, hint = f"{shown} cannot be read ({exc})", "; quote it to keep it as text"
        error = YamlSyntaxError(f"{reason}{hint}", node.start_mark.line + 1, path or None)
        raise error from None


_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _construct(node: yaml.Node, path: str, lines: LineMap, loader: yaml.SafeLoader,
               budget: list[int] | None = None) -> Any:
    budget = budget if budget is not None else [MAX_VALUES]
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlSyntaxError(f"the document holds more than {MAX_VALUES} values (are aliases "
                              "like *name repeating each other?)", node.start_mark.line + 1)
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if node.tag not in (_SEQ, _MAP) and not isinstance(node, yaml.ScalarNode):
        raise YamlSyntaxError(f"unsupported tag {node.tag!r} (only plain YAML is read)",
                              node.start_mark.line + 1, path or None)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, path, loader)
            if isinstance(key, (list, dict)):
                raise YamlSyntaxError("a mapping key must be a plain value", key_node.start_mark.line + 1)
            child = join_path(path, str(key))
            if key in result:
                raise YamlSyntaxError(
                    f"duplicate key {child!r} (first on line {lines.lines.get(child)})",
                    key_node.start_mark.line + 1,
                )
            lines.lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, child, lines, loader, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, join_path(path, i), lines, loader, budget)
                for i, item in enumerate(node.value)]
    return _scalar(node, path, loader)


def load_yaml(text: str, *, first_line: int = 1) -> tuple[Any, LineMap]:
    """Parse one YAML document; lines are offset so ``first_line`` is the text's first line.

    Read with libyaml when PyYAML has it (same nodes and lines, several times faster);
    a text libyaml rejects is read again by the pure-Python parser, so the error
    message is the same either way.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        loader = fast(text)
        try:
            node = loader.get_single_node()
            lines = LineMap()
            data = None if node is None else _construct(node, "", lines, loader)
        except (yaml.YAMLError, YamlSyntaxError, RecursionError, ValueError):
            pass  # read again below for the error (with its line)
        else:
            if first_line != 1:
                lines.lines = {k: v + first_line - 1 for k, v in lines.lines.items()}
            return data, lines
        finally:
            loader.dispose()
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines = LineMap()
        data = None if node is None else _construct(node, "", lines, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and mark.index >= len(text.rstrip()):
            mark = exc.context_mark  # "unexpected end": point at what was left open
        line = mark.line + first_line if mark else None
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        raise YamlSyntaxError(problem, line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from exc
    except RecursionError:
        line = first_line + len(text) - len(text.lstrip("\n"))
        raise YamlSyntaxError("the document is nested too deeply (or an alias *name refers "
                              "to itself)", line) from None
    except YamlSyntaxError as exc:
        exc.line = exc.line + first_line - 1 if exc.line else None
        raise
    finally:
        loader.dispose()
    if first_line != 1:
        lines.lines = {k: v + first_line - 1 for k, v in lines.lines.items()}
    return data, lines
