"""schedule.yaml → a :class:`Config` (README: "schedule.yaml reference").

Loading keeps line numbers so errors can say ``schedule.yaml:12: timetable[2].cron: ...``.
This module reads the file and builds typed values; the validation of the whole
document (JSON Schema, cron syntax, known channels and types) lives in
:mod:`trustpublish.plan.schema` and runs in :func:`load_config` before anything else.
Secrets are never read from this file: they come from the environment (see
:mod:`trustpublish.env`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..content.model import Site
from ..content.readers.metadata import Defaults
from ..content.split import SplitOptions
from ..content.yamlsource import LineMap, YamlSyntaxError, load_yaml
from ..errors import ConfigError

__all__ = ["Config", "load_config", "CONFIG_NAME", "ValidMemo"]

CONFIG_NAME = "schedule.yaml"


@dataclass(frozen=True)
class Config:
    """A loaded project configuration. ``root`` is the folder holding schedule.yaml."""

    path: Path
    root: Path
    site: Site
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    timetable: list[dict[str, Any]] = field(default_factory=list)
    split: SplitOptions = SplitOptions()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    lines: LineMap = field(default_factory=LineMap, repr=False)

    def error(self, key_path: str, message: str, hint: str | None = None) -> ConfigError:
        """A ConfigError pointing at ``key_path`` in this file."""
        return ConfigError(message, file=self.path, key_path=key_path,
                           line=self.lines.line_of(key_path), hint=hint)

    @property
    def defaults(self) -> Defaults:
        """What posts fall back to (timezone, site URL, author, language)."""
        return Defaults(timezone=self.site.timezone, site_url=self.site.url,
                        author=self.site.author, language=self.site.language)

    def path_of(self, key: str, default: str) -> Path:
        """A project folder (``posts``, ``templates``, ``state``, ``dist``, ``outbox``)."""
        value = (self.raw.get("paths") or {}).get(key, default)
        return (self.root / value).resolve()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)


class ValidMemo(Protocol):
    """Remembers texts of schedule.yaml that passed the checks (workspace keeps it in state/)."""

    def known(self, text: str) -> bool:
        """True when ``text`` (with this code and these channel types) passed before."""

    def remember(self, text: str) -> None:
        """Note that ``text`` passed every check."""


def _require_mapping(value: Any, key: str, path: Path, lines: LineMap) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("must be a mapping of `key: value` lines", file=path, key_path=key,
                          line=lines.line_of(key))
    return value


def load_config(path: Path, *, channel_types: Iterable[str] = (),
                memo: ValidMemo | None = None) -> Config:
    """Read and validate ``path``; raises ConfigError with key path and line.

    ``channel_types`` are the adapter types installed besides the built-in ones (plugins).
    ``memo``: when it knows this exact text passed before, the checks that depend on the
    text alone (JSON Schema, channel types, timetable syntax) are skipped; the folders
    under ``paths:`` are always checked (they depend on the file system).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=path,
                          hint="run `trustpublish init DIR` to create a project, "
                               "or pass --config path/to/schedule.yaml") from None
    except UnicodeDecodeError:
        raise ConfigError("the file is not UTF-8", file=path,
                          hint="re-save it as UTF-8 in your editor") from None
    try:
        data, lines = load_yaml(text)
    except YamlSyntaxError as exc:
        if exc.key_path:  # YAML that parses, with a value that cannot be built
            raise ConfigError(str(exc), file=path, key_path=exc.key_path, line=exc.line,
                              hint="quote the value, or correct it") from None
        raise ConfigError(f"not valid YAML: {exc}", file=path, line=exc.line,
                          hint="check indentation, and quote values that contain `: ` or `#`") from None
    data = _require_mapping(data, "", path, lines)
    from . import schema

    if memo is not None and memo.known(text):
        schema.check_paths(data, path, lines)
    else:
        schema.validate(data, path, lines)
        schema.check_semantics(data, path, lines, channel_types)
        if memo is not None:
            memo.remember(text)
    site_raw = _require_mapping(data.get("site"), "site", path, lines)
    for key in ("title", "url"):
        if not site_raw.get(key):
            raise ConfigError(f"`site.{key}` is required", file=path, key_path=f"site.{key}",
                              line=lines.line_of("site"))
    tz = str(site_raw.get("timezone", "UTC"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown timezone {tz!r}", file=path, key_path="site.timezone",
                          line=lines.line_of("site.timezone"),
                          hint="use an IANA name such as America/Chicago or Europe/Berlin") from None
    site = Site(
        title=str(site_raw["title"]), url=str(site_raw["url"]).rstrip("/"), timezone=tz,
        language=str(site_raw.get("language", "en")),
        postal_address=str(site_raw.get("postal_address", "")),
        author=str(site_raw.get("author", "")),
        description=str(site_raw.get("description", "")),
        websub_hub=site_raw.get("websub_hub"), feed_url=site_raw.get("feed_url"),
    )
    excerpts = _require_mapping(data.get("excerpts"), "excerpts", path, lines)
    try:
        skip = excerpts.get("skip_sections")
        split = SplitOptions(int(excerpts.get("min_words", 120)),
                             int(excerpts.get("max_words", 220)),
                             *([tuple(str(s) for s in skip)] if skip is not None else []))
    except (TypeError, ValueError):
        raise ConfigError("min_words and max_words must be whole numbers with min <= max",
                          file=path, key_path="excerpts", line=lines.line_of("excerpts")) from None
    channels = _require_mapping(data.get("channels"), "channels", path, lines)
    timetable = data.get("timetable") or []
    return Config(path=path.absolute(), root=path.absolute().parent, site=site,
                  channels={str(k): dict(v or {}) for k, v in channels.items()},
                  timetable=list(timetable), split=split, raw=data, lines=lines)
