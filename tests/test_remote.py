"""Raw folders given by fsspec URL: listed and read through fsspec, with the same records, the
same release bytes and the same accounting as a local folder; clear errors when the URL is unusable."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from vn_security_corpus import build, sources
from vn_security_corpus.cli import main
from vn_security_corpus.errors import ConfigError
from vn_security_corpus.formats import RawArticle, Rejected
from vn_security_corpus.records import read_file_inputs, read_inputs
from vn_security_corpus.sources import RawFile, RemoteFolder, find_raw_files, raw_location

from .conftest import RAW_DIR, RAW_FILES
from .test_scale import release_bytes


class WatchedMemory(MemoryFileSystem):  # type: ignore[misc]
    """fsspec's in-memory file system, noting each batch fetched and each file opened, and failing
    to fetch the files named in ``unreachable`` (their opening fails too)."""

    protocol = "watchedmemory"
    calls: ClassVar[list[tuple[str, list[str]]]] = []
    unreachable: ClassVar[set[str]] = set()

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        return super()._strip_protocol(path.removeprefix("watchedmemory://") if isinstance(path, str) else path)

    def cat_ranges(self, paths: list[str], starts: Any, ends: Any, **options: Any) -> list[Any]:
        self.calls.append(("fetch", paths))
        contents = super().cat_ranges(paths, starts, ends, **options)
        return [
            OSError("connection reset") if path in self.unreachable else c
            for path, c in zip(paths, contents, strict=True)
        ]

    def _open(self, path: str, mode: str = "rb", **options: Any) -> Any:
        self.calls.append(("open", [path]))
        if path in self.unreachable:
            raise OSError("connection reset")
        return super()._open(path, mode, **options)


fsspec.register_implementation("watchedmemory", WatchedMemory, clobber=True)


@pytest.fixture
def memory_raw() -> Iterator[str]:
    """raw/ copied into fsspec's in-memory file system (this process only); its URL."""
    memory = fsspec.filesystem("memory")
    root = f"/raw-{uuid.uuid4().hex}"
    for path in RAW_FILES:
        memory.pipe_file(f"{root}/{path.name}", path.read_bytes())
    yield f"memory://{root}"
    memory.rm(root, recursive=True)


def test_a_url_folder_gives_the_release_of_the_local_folder(memory_raw: str, tmp_path: Path) -> None:
    local = build(RAW_DIR, tmp_path / "local", "1.0.0", jobs=1)
    remote = build(memory_raw, tmp_path / "remote", "1.0.0", jobs=1)
    assert remote.published == local.published == len(RAW_FILES) and remote.notices == []
    assert release_bytes(remote.path) == release_bytes(local.path)


def test_listing_skips_folders_with_a_notice_and_reads_json_lines(memory_raw: str) -> None:
    memory = fsspec.filesystem("memory")
    root = memory_raw.removeprefix("memory://")
    memory.pipe_file(f"{root}/nested/x.txt", RAW_FILES[0].read_bytes())
    objects = [{"title": f"Tiêu đề {n}", "paragraphs": [f"Đoạn văn số {n}."]} for n in range(3)]
    memory.pipe_file(f"{root}/more.jsonl", "\n".join(json.dumps(o, ensure_ascii=False) for o in objects).encode())
    files, notices = find_raw_files(raw_location(memory_raw))
    assert [raw.name for raw in files] == sorted([*(p.name for p in RAW_FILES), "more.jsonl"])
    assert notices == [
        f"{memory_raw}/nested: skipped: a folder (raw files are read from the top level of the raw folder only)"
    ]
    articles = list(read_file_inputs(files[-1]))
    lines = [article.line_of("") for article in articles if isinstance(article, RawArticle)]
    assert files[-1].name == "more.jsonl" and lines == [1, 2, 3]


def test_a_remote_file_over_the_limit_is_rejected_with_its_checksum(memory_raw: str) -> None:
    (raw,) = (raw for raw in find_raw_files(raw_location(memory_raw))[0] if raw.name == RAW_FILES[1].name)
    (rejected,) = read_file_inputs(raw, max_file_bytes=100)
    assert isinstance(rejected, Rejected)
    data = RAW_FILES[1].read_bytes()
    assert rejected.sha256 == hashlib.sha256(data).hexdigest()
    assert str(rejected.problems[0]).startswith(
        f"{memory_raw}/{raw.name}: the file is {len(data):,} bytes, over the size limit of 100 bytes"
    )


def test_a_remote_file_gone_since_the_listing_is_rejected(memory_raw: str) -> None:
    files, _ = find_raw_files(raw_location(memory_raw))
    fsspec.filesystem("memory").rm(f"{memory_raw.removeprefix('memory://')}/{files[0].name}")
    (rejected,) = read_file_inputs(files[0])
    assert isinstance(rejected, Rejected)
    assert rejected.sha256 is None
    assert rejected.problems[0].message.startswith("cannot be opened")
    assert rejected.problems[0].file == f"{memory_raw}/{files[0].name}"


def test_unusable_urls_are_config_errors_naming_them(tmp_path: Path) -> None:
    missing = f"memory:///nothing-{uuid.uuid4().hex}"
    with pytest.raises(ConfigError, match=f"^{missing}: the raw folder does not exist or is not a folder$"):
        build(missing, tmp_path / "out", "1.0.0")
    with pytest.raises(ConfigError, match=r"^nosuch://x/raw: Protocol not known: nosuch; give a folder, or a URL"):
        find_raw_files(raw_location("nosuch://x/raw"))
    with pytest.raises(ConfigError, match=r"no-archive\.zip: cannot be opened: No such file or directory$"):
        find_raw_files(raw_location(f"zip://raw::{tmp_path / 'no-archive.zip'}"))
    assert not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match=r"^s3://bucket/releases: releases are written to a folder"):
        build(RAW_DIR, "s3://bucket/releases", "1.0.0")
    assert not Path("s3:").exists()


def test_a_protocol_whose_package_is_missing_says_which_to_install() -> None:
    if importlib.util.find_spec("ossfs") is not None:
        pytest.skip("ossfs is installed")
    message = r"^oss://bucket/raw: .*ossfs.* \(pip install it beside vn-security-corpus\)$"
    with pytest.raises(ConfigError, match=message):
        find_raw_files(raw_location("oss://bucket/raw"))


def test_file_urls_are_local_paths_and_remote_files_have_no_path() -> None:
    assert raw_location(f"file://{RAW_DIR}") == RAW_DIR
    raw = RawFile(RemoteFolder("memory:///raw"), "a.txt")
    assert raw.display == "memory:///raw/a.txt"
    with pytest.raises(ValueError, match="is a URL, not a local path"):
        raw.path  # noqa: B018


def test_cli_validates_and_builds_from_a_url(
    memory_raw: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", memory_raw]) == 0
    assert capsys.readouterr().err.endswith(f"{len(RAW_FILES)} inputs: {len(RAW_FILES)} valid, 0 invalid\n")
    fsspec.filesystem("memory").pipe_file(f"{memory_raw.removeprefix('memory://')}/copy.txt", RAW_FILES[2].read_bytes())
    code = main(
        ["build", "--raw", memory_raw, "--out", str(tmp_path), "--release-version", "1.0.0", "--jobs", "1", "-v"]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert f"{memory_raw}/copy.txt:1: exact duplicate of vnsc-" in err  # the first by name is kept


def test_remote_files_are_fetched_together_and_streams_opened(memory_raw: str, tmp_path: Path) -> None:
    root = memory_raw.removeprefix("memory://")
    memory = fsspec.filesystem("memory")
    memory.pipe_file(f"{root}/more.jsonl", json.dumps({"title": "Tiêu đề", "paragraphs": ["Đoạn."]}).encode())
    memory.pipe_file(f"{root}/big.txt", RAW_FILES[0].read_bytes() * 3)
    WatchedMemory.calls.clear()
    files, _ = find_raw_files(raw_location(f"watchedmemory://{root}"))
    max_bytes = RAW_FILES[0].stat().st_size * 2
    results = {raw.name: result for raw, result in read_inputs(files, max_file_bytes=max_bytes, ahead=4)}
    small = sorted(p.name for p in RAW_FILES)
    # files 000-003, then 004, big.txt, more.jsonl: each batch's small text files in one request, never opened
    fetched = [paths for kind, paths in WatchedMemory.calls if kind == "fetch"]
    assert fetched == [[f"{root}/{name}" for name in small[:4]], [f"{root}/{name}" for name in small[4:]]]
    opened = sorted(paths[0].rsplit("/", 1)[1] for kind, paths in WatchedMemory.calls if kind == "open")
    assert opened == ["big.txt", "more.jsonl"]  # refused unread (hashed as a stream), and streamed
    assert isinstance(results["more.jsonl"], RawArticle)
    assert isinstance(results["big.txt"], Rejected) and "over the size limit" in results["big.txt"].problems[0].message
    assert all(isinstance(results[name], RawArticle) for name in small)


def test_a_remote_file_that_fails_to_come_is_read_again_and_rejected_with_the_reason(memory_raw: str) -> None:
    root = memory_raw.removeprefix("memory://")
    WatchedMemory.unreachable = {f"{root}/{RAW_FILES[1].name}"}
    try:
        files, _ = find_raw_files(raw_location(f"watchedmemory://{root}"))
        results = [result for _, result in read_inputs(files)]
    finally:
        WatchedMemory.unreachable = set()
    assert [type(result) for result in results] == [RawArticle, Rejected, RawArticle, RawArticle, RawArticle]
    rejected = results[1]
    assert isinstance(rejected, Rejected) and rejected.sha256 is None
    assert str(rejected.problems[0]) == (
        f"watchedmemory://{root}/{RAW_FILES[1].name}: cannot be opened: connection reset; "
        "fix: check that the file exists and can be read"
    )


def test_remote_files_beyond_the_fetch_budget_are_read_one_by_one(
    memory_raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = memory_raw.removeprefix("memory://")
    sizes = sorted((path.name, path.stat().st_size) for path in RAW_FILES)
    monkeypatch.setattr(sources, "_FETCH_BYTES", sizes[0][1] + sizes[1][1])  # the first two files fit
    WatchedMemory.calls.clear()
    files, _ = find_raw_files(raw_location(f"watchedmemory://{root}"))
    assert all(isinstance(result, RawArticle) for _, result in read_inputs(files))
    assert WatchedMemory.calls == [
        ("fetch", [f"{root}/{name}" for name, _ in sizes[:2]]),
        *(("open", [f"{root}/{name}"]) for name, _ in sizes[2:]),
    ]


def test_a_batch_that_fails_as_a_whole_is_read_file_by_file(memory_raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> list[Any]:
        raise RuntimeError("the service is unavailable")

    monkeypatch.setattr(WatchedMemory, "cat_ranges", refuse)
    WatchedMemory.calls.clear()
    root = memory_raw.removeprefix("memory://")
    files, _ = find_raw_files(raw_location(f"watchedmemory://{root}"))
    assert all(isinstance(result, RawArticle) for _, result in read_inputs(files))
    assert [kind for kind, _ in WatchedMemory.calls] == ["open"] * len(RAW_FILES)
