"""The shipped first-name list (content/privacy/first_names.txt) is exactly the one derived
from the installed gender-guesser, and a missing, corrupt or outdated list is never used."""

from __future__ import annotations

from importlib.resources import files

from trustpublish.content.privacy import names

SOURCE = files("gender_guesser").joinpath("data", "nam_dict.txt").read_bytes()
SHIPPED = files("trustpublish.content.privacy").joinpath(names.NAMES_FILE).read_text(
    encoding="utf-8")


def test_the_shipped_list_is_the_one_derived_from_the_installed_source():
    derived = names.derive_first_names(SOURCE)
    assert SHIPPED == names.names_file_text(derived, SOURCE), (
        "run .venv/bin/python scripts/build_first_names.py")
    assert names.names_from(SHIPPED, SOURCE) == derived
    assert names.first_names() == derived


def test_a_damaged_or_outdated_list_falls_back_to_the_source():
    derived = names.derive_first_names(SOURCE)
    header, _, body = SHIPPED.partition("\n")
    damaged = {
        "missing": None,
        "empty": "",
        "truncated": SHIPPED[: len(SHIPPED) // 2],
        "one name changed": SHIPPED.replace("\nmaria\n", "\nmario-x\n"),
        "one name added": SHIPPED + "\nzz top",
        "no header": body,
    }
    for why, text in damaged.items():
        assert names.names_from(text, SOURCE) == derived, why
    # a list derived from another version of gender-guesser's file is not used either
    other = SOURCE.replace(b"Maria", b"Mariz", 1)
    assert b"Mariz" in other
    assert names.names_from(SHIPPED, other) == names.derive_first_names(other)
    assert names.names_from(SHIPPED, other) != derived
