"""The package's shape: modules in layers along the data flow, the reading side apart from the
writer, and a light `import vn_security_corpus`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

PACKAGE = REPO / "vn_security_corpus"
# Each module may import only modules of earlier layers (at module level or inside functions).
LAYERS = [
    {"_version", "errors", "package_data", "repairs", "timings"},
    {"text", "pii"},
    {"decode", "metadata"},
    {"schema", "language"},
    {"formats", "sources"},
    {"normalise"},
    {"records", "neardup"},
    {"dedup", "split", "release"},
    {"verify", "stats", "diff", "leakage"},
    {"load", "plots", "fetch"},
    {"card", "shards"},
    {"croissant"},
    {"extras"},
    {"publish", "engine", "push"},
    {"clusters"},
    {"pipeline"},
    {"cli", "__init__"},
    {"__main__"},
]
# Deliberate calls into a later module, each with its reason.
ALLOWED = {
    ("release", "fetch"): "a URL root: open_release has fetch copy the release, then opens the local copy",
}
READING_SIDE = {"release", "verify", "load"}
WRITER = {"publish", "shards", "pipeline", "engine", "records", "card"}


def internal_imports(module: str) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its code (imports for type
    checking only, under ``if TYPE_CHECKING:``, do not run and are not counted)."""
    found = set()
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vn_security_corpus."):
            found.add(str(node.module).split(".")[1])
    return found


def test_every_module_has_a_layer() -> None:
    assert {path.stem for path in PACKAGE.glob("*.py")} == set().union(*LAYERS)


def test_no_module_imports_a_later_stage() -> None:
    layer_of = {module: index for index, layer in enumerate(LAYERS) for module in layer}
    upward = [
        f"{module} imports {imported}"
        for module, layer in layer_of.items()
        for imported in internal_imports(module)
        if layer_of[imported] >= layer and imported != module and (module, imported) not in ALLOWED
    ]
    assert upward == []


def test_the_reading_side_imports_nothing_of_the_writer() -> None:
    reached, todo = set(), list(READING_SIDE)
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(internal_imports(module))
    assert reached & WRITER == set()


def test_importing_the_library_stays_light(tmp_path: Path) -> None:
    code = (
        "import sys, vn_security_corpus; "
        "print(sorted(m for m in ('jsonschema', 'yaml', 'tqdm', 'multiprocessing', 'pandas', 'datasets', "
        "'vn_security_corpus.publish', 'vn_security_corpus.pipeline') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.strip() == "[]"
