"""The guard against a labelled corpus: recall >= 98%, false alarms <= 5%.

Passages are in ``tests/privacy_corpus/`` (see its README). A positive counts as
caught only when a finding of the expected kind blocks it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml

from trustpublish.content.privacy import PrivacyRules, blocking_findings
from trustpublish.content.markup import parse_blocks
from trustpublish.content.model import Post

CORPUS = Path(__file__).parent / "privacy_corpus"
RULES = PrivacyRules.for_site(
    "https://harborview-counseling.example/blog", allow=["312-555-0101", "Kristin Neff"],
    own=["Harborview Counseling, 1200 Lakeshore Ave, Suite 300, Chicago, IL 60601",
         "(312) 555-0100"])
BASE = Post(source=Path("posts/corpus.md"), title="Notes from the clinic",
            date=dt.datetime(2025, 1, 7, 9, tzinfo=dt.UTC), slug="notes",
            url="https://harborview-counseling.example/blog/notes", body=())


def load(name: str) -> list[dict]:
    return yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))


def as_post(passage: dict) -> Post:
    fields = dict(passage.get("fields") or {})
    if "tags" in fields:
        fields["tags"] = tuple(str(t) for t in fields["tags"])
    body = tuple(parse_blocks(passage["text"], first_line=10)) if passage.get("text") else ()
    return dataclasses.replace(BASE, body=body, **fields)


def describe(passage: dict) -> str:
    return passage.get("text") or repr(passage.get("fields"))


def test_corpus_is_large_and_balanced():
    positives, negatives = load("positives.yaml"), load("negatives.yaml")
    assert len(positives) + len(negatives) >= 200
    assert min(len(positives), len(negatives)) >= 100
    assert sum("fields" in p for p in positives) >= 10  # front matter is covered


def test_recall_and_false_alarms(capsys: pytest.CaptureFixture[str]):
    positives, negatives = load("positives.yaml"), load("negatives.yaml")
    missed = []
    for passage in positives:
        kinds = {f.kind for f in blocking_findings(as_post(passage), RULES)}
        if passage["expect"] not in kinds:
            missed.append(f"missed {passage['expect']}: {describe(passage)} (found {kinds})")
    alarms = []
    for passage in negatives:
        findings = blocking_findings(as_post(passage), RULES)
        if findings:
            alarms.append(f"false alarm {[(f.kind, f.text) for f in findings]}: "
                          f"{describe(passage)}")
    recall = 1 - len(missed) / len(positives)
    false_alarms = len(alarms) / len(negatives)
    with capsys.disabled():
        print(f"\nprivacy corpus: recall {recall:.1%} ({len(positives) - len(missed)}/"
              f"{len(positives)}), false alarms {false_alarms:.1%} ({len(alarms)}/"
              f"{len(negatives)})")
        for line in missed + alarms:
            print("  " + line)
    assert recall >= 0.98, "\n".join(missed)
    assert false_alarms <= 0.05, "\n".join(alarms)
