"""Write src/trustpublish/content/privacy/first_names.txt from the installed gender-guesser.

The privacy guard's first-name list is derived from gender-guesser's ``nam_dict.txt``
(4 MB); shipping the derived list makes the guard's first use ten times cheaper. Run
this after changing gender-guesser's version or the derivation in ``names.py``
(tests/test_privacy_names_file.py fails until the file is rebuilt):

    .venv/bin/python scripts/build_first_names.py
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from trustpublish.content.privacy import names
from trustpublish.files import write_atomic


def main() -> None:
    source = files("gender_guesser").joinpath("data", "nam_dict.txt").read_bytes()
    derived = names.derive_first_names(source)
    target = Path(names.__file__).with_name(names.NAMES_FILE)
    write_atomic(target, names.names_file_text(derived, source).encode("utf-8"))
    print(f"wrote {len(derived)} names to {target}")


if __name__ == "__main__":
    main()
