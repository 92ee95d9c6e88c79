"""vn_security_corpus: raw Vietnamese public-security news → a versioned, validated ML dataset.

The public API, imported lazily: ``import vn_security_corpus`` stays light, and each
function's module (and pyarrow, datasets, the build's dependencies) is imported on first use.

>>> import vn_security_corpus as vnsc
>>> table = vnsc.load_table()            # the newest release shipped in the package
>>> sorted(set(table.column("split").to_pylist())) == sorted(vnsc.info()["splits"])
True
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import BuildError, ConfigError, CorpusError, InvalidInputError, Problem, ReleaseError, RewriteWarning

if TYPE_CHECKING:
    from .diff import diff_releases
    from .leakage import check_leakage
    from .load import info, load_dataset, load_pandas, load_table
    from .pipeline import BuildReport, build
    from .push import push_release
    from .release import versions
    from .text import expand_abbreviations, to_tone_style
    from .verify import verify_release

__all__ = [
    "BuildError",
    "BuildReport",
    "ConfigError",
    "CorpusError",
    "InvalidInputError",
    "Problem",
    "ReleaseError",
    "RewriteWarning",
    "__version__",
    "build",
    "check_leakage",
    "diff_releases",
    "expand_abbreviations",
    "info",
    "load_dataset",
    "load_pandas",
    "load_table",
    "push_release",
    "to_tone_style",
    "verify_release",
    "versions",
]


def __getattr__(name: str) -> Any:
    module: ModuleType
    if name in ("info", "load_dataset", "load_pandas", "load_table"):
        from . import load as module
    elif name == "versions":
        from . import release as module
    elif name in ("build", "BuildReport"):
        from . import pipeline as module
    elif name in ("expand_abbreviations", "to_tone_style"):
        from . import text as module
    elif name == "diff_releases":
        from . import diff as module
    elif name == "push_release":
        from . import push as module
    elif name == "check_leakage":
        from . import leakage as module
    elif name == "verify_release":
        from . import verify as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
