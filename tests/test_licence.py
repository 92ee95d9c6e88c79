"""Licences that say what they cover: MIT for the code, the publishers' copyright for the articles."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .conftest import REPO
from .test_build import front_matter


def test_a_built_card_says_which_licence_covers_the_data(release_root: Path) -> None:
    card = (release_root / "1.0.0" / "README.md").read_text(encoding="utf-8")
    meta = front_matter(card)
    assert (meta["license"], meta["license_name"], meta["license_link"]) == (
        "other",
        "publishers-copyright",
        "LICENSE.md",
    )
    assert (release_root / "1.0.0" / meta["license_link"]).is_file()  # in the release, for a hub to link
    assert (REPO / "DATA-LICENSE").is_file()
    section = " ".join(card.split("\n## License\n", 1)[1].split())
    assert section.startswith("The data is not under the MIT licence of the vn_security_corpus code.")
    assert "remain the copyright of their publishers and authors" in section
    assert "do not redistribute the text" in section and "The full terms are in [LICENSE.md](LICENSE.md)" in section


def test_the_package_names_both_licences_and_what_each_covers() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT AND LicenseRef-Publishers-Copyright"
    assert project["license-files"] == ["LICENSE", "DATA-LICENSE"]
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    terms = " ".join((REPO / "DATA-LICENSE").read_text(encoding="utf-8").split())
    for covered in ("raw/", "vn_security_corpus/releases/", "That licence does not cover the articles."):
        assert covered in terms
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    licence = readme.split("\n## Licence\n", 1)[1].split("\n## ", 1)[0]
    assert "[LICENSE](LICENSE)" in licence and "[DATA-LICENSE](DATA-LICENSE)" in licence
