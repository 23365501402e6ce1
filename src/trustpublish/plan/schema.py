"""Validation of schedule.yaml against the JSON Schema shipped with the package.

``schedule.schema.json`` (package data) is what editors use for autocompletion;
the same file validates the document here. Each violation becomes a ConfigError
with the key path and line; an unknown key gets a "did you mean" hint.
"""

from __future__ import annotations

import gc
import json
import marshal
import os
import sys
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..content.yamlsource import LineMap, join_path
from ..errors import ConfigError

__all__ = ["load_schema", "validate", "first_violation"]


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The JSON Schema for schedule.yaml, as shipped in the package."""
    from importlib import resources

    return json.loads(resources.files("trustpublish").joinpath("schedule.schema.json").read_text())


def _path_of(error: Any) -> str:
    path = ""
    for part in error.absolute_path:
        path = join_path(path, part)
    return path


def validate(data: dict[str, Any], file: Path, lines: LineMap) -> None:
    """Raise ConfigError for the first violation (in document order).

    The check runs in a short-lived child process when this one can fork safely (see
    :func:`first_violation`), so a ``build``, ``run`` or the studio does not keep
    jsonschema and its registry of meta-schemas (about 3 MB) for the rest of its life.
    """
    problem = first_violation(data, lines)
    if problem is not None:
        message, path, hint = problem
        raise ConfigError(message, file=file, key_path=path or None, line=lines.line_of(path),
                          hint=hint)


Violation = tuple[str, str, "str | None"]  # (message, key path, hint)

#: False: :func:`first_violation` never forks (a harness that runs commands inside its
#: own process, where a forked copy of it must not run, sets it)
FORK = True


def first_violation(data: dict[str, Any], lines: LineMap, *, fork: bool | None = None
                    ) -> Violation | None:
    """The first violation of the schema (in document order), or None.

    Computed in a forked child that sends it back over a pipe when ``fork`` is true;
    the default forks when that is safe: Linux, this process's only thread running,
    jsonschema not loaded here already, and :data:`FORK` true. Anything else, or a child
    that sends nothing back, computes it in this process: the answer is the same.
    """
    if fork is None:
        fork = (FORK and sys.platform == "linux" and threading.active_count() == 1
                and "jsonschema" not in sys.modules)
    if fork:
        found = _in_child(data, lines)
        if found is not None:
            return found[0]
    return _violation(data, lines)


def _in_child(data: dict[str, Any], lines: LineMap) -> tuple[Violation | None] | None:
    """(:func:`_violation`,) computed in a forked child, or None if the child failed."""
    read, write = os.pipe()
    gc.freeze()  # the child's collector leaves the shared objects (and their pages) alone
    try:
        pid = os.fork()
    except OSError:  # no process to spare: check here
        gc.unfreeze()
        os.close(read)
        os.close(write)
        return None
    if pid:
        gc.unfreeze()
    else:  # the child: answer, then leave without running this process's exit code
        code = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as out:
                out.write(marshal.dumps((_violation(data, lines),)))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    try:
        answer = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return answer if isinstance(answer, tuple) and len(answer) == 1 else None


def _violation(data: dict[str, Any], lines: LineMap) -> Violation | None:
    """The first violation, checked in this process."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(data),
                    key=lambda e: (lines.line_of(_path_of(e)) or 0, _path_of(e)))
    if not errors:
        return None
    error = errors[0]
    path = _path_of(error)
    hint = None
    message = error.message
    if error.validator in ("oneOf", "anyOf") and "x-error" in error.schema:
        message = error.schema["x-error"]
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            path = join_path(path, extra[0])
            message = "unknown key"
            import difflib

            guess = difflib.get_close_matches(str(extra[0]), allowed, n=1)
            hint = f"did you mean `{guess[0]}`?" if guess else f"known keys: {', '.join(allowed)}"
    return str(message), path, hint


#: the folders ``paths:`` may move (all inside the project)
PATH_KEYS = ("posts", "templates", "state", "dist", "outbox")


def check_paths(data: dict[str, Any], file: Path, lines: LineMap) -> None:
    """Every ``paths.<key>`` is a folder inside the project (the folder of schedule.yaml).

    Refused: ``..`` leaving the project, an absolute path elsewhere (``/etc``), the
    project folder itself, control characters. Symlinks are resolved before comparing.
    """
    root = file.absolute().parent.resolve()
    for key, value in ((data.get("paths") or {}).items()):
        where = f"paths.{key}"

        def fail(message: str) -> ConfigError:
            return ConfigError(message, file=file, key_path=where, line=lines.line_of(where),
                               hint=f"use a folder inside the project, like `{key}: {key}`")

        text = str(value)
        if not text.strip() or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise fail("must be a folder name (not empty, no control characters)")
        try:
            target = (root / text).resolve()
        except (OSError, ValueError, RuntimeError):
            raise fail(f"{text!r} is not a usable folder path") from None
        if target == root:
            raise fail(f"{text!r} is the project folder itself")
        if not target.is_relative_to(root):
            raise fail(f"{text!r} is outside the project folder {root}")


def check_semantics(data: dict[str, Any], file: Path, lines: LineMap,
                    channel_types: Iterable[str] = ()) -> None:
    """What JSON Schema cannot say: timezone, channel types, timetable references and syntax.

    Raises ConfigError (key path + line) for: an unknown IANA timezone, an unknown
    channel type (one the schema does not know nor ``channel_types``, the installed
    adapters the caller passes in), a timetable entry naming an undefined channel, a bad cron line,
    weekly slot or date-time, a duplicate entry name, a bad duration under ``run``, a
    folder under ``paths:`` that leaves the project (see :func:`check_paths`).
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from .timetable import TimetableError, parse_duration, parse_timetable

    def fail(key_path: str, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, file=file, key_path=key_path,
                           line=lines.line_of(key_path), hint=hint)

    check_paths(data, file, lines)
    tz = str((data.get("site") or {}).get("timezone", "UTC"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail("site.timezone", f"unknown timezone {tz!r}",
                   "use an IANA name such as America/Chicago or Europe/Berlin") from None
    channels = data.get("channels") or {}
    schema_types = {k.removeprefix("channel_") for k in load_schema()["$defs"]
                    if k.startswith("channel_")}
    for name, options in channels.items():
        kind = str((options or {}).get("type", ""))
        if kind in schema_types:
            continue
        known = sorted(schema_types | set(channel_types))
        if kind not in known:
            import difflib

            guess = difflib.get_close_matches(kind, known, n=1)
            raise fail(f"channels.{name}.type", f"unknown channel type {kind!r}",
                       (f"did you mean `{guess[0]}`? " if guess else "") + f"known types: {', '.join(known)}")
    try:
        parse_timetable(data.get("timetable") or [], list(channels))
        run = data.get("run") or {}
        for key in ("grace",):
            if key in run:
                parse_duration(run[key], f"run.{key}")
        for key, value in (run.get("retry") or {}).items():
            if key != "attempts":
                parse_duration(value, f"run.retry.{key}")
    except TimetableError as exc:
        raise fail(exc.key_path, exc.message, exc.hint) from None
