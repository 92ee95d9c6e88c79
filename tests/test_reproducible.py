"""Reproducible across environments: time zone, locale, hash seed and working directory change no byte."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .conftest import RAW_FILES


def test_builds_in_different_environments_give_identical_bytes(raw_copy: Callable[..., Path], tmp_path: Path) -> None:
    raw = raw_copy()  # with a duplicate, a bad file and a JSON Lines file: the manifest lists them all
    (raw / "dup.txt").write_bytes(codecs.BOM_UTF8 + RAW_FILES[2].read_bytes().replace(b"\n", b"\r\n"))
    (raw / "bad.txt").write_text(" date 2020-13 Tiêu đề\n\nThân bài.\n", encoding="utf-8")
    (raw / "more.jsonl").write_text(
        json.dumps({"title": "Tin ngắn", "body": "Sáng 5/9, Công an tỉnh Hà Tĩnh họp.", "date": "2024-09-05"})
        + "\n{}\n",
        encoding="utf-8",
    )
    environments = [
        ({"TZ": "UTC", "LC_ALL": "C", "PYTHONHASHSEED": "0"}, tmp_path / "a", os.path.relpath(raw, tmp_path / "a")),
        ({"TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "4242"}, tmp_path / "b" / "c", str(raw)),
    ]
    releases = []
    for variables, cwd, raw_argument in environments:
        cwd.mkdir(parents=True)
        options = ["--allow-invalid", "--raw", raw_argument, "--out", "out", "--release-version", "1.0.0"]
        done = subprocess.run(
            [sys.executable, "-m", "vn_security_corpus", "build", *options],
            cwd=cwd,
            env={**os.environ, **variables},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        releases.append(cwd / "out" / "1.0.0")

    first, second = (
        {p.relative_to(r).as_posix(): p.read_bytes() for p in r.rglob("*") if p.is_file()} for r in releases
    )
    assert first == second
    manifest = json.loads(first["manifest.json"])
    assert manifest["counts"] == {"inputs": 9, "published": 6, "rejected": 2, "duplicates": 1, "near_duplicates": 0}
