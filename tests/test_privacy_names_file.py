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
    assert names.names_from(SHIPPED, SOURCE) == names.NameSet(derived)
    assert names.first_names() == names.NameSet(derived)


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
        assert names.names_from(text, SOURCE) == names.NameSet(derived), why
    # a list derived from another version of gender-guesser's file is not used either
    other = SOURCE.replace(b"Maria", b"Mariz", 1)
    assert b"Mariz" in other
    assert names.names_from(SHIPPED, other) == names.NameSet(names.derive_first_names(other))
    assert names.names_from(SHIPPED, other) != names.NameSet(derived)
    assert "mariz" in names.names_from(SHIPPED, other) and "mariz" not in names.first_names()


def test_the_compact_set_answers_like_the_frozenset_of_the_names():
    derived = names.derive_first_names(SOURCE)
    compact = names.first_names()
    assert isinstance(compact, names.NameSet) and len(compact) == len(derived)
    assert all(name in compact for name in derived)
    # near misses of every name, other cases, words and non-strings: none is a name
    others = {variant for name in derived
              for variant in (name + "x", "x" + name, name[:-1], name.upper(), name.title())}
    others |= {"", "the", "therapy", "session", "diagnosis", "client", "and"}
    others -= derived
    assert len(others) > 4 * len(derived)
    assert not any(word in compact for word in others)
    assert 12345 not in compact and None not in compact


def test_the_compact_set_is_built_a_part_at_a_time_like_a_split():
    text = "\n".join(f"name{i}" for i in range(5000)) + "\n\nlast\n"
    assert [line for part in names._parts(text, 100) for line in part] == text.split("\n")
    assert names.NameSet.of_lines(text) == names.NameSet(text.split("\n"))
    assert names.NameSet.of_lines("") == names.NameSet([""])
    smaller = names.NameSet(text.split("\n")[1:])
    assert smaller != names.NameSet.of_lines(text) and "name0" not in smaller


def test_the_compact_set_stays_in_its_process():
    import pickle

    import pytest

    with pytest.raises(TypeError, match="in each process"):
        pickle.dumps(names.first_names())


def test_a_set_of_sorted_lines_answers_by_bisection_first_then_by_hashes() -> None:
    """A process that looks up few words (one edited post) never builds the hashes; the
    answers are the same before and after they are built."""
    shipped = files(names.__package__).joinpath(names.NAMES_FILE).read_text(encoding="utf-8")
    body = shipped.partition("\n")[2]
    lines = body.split("\n")
    truth = set(lines)
    probe = [*lines[::97], lines[0], lines[-1], *(w + "x" for w in lines[::101]),
             *(w[:-1] for w in lines[::103]), "", "a", "zzzzzz", "Maria", "maria", "a\nb",
             "\uffff", " anna", "anna "]
    for text in (body, "b\nc", "", "\nb"):  # sorted lines, as the names file has them
        words = set(text.split("\n"))
        found = names.NameSet.of_lines(text)
        asked = probe if text is body else [*probe, "b", "c"]
        assert len(asked) < found.TEXT_LOOKUPS
        assert [w in found for w in asked] == [w in (truth if text is body else words)
                                               for w in asked]
        assert found._text is not None  # still the text: no hash built
        for _ in range(found.TEXT_LOOKUPS):
            "maria" in found  # noqa: B015 (each lookup counts)
        assert found._text is None  # built now
        assert [w in found for w in asked] == [w in (truth if text is body else words)
                                               for w in asked]
        assert found == names.NameSet(text.split("\n"))
