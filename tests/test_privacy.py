"""The privacy guard: what it finds, where, and how staff approve a false alarm."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from support import SAMPLE_POST, run_cli

from trustpublish.content.markup import parse_blocks
from trustpublish.content.privacy import PrivacyRules, blocking_findings, scan_post
from trustpublish.content.readers import read_post

RULES = PrivacyRules.for_site("https://harborview-counseling.example/blog", names=["Jane Roe"])
LEAKY = """Our client Jane Roe (DOB: 03/14/1988, MRN 00123456) called 312-555-0142.
She lives at 42 Elm Street and wrote from jane.roe@gmail.com; SSN 123-45-6789.

Write to news@harborview-counseling.example, call 988 any time; 1,200 clients in 2024."""


def post_with(markdown: str, **changes):
    base = read_post(SAMPLE_POST)
    return dataclasses.replace(base, body=tuple(parse_blocks(markdown, first_line=20)), **changes)


def test_sample_post_is_clean():
    assert scan_post(read_post(SAMPLE_POST), RULES) == []


def test_finds_each_kind_with_its_line():
    found = {(f.kind, f.text, f.line) for f in scan_post(post_with(LEAKY), RULES)}
    assert found == {
        ("name", "Jane Roe", 20), ("birthdate", "DOB: 03/14/1988", 20),
        ("record", "MRN 00123456", 20), ("phone", "312-555-0142", 20),
        ("address", "42 Elm Street", 21), ("email", "jane.roe@gmail.com", 21),
        ("id-number", "SSN 123-45-6789", 21),
    }


def test_the_clinics_own_address_crisis_lines_and_numbers_are_not_findings():
    assert scan_post(post_with("Write to news@harborview-counseling.example or call 988. "
                               "We saw 1,200 clients in 2024 and 35% improved."), RULES) == []


def test_findings_can_be_approved_per_post_or_site_wide():
    post = post_with("Call the front desk at (312) 555-0100 to book.")
    [finding] = blocking_findings(post, RULES)
    assert finding.key == "phone:+13125550100"
    assert blocking_findings(dataclasses.replace(post, privacy_ok=(finding.key,)), RULES) == []
    site_wide = dataclasses.replace(RULES, allow=("(312) 555-0100",))
    assert blocking_findings(post, site_wide) == []


def test_check_reports_findings_with_file_line_and_the_approval_to_add(project: Path):
    leaky = project / "posts" / "leaky.md"
    leaky.write_text("---\ntitle: A story\ndate: 2025-02-01\nstatus: approved\n---\n\n"
                     "## Case\n\nWe helped a client, DOB 1988-03-14, feel safe.\n", encoding="utf-8")
    result = run_cli("check", cwd=project)
    assert result.code == 1
    assert "posts/leaky.md:9: possible birthdate 'DOB 1988-03-14'" in result.out
    assert 'privacy_ok: ["birthdate:1988-03-14"]' in result.out
    # an approval in the old spelling (before keys were canonical) still means the same date
    text = leaky.read_text(encoding="utf-8").replace(
        "status: approved", 'status: approved\nprivacy_ok: ["birthdate:dob 1988-03-14"]')
    leaky.write_text(text, encoding="utf-8")
    assert run_cli("check", cwd=project).code == 0


@pytest.mark.slow
def test_a_held_post_is_never_planned_or_sent(project: Path):
    leaky = project / "posts" / "leaky.md"
    leaky.write_text("---\ntitle: A story\ndate: 2020-02-01\nstatus: approved\n---\n\n"
                     "## Case\n\nWe helped a client, DOB 1988-03-14, feel safe and heard again. "
                     + "Trust grew week by week. " * 30 + "\n", encoding="utf-8")
    import json

    plan = json.loads(run_cli("--now", "2026-11-27T10:00", "plan", "--days", "60", "--json",
                              cwd=project).out)
    assert plan and not any(e.startswith("a-story/") or e.startswith("leaky/")
                            for p in plan for e in p["excerpts"])
    assert run_cli("--now", "2026-12-01T09:05", "run", "--once", cwd=project).code == 0
    sent = " ".join(f.read_text(encoding="utf-8", errors="replace")
                    for f in (project / "outbox").rglob("*") if f.is_file())
    assert "1988-03-14" not in sent and "A story" not in sent
    # once staff approve the finding, the post joins the queue (first: it is the oldest)
    leaky.write_text(leaky.read_text(encoding="utf-8").replace(
        "status: approved", 'status: approved\nprivacy_ok: ["birthdate:dob 1988-03-14"]'),
        encoding="utf-8")
    plan = json.loads(run_cli("--now", "2026-12-02T10:00", "plan", "--days", "60", "--json",
                              cwd=project).out)
    assert any(e.startswith("leaky/") for p in plan for e in p["excerpts"])


def test_a_held_post_stays_out_of_the_feeds(project: Path):
    (project / "posts" / "leaky.md").write_text(
        "---\ntitle: A story\ndate: 2020-02-01\nstatus: approved\n---\n\n## Case\n\n"
        "Call Jane at 312-555-0142 to hear more about it.\n", encoding="utf-8")
    assert run_cli("--now", "2026-11-27T10:00", "build", "--only", "feeds", cwd=project).code == 0
    atom = (project / "dist" / "feeds" / "atom.xml").read_text(encoding="utf-8")
    assert "A story" not in atom and "555-0142" not in atom
    assert "The importance of building trust" in atom


CLINIC = PrivacyRules.for_site(
    "https://harborview-counseling.example/blog", allow=["(312) 555-0100"],
    own=["Harborview Counseling, 1200 Lakeshore Ave, Suite 300, Chicago, IL 60601",
         "312.555.0199"])


def test_an_allowed_phone_matches_in_any_format():
    for written in ("312-555-0100", "(312) 555-0100", "+13125550100", "3125550100",
                    "+1 312 555 0100", "312.555.0199", "1-312-555-0199"):
        assert blocking_findings(post_with(f"Call {written} to book."), CLINIC) == [], written
    [other] = blocking_findings(post_with("Call 312-555-0101 to book."), CLINIC)
    assert other.key == "phone:+13125550101"


def test_the_clinics_postal_address_is_allowed_in_any_spelling_and_others_are_not():
    for written in ("1200 Lakeshore Ave", "1200 Lakeshore Avenue",
                    "1200 Lakeshore Ave., Suite 300"):
        assert blocking_findings(post_with(f"Visit us at {written}."), CLINIC) == [], written
    [other] = blocking_findings(post_with("She lives at 1300 Lakeshore Ave."), CLINIC)
    assert (other.kind, other.key) == ("address", "address:1300 lakeshore")


def test_an_approval_hides_only_the_finding_it_names():
    post = post_with("Call her at 773-555-0143 or her brother at 773-555-0144.")
    keys = {f.key for f in blocking_findings(post, CLINIC)}
    assert keys == {"phone:+17735550143", "phone:+17735550144"}
    approved = dataclasses.replace(post, privacy_ok=("(773) 555-0143",))
    assert [f.key for f in blocking_findings(approved, CLINIC)] == ["phone:+17735550144"]
    # an approval written the old way (digits only) still means the same number
    old = dataclasses.replace(post, privacy_ok=("phone:7735550143", "phone:7735550144"))
    assert blocking_findings(old, CLINIC) == []


def test_front_matter_fields_are_scanned_and_named():
    post = dataclasses.replace(
        read_post(SAMPLE_POST), tags=("anxiety", "DOB 03/14/1987"), author="Sam 123 45 6789",
        url="https://harborview-counseling.example/blog/x?from=maria.lopez87@gmail.com",
        slug="maria-lopez-312-555-0187", image="images/mrn-00123456.png",
        image_alt="The door of 4821 N. Winthrop Ave.")
    found = {(f.field, f.kind) for f in scan_post(post, RULES)}
    assert {("tags", "birthdate"), ("author", "id-number"), ("url", "email"), ("slug", "phone"),
            ("image", "record"), ("image_alt", "address")} <= found


def test_the_first_name_list_is_gender_guessers_own() -> None:
    """The names are read straight from gender-guesser's data file (fast); the set is the
    one its Detector builds."""
    from gender_guesser.detector import Detector

    from trustpublish.content.privacy.names import first_names

    from trustpublish.content.privacy.names import NameSet

    expected = frozenset(n for n in Detector(case_sensitive=False).names if len(n) > 1)
    assert first_names() == NameSet(expected)
    assert all(n in first_names() for n in ("maria", "abdal salam", "abdal-salam", "abdalsalam"))
    assert "therapy" not in first_names()
