"""Files shipped inside the package (tables, releases, schemas), found through ``importlib.resources``.

>>> package_file("data", "provinces.json").is_file()
True
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def package_file(*parts: str) -> Path:
    """The path of a file or folder shipped inside the package (installed as files, not zipped)."""
    return Path(str(importlib.resources.files(__package__).joinpath(*parts)))
