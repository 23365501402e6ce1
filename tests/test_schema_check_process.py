"""schedule.yaml's schema check runs in a forked child in a command's process, so the
process never loads jsonschema, and the child's answer is the one the check gives here.

Each test runs a fresh interpreter: in pytest's process the check does not fork
(tests/conftest.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import run_cli
from trustpublish.content.yamlsource import load_yaml
from trustpublish.plan.schema import first_violation

pytestmark = pytest.mark.process

BROKEN = {
    "unknown top-level key": "sitee:\n  title: x\n",
    "unknown nested key": "site:\n  title: x\n  url: https://example.org\n  colour: red\n",
    "wrong type": "site:\n  title: 5\n  url: https://example.org\n",
    "bad timetable entry": "timetable:\n  - {channel: feed, every: monday}\n",
    "valid": "site:\n  title: Clinic\n  url: https://example.org\n",
}

_CHILD = r"""
import json, sys, threading
from pathlib import Path
from trustpublish.content.yamlsource import load_yaml
from trustpublish.plan.schema import first_violation
results = {}
for name, text in json.loads(sys.stdin.read()).items():
    data, lines = load_yaml(text)
    results[name] = first_violation(data, lines)
print(json.dumps({"results": results, "jsonschema_loaded": "jsonschema" in sys.modules,
                  "threads": threading.active_count()}))
"""


def test_the_forked_check_gives_the_answer_of_the_check_in_this_process() -> None:
    done = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(BROKEN),
                          capture_output=True, text=True, check=True, timeout=120)
    report = json.loads(done.stdout)
    assert report["threads"] == 1 and not report["jsonschema_loaded"]  # it forked
    for name, text in BROKEN.items():
        data, lines = load_yaml(text)
        expected = first_violation(data, lines, fork=False)
        assert report["results"][name] == (list(expected) if expected else None), name
    assert report["results"]["valid"] is None
    assert report["results"]["unknown top-level key"][0] == "unknown key"


def test_a_build_never_loads_jsonschema_and_still_names_a_bad_key(project: Path) -> None:
    probe = ("import sys, atexit\n"
             "atexit.register(lambda: print('JSONSCHEMA', 'jsonschema' in sys.modules))\n"
             "from trustpublish.cli import main\nmain()\n")
    ok = subprocess.run([sys.executable, "-c", probe, "--now", "2026-03-01T00:00", "build"],
                        cwd=project, capture_output=True, text=True, timeout=300, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "JSONSCHEMA False" in ok.stdout
    config = project / "schedule.yaml"
    config.write_text(config.read_text().replace("site:", "sitee:", 1))
    bad = run_cli("check", cwd=project, process=True)
    assert bad.code != 0
    said = bad.out + bad.err
    assert "schedule.yaml:6: sitee: unknown key" in said and "did you mean `site`?" in said
    assert "Traceback" not in said
