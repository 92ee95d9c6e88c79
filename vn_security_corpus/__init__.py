"""vn_security_corpus: raw Vietnamese public-security news → a versioned, validated ML dataset.

>>> import vn_security_corpus as vnsc
>>> table = vnsc.load_table()            # the newest release shipped in the package
>>> sorted(set(table.column("split").to_pylist())) == sorted(vnsc.info()["splits"])
True
"""

from ._version import __version__
from .errors import BuildError, ConfigError, CorpusError, InvalidInputError, Problem, ReleaseError, RewriteWarning
from .load import info, load_dataset, load_pandas, load_table, versions
from .pipeline import BuildReport, build
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
    "expand_abbreviations",
    "info",
    "load_dataset",
    "load_pandas",
    "load_table",
    "to_tone_style",
    "verify_release",
    "versions",
]
