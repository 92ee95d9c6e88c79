"""Supported systems: building needs Linux; loading and verifying use nothing Linux-only."""

from __future__ import annotations

import subprocess
import sys

# Run in a process where the Linux-only pieces of a build are missing: `fcntl` (the output
# folder's lock) cannot be imported and `ctypes.CDLL` (renameat2, prctl, malloc_trim) fails.
WITHOUT_LINUX = """
import ctypes, sys
sys.modules["fcntl"] = None
def no_libc(*args, **kwargs):
    raise OSError("no Linux C library on this system")
ctypes.CDLL = no_libc
try:
    import fcntl
except ImportError:
    pass
else:
    raise SystemExit("fcntl can still be imported")
import vn_security_corpus as vnsc
from vn_security_corpus.cli import main
from vn_security_corpus.release import PACKAGE_RELEASES
version = vnsc.versions()[-1]
assert vnsc.load_table().num_rows == vnsc.info()["counts"]["published"]
assert vnsc.verify_release(PACKAGE_RELEASES / version) == []
assert main(["verify", str(PACKAGE_RELEASES / version)]) == 0
print("loaded", version)
"""


def test_loading_and_verifying_use_nothing_linux_only() -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_LINUX], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("loaded ")
