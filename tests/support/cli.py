"""One way to run the ``trustpublish`` command line from a test, in two modes.

``run_cli(*args, cwd=...)`` (and its shorthand ``tp(cwd, *args)``) returns a :class:`Run`
with the exit code and the captured output. By default the command runs **in this
process**: :func:`trustpublish.cli.main` is called exactly as the console script calls it
(same error-to-exit-code handling, ``SystemExit`` turned into the code), with ``cwd``,
environment and standard streams set for the call and put back afterwards, and every
``functools`` cache of the package cleared first so nothing one call computed leaks into
the next. ``process=True`` starts ``python -m trustpublish`` instead: use it where the
process boundary is what the test is about (crash and kill tests, ``serve``, the
long-running scheduler, forked fan-out workers, a different ``PYTHONPATH``).

Both modes see the same environment: the caller's, without any ``TRUSTPUBLISH_*``
variable, with ``COLUMNS=200`` and ``NO_COLOR=1``, then ``env`` on top.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Run", "run_cli", "tp", "cli_env", "reset_process_state"]

#: Commands that never return on their own or install signal handlers: only as processes.
_BLOCKING = ("serve",)
_LOCK = threading.Lock()  # one in-process call at a time: it swaps process-wide state
_FORKS: list[int] = []  # forks seen while an in-process call runs (filled in the parent)
_ACTIVE = threading.Event()
#: Set per test by tests/conftest.py: False warns when a process is started (tiers).
PROCESS_MARKED = True


def _note_fork() -> None:
    if _ACTIVE.is_set():
        _FORKS.append(os.getpid())


os.register_at_fork(after_in_parent=_note_fork)


@dataclass(frozen=True)
class Run:
    """What a command did. ``returncode``/``stdout``/``stderr`` name the same values."""

    code: int
    out: str
    err: str
    args: tuple[str, ...] = ()
    in_process: bool = True

    @property
    def returncode(self) -> int:
        return self.code

    @property
    def stdout(self) -> str:
        return self.out

    @property
    def stderr(self) -> str:
        return self.err


def cli_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a command sees: ours minus ``TRUSTPUBLISH_*``, fixed width, no colour."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPUBLISH_")}
    full.update({"COLUMNS": "200", "NO_COLOR": "1"})
    full.update(env or {})
    return full


def run_cli(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
            timeout: float = 120, process: bool = False) -> Run:
    """Run ``trustpublish ARGS`` in ``cwd``; in this process unless ``process=True``.

    A call that needs its own interpreter runs as a process whatever ``process`` says:
    an ``env`` that changes ``PYTHON*`` variables (read only at interpreter start).
    Commands that block (``serve``, ``run`` without ``--once``) are refused in-process, and
    an in-process call that forks (the fan-out's worker processes) fails the test: a fork
    of the test process can deadlock, so such calls need ``process=True``.
    ``timeout`` applies to processes only.
    """
    args = tuple(str(a) for a in args)
    if process or any(k.startswith("PYTHON") and os.environ.get(k) != v
                      for k, v in (env or {}).items()):
        return _run_process(args, Path(cwd), cli_env(env), timeout)
    if _blocks(args):
        raise ValueError(f"`trustpublish {' '.join(args)}` blocks or handles signals: "
                         "run it with process=True (or subprocess.Popen)")
    return _run_in_process(args, Path(cwd), cli_env(env))


def tp(cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120,
       process: bool = False) -> Run:
    """Shorthand: ``tp(root, "plan", "--json")`` is ``run_cli("plan", "--json", cwd=root)``."""
    return run_cli(*args, cwd=cwd, env=env, timeout=timeout, process=process)


def _blocks(args: tuple[str, ...]) -> bool:
    words = [a for a in args if not a.startswith("-")]
    if any(w in _BLOCKING for w in words):
        return True
    return "run" in words and "--once" not in args and "--help" not in args and "-h" not in args


def _run_process(args: tuple[str, ...], cwd: Path, env: dict[str, str], timeout: float) -> Run:
    if not PROCESS_MARKED:
        warnings.warn(f"`trustpublish {' '.join(args)}` ran as a process in a test not marked "
                      "`process`: mark it, or the fast tier (make test-fast) slows down",
                      stacklevel=3)
    proc = subprocess.run([sys.executable, "-m", "trustpublish", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr, args, in_process=False)


def reset_process_state() -> int:
    """Clear every ``functools`` cache defined in a loaded ``trustpublish`` module.

    A new process starts with empty caches; this gives an in-process call the same
    start. Returns how many caches were cleared (tests check it finds them).
    """
    cleared = 0
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "trustpublish" or name.startswith("trustpublish.")):
            continue
        for value in list(vars(module).values()):
            for candidate in _with_members(value, name):
                clear = getattr(candidate, "cache_clear", None)
                if callable(clear):
                    clear()
                    cleared += 1
    return cleared


def _with_members(value: object, module_name: str) -> list[object]:
    """``value`` and, for a class defined in ``module_name``, its (static/class) methods."""
    if getattr(value, "__module__", None) != module_name:
        return []
    if not isinstance(value, type):
        return [value]
    found: list[object] = [value]
    for member in vars(value).values():
        found.append(getattr(member, "__func__", member))
    return found


def _run_in_process(args: tuple[str, ...], cwd: Path, env: dict[str, str]) -> Run:
    from trustpublish.cli import main

    with _LOCK:
        saved_env = dict(os.environ)
        saved_cwd = os.getcwd()
        saved = sys.stdin, sys.stdout, sys.stderr
        out, err = _stream(), _stream()
        reset_process_state()
        _FORKS.clear()
        _ACTIVE.set()
        try:
            os.environ.clear()
            os.environ.update(env)
            os.chdir(cwd)
            sys.stdin, sys.stdout, sys.stderr = _stream(), out, err
            try:
                code = _exit_code(main(list(args)))
            except SystemExit as exc:
                code = _exit_code(exc.code)
        finally:
            _ACTIVE.clear()
            sys.stdin, sys.stdout, sys.stderr = saved
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        if _FORKS:
            raise AssertionError(f"`trustpublish {' '.join(args)}` forked {len(_FORKS)} worker "
                                 "process(es) inside the test process: run it with process=True "
                                 "and mark the test `process`")
        return Run(code, _text(out), _text(err), args)


def _exit_code(value: object) -> int:
    """The process exit status Python gives ``sys.exit(value)``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    sys.stderr.write(f"{value}\n")
    return 1


def _stream() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace",
                            write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    """What a reader of the pipe in text mode sees (universal newlines)."""
    stream.flush()
    data = stream.buffer.getvalue().decode("utf-8", errors="replace")  # type: ignore[attr-defined]
    return data.replace("\r\n", "\n").replace("\r", "\n")
