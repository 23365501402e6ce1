"""The digest HTML only uses features caniemail marks as supported in the target clients,
apart from the progressive enhancements listed and justified in the allowlist file.

The data is the npm package ``caniemail`` (data from caniemail.com), fetched by
``make test-data`` (run by ``make test``) into ``.cache/caniemail/``.
Never skipped in CI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from support.caniemail import features
from support import ROOT
from support.digest import IN_CI, NOW, sample_project, seed_issue

from trustpublish.render.digest import compose_issue, preview_recipient, render_issue
from trustpublish.render.templating import DEFAULTS_DIR

DATA = Path(os.environ.get("TRUSTPUBLISH_CANIEMAIL_JSON",
                           ROOT / ".cache" / "caniemail" / "caniemail-2.0.2.json"))
ALLOWLIST = DEFAULTS_DIR / "email" / "progressive-enhancements.yaml"
TARGETS = [("gmail", "desktop-webmail"), ("gmail", "ios"), ("gmail", "android"),
           ("outlook", "windows"), ("outlook", "outlook-com"),
           ("apple-mail", "macos"), ("apple-mail", "ios")]


@pytest.fixture(scope="module")
def caniemail() -> dict[str, dict]:
    if not DATA.is_file():
        message = f"caniemail data missing at {DATA}; run `make test-data`"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {f["slug"]: f for f in json.loads(DATA.read_text(encoding="utf-8"))["data"]}


def unsupported_in(feature: dict) -> list[str]:
    """Targets whose newest caniemail result is neither supported (y) nor partial (a)."""
    bad = []
    for family, platform in TARGETS:
        results = feature["stats"].get(family, {}).get(platform)
        if not results:
            continue
        newest = results[list(results)[-1]]
        if not newest.startswith(("y", "a")):
            bad.append(f"{family}/{platform}: {newest}")
    return bad


def digest_html(tmp_path: Path) -> str:
    """Everything the default template can emit: the seed issue plus an image and a link."""
    project = sample_project(tmp_path)
    seed = seed_issue(project, count=3)
    excerpt = project.excerpts(project.posts[0])[0]
    from dataclasses import replace

    extra = replace(excerpt, body=excerpt.body + "\n\n![A photo](https://x.example/a.png) "
                    "and [a link](https://x.example/more)\n")
    rich = render_issue(compose_issue(project, "newsletter", {"from": "C <c@x.example>"}, [extra],
                                      number=2, now=NOW))
    return "\n".join(r.fill(preview_recipient(r.issue))[0] for r in (seed, rich))


def test_allowlist_is_justified() -> None:
    allow = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8"))
    for section in ("progressive_enhancements", "no_caniemail_entry"):
        for slug, why in allow[section].items():
            assert isinstance(why, str) and len(why.split()) >= 2, f"{slug} needs a reason"


def test_digest_uses_only_supported_features_or_listed_enhancements(tmp_path, caniemail) -> None:
    allow = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8"))
    enhancements = set(allow["progressive_enhancements"])
    no_entry_ok = set(allow["no_caniemail_entry"])
    used = set()
    for html in digest_html(tmp_path).split("\n<!DOCTYPE html>"):
        used |= features(html if html.startswith("<!DOCTYPE") else "<!DOCTYPE html>" + html)
    problems = {slug: unsupported_in(caniemail[slug]) for slug in used if slug in caniemail}
    problems = {slug: bad for slug, bad in problems.items() if bad and slug not in enhancements}
    assert not problems, ("features unsupported in target clients; remove them or list and "
                          f"justify them in {ALLOWLIST.name}: {problems}")
    unknown = sorted(slug for slug in used if slug not in caniemail and slug not in no_entry_ok)
    assert not unknown, f"features with no caniemail entry, not in the allowlist: {unknown}"
    stale = sorted((enhancements | no_entry_ok) - used)
    assert not stale, f"allowlist entries the HTML no longer uses: {stale}"
    needed = sorted(slug for slug in enhancements if slug in caniemail)
    assert all(unsupported_in(caniemail[slug]) for slug in needed), \
        "an allowlisted feature is now supported everywhere; remove it from the allowlist"
