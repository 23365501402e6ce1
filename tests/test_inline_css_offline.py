"""CSS inlining never loads the HTTP stack: premailer imports ``requests`` only to fetch
external stylesheets, which the digest never lets it do (see
``trustpublish.render.digest.render._premailer``). Fresh interpreters: pytest's
process may have loaded requests already."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.process

_PROBE = r"""
import json, sys
from trustpublish.render.digest.render import inline_css
html = ('<html><head><style>p{color:red} @media (max-width:600px){p{color:blue}}</style>'
        '<link rel="stylesheet" href="http://192.0.2.1/remote.css"></head>'
        '<body><p>Hi</p></body></html>')
out = inline_css(html)
loaded = sorted(m for m in ("requests", "urllib3", "charset_normalizer", "chardet")
                if m in sys.modules)
import premailer.premailer
stand_in = premailer.premailer.requests
import requests  # the channel adapters' import: the real package
print(json.dumps({"out": out, "loaded": loaded, "real_get": callable(requests.get),
                  "real_module": requests.__file__.endswith("__init__.py"),
                  "stand_in_is_not_real": stand_in is not requests,
                  "stand_in_forwards": stand_in.Session is requests.Session}))
"""


def _probe(code: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout)


def test_inlining_loads_no_http_library_and_leaves_requests_importable() -> None:
    report = _probe(_PROBE)
    assert 'style="color:red"' in report["out"]  # inlined
    assert "@media" in report["out"]  # media rules stay in a <style> block
    assert report["loaded"] == []
    assert report["real_get"] and report["real_module"] and report["stand_in_is_not_real"]
    assert report["stand_in_forwards"]  # premailer's name would load the real one if used


def test_when_requests_is_already_loaded_premailer_gets_it() -> None:
    report = _probe("import requests\n" + _PROBE)
    assert "requests" in report["loaded"]
    assert not report["stand_in_is_not_real"]


def test_with_other_threads_running_premailer_gets_the_real_requests() -> None:
    code = ("import threading, time\n"
            "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n" + _PROBE)
    report = _probe(code)
    assert "requests" in report["loaded"] and not report["stand_in_is_not_real"]
