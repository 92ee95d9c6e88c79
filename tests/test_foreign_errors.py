"""No foreign exception escapes from reading: a corrupt archive, a URL that cannot be listed, a link
loop, a storage failing part-way. An unusable folder or URL is a ConfigError (exit 2), one file that
cannot be read is a rejected input with the reason; the others are still read."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from vn_security_corpus import build
from vn_security_corpus.cli import main
from vn_security_corpus.errors import ConfigError, InvalidInputError
from vn_security_corpus.formats import RawArticle, Rejected
from vn_security_corpus.records import process_files, read_file_inputs, read_inputs
from vn_security_corpus.sources import RawFile, find_raw_files, raw_location

from .conftest import RAW_FILES

OBJECTS = [{"title": f"Tiêu đề số {n}", "paragraphs": [f"Đoạn văn thứ {n} của bài."]} for n in range(40)]
JSONL = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in OBJECTS).encode()


def zipped(path: Path, members: dict[str, bytes]) -> Path:
    """A zip archive at ``path`` holding ``members`` (stored, so their bytes can be damaged in place)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def damage_member(archive: Path, name: str) -> None:
    """Flip one byte in the middle of member ``name``'s data: its CRC no longer matches."""
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo(name)
    data = bytearray(archive.read_bytes())
    header = info.header_offset
    name_length, extra_length = (
        int.from_bytes(data[header + 26 : header + 28], "little"),
        int.from_bytes(data[header + 28 : header + 30], "little"),
    )
    data[header + 30 + name_length + extra_length + info.file_size // 2] ^= 0x20
    archive.write_bytes(bytes(data))


@pytest.fixture
def raw_zip(tmp_path: Path) -> Path:
    members = {f"raw/{path.name}": path.read_bytes() for path in RAW_FILES} | {"raw/more.jsonl": JSONL}
    return zipped(tmp_path / "corpus.zip", members)


def one_line_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The CLI's exit code is 2 and it prints one line, no traceback; returns the line."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_corrupt_or_truncated_zip_is_a_config_error(raw_zip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truncated, garbage = raw_zip.with_name("truncated.zip"), raw_zip.with_name("garbage.zip")
    truncated.write_bytes(raw_zip.read_bytes()[: raw_zip.stat().st_size // 2])
    garbage.write_bytes(b"PK\x03\x04 not really a zip archive" * 20)
    for archive in (truncated, garbage):
        url = f"zip://raw::{archive}"
        with pytest.raises(ConfigError, match=rf"^{url}: cannot be opened: BadZipFile: File is not a zip file$"):
            find_raw_files(raw_location(url))
        assert "BadZipFile" in one_line_usage_error(["validate", url], capsys)
        with pytest.raises(ConfigError):
            build(url, archive.parent / "out", "1.0.0")
    assert not (raw_zip.parent / "out").exists()


def test_a_member_with_a_bad_crc_is_a_rejected_input_and_the_others_are_read(raw_zip: Path, tmp_path: Path) -> None:
    bad_text, bad_lines = f"raw/{RAW_FILES[1].name}", "raw/more.jsonl"
    damage_member(raw_zip, bad_text)
    damage_member(raw_zip, bad_lines)
    url = f"zip://raw::{raw_zip}"
    with pytest.raises(InvalidInputError) as strict:
        build(url, tmp_path / "strict", "1.0.0")
    assert [p.message.split(":")[0:2] for p in strict.value.problems] == [["cannot be read", " BadZipFile"]] * 2
    report = build(url, tmp_path / "lenient", "1.0.0", allow_invalid=True)
    assert report.published == len(RAW_FILES) - 1
    assert {item.file: item.problems[0].message for item in report.rejected} == {
        RAW_FILES[1].name: f"cannot be read: BadZipFile: Bad CRC-32 for file '{bad_text}'",
        "more.jsonl": f"cannot be read: BadZipFile: Bad CRC-32 for file '{bad_lines}'",
    }
    manifest = json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["inputs"]) == len(RAW_FILES) + 1  # every file accounted for, the damaged ones unhashed
    assert sorted(row["file"] for row in manifest["inputs"] if row["sha256"] is None) == sorted(
        [RAW_FILES[1].name, "more.jsonl"]
    )


def test_a_tar_url_over_a_text_file_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an archive\n", encoding="utf-8")
    url = f"tar://raw::{text}"
    with pytest.raises(ConfigError, match=rf"^{url}: cannot be opened: ReadError: "):
        find_raw_files(raw_location(url))
    one_line_usage_error(["validate", url], capsys)
    one_line_usage_error(["build", "--raw", url, "--out", str(tmp_path / "out"), "--release-version", "1.0.0"], capsys)


def test_a_data_url_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    for url in ("data://x", "data://text/plain,hello"):
        with pytest.raises(ConfigError, match=f"^{url}: the raw folder "):
            find_raw_files(raw_location(url))
        one_line_usage_error(["validate", url], capsys)


def test_a_hub_url_offline_is_a_one_line_config_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # (conftest sets it too: no test reaches the network)
    url = "hf://datasets/x/y"
    with pytest.raises(ConfigError, match=f"^{url}: the raw folder cannot be listed: .*offline mode is enabled"):
        find_raw_files(raw_location(url))
    assert "offline mode" in one_line_usage_error(["validate", url], capsys)


class FailingMemory(MemoryFileSystem):  # type: ignore[misc]
    """fsspec's in-memory file system, failing as a network library does (an exception of its own, not an
    OSError): listing the folder ``down``, opening the files in ``unopenable``, and reading the files in
    ``broken`` past their first ``BROKEN_AFTER`` bytes."""

    protocol = "failingmemory"
    down = "/down"
    unopenable: frozenset[str] = frozenset({"/raw/gone.txt"})
    broken: frozenset[str] = frozenset({"/raw/cut.jsonl"})
    BROKEN_AFTER = len(JSONL) // 2

    class ServiceDownError(Exception):
        """What a network library raises (httpx.ConnectError, say)."""

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        return super()._strip_protocol(path.removeprefix("failingmemory://") if isinstance(path, str) else path)

    def info(self, path: str, **options: Any) -> Any:
        if self._strip_protocol(path) == self.down:
            raise self.ServiceDownError("[Errno -2] Name or service not known")
        return super().info(path, **options)

    def cat_ranges(self, paths: list[str], *_: Any, **__: Any) -> list[Any]:
        return [self.ServiceDownError("batch refused")] * len(paths)  # each file is then opened on its own

    def _open(self, path: str, mode: str = "rb", **options: Any) -> Any:
        if path in self.unopenable:
            raise self.ServiceDownError("connection reset by peer")
        stream = super()._open(path, mode, **options)
        if path in self.broken:
            return _Breaking(stream, self.BROKEN_AFTER, self.ServiceDownError("connection reset by peer"))
        return stream


class _Breaking:
    """A stream that raises ``error`` once reading line by line reaches past offset ``after`` (the connection
    drops after the file was hashed)."""

    def __init__(self, stream: Any, after: int, error: Exception) -> None:
        self.stream, self.after, self.error, self.size = stream, after, error, stream.size

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def readline(self, size: int = -1) -> bytes:
        data = self.stream.readline(size)
        if self.stream.tell() > self.after:
            raise self.error
        return bytes(data)


fsspec.register_implementation("failingmemory", FailingMemory, clobber=True)


@pytest.fixture
def failing_raw() -> Iterator[str]:
    memory = fsspec.filesystem("memory")
    for path in RAW_FILES[:2]:
        memory.pipe_file(f"/raw/{path.name}", path.read_bytes())
    memory.pipe_file("/raw/gone.txt", RAW_FILES[2].read_bytes())
    memory.pipe_file("/raw/cut.jsonl", JSONL)
    memory.pipe_file("/down/a.txt", RAW_FILES[2].read_bytes())
    yield "failingmemory:///raw"
    memory.rm("/raw", recursive=True)
    memory.rm("/down", recursive=True)


def test_a_storage_failing_with_its_own_errors_gives_config_errors_and_rejected_inputs(
    failing_raw: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(
        ConfigError, match=r"^failingmemory:///down: the raw folder cannot be listed: ServiceDownError: "
    ):
        find_raw_files(raw_location("failingmemory:///down"))
    one_line_usage_error(["validate", "failingmemory:///down"], capsys)
    files, _ = find_raw_files(raw_location(failing_raw))
    results = list(process_files(files))
    rejected = {(r.file, r.line): str(r.problems[0]) for r in results if isinstance(r, Rejected)}
    cut_line = 1 + JSONL[: FailingMemory.BROKEN_AFTER].count(b"\n")  # the line read when the connection drops
    assert rejected == {
        ("cut.jsonl", cut_line): f"{failing_raw}/cut.jsonl:{cut_line}: cannot be read from line {cut_line} on: "
        "ServiceDownError: connection reset by peer; fix: check that the file can be read, or replace it",
        ("gone.txt", None): f"{failing_raw}/gone.txt: cannot be opened: ServiceDownError: connection reset by peer; "
        "fix: check that the file exists and can be read",
    }
    lines = [r["source"]["line"] for r in results if isinstance(r, dict) and r["source"]["file"] == "cut.jsonl"]
    assert lines == list(range(1, cut_line))  # the lines before the failure are inputs of their own
    assert sum(isinstance(r, dict) for r in results) == 2 + cut_line - 1


def test_a_symbolic_link_loop_in_the_raw_folder_is_a_rejected_input(
    raw_copy: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = raw_copy()
    (raw / "a.txt").symlink_to("b.txt")
    (raw / "b.txt").symlink_to("a.txt")
    (raw / "self.jsonl").symlink_to("self.jsonl")
    loop = "a symbolic link loop: following the link leads back to it, never to a file"
    assert main(["validate", str(raw)]) == 1
    err = capsys.readouterr().err.splitlines()
    fix = "remove the link, or point it at a file"
    assert err == [f"{raw / name}: {loop}; fix: {fix}" for name in ("a.txt", "b.txt", "self.jsonl")] + [
        f"{len(RAW_FILES) + 3} inputs: {len(RAW_FILES)} valid, 3 invalid"
    ]
    with pytest.raises(InvalidInputError) as strict:
        build(raw, tmp_path / "strict", "1.0.0")
    assert [problem.message for problem in strict.value.problems] == [loop] * 3
    report = build(raw, tmp_path / "lenient", "1.0.0", allow_invalid=True)
    assert report.published == len(RAW_FILES)
    assert [(item.file, item.sha256, item.problems[0].message) for item in report.rejected] == [
        (name, None, loop) for name in ("a.txt", "b.txt", "self.jsonl")
    ]
    code = main(
        ["build", "--raw", str(raw), "--out", str(tmp_path / "cli"), "--release-version", "1.0.0", "--allow-invalid"]
    )
    assert code == 0 and "Traceback" not in capsys.readouterr().err


def test_a_symbolic_link_loop_named_on_its_own_is_a_rejected_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").symlink_to("b.txt")
    (tmp_path / "b.txt").symlink_to("a.txt")
    (result,) = read_file_inputs(RawFile.at(tmp_path / "a.txt"))
    assert isinstance(result, Rejected) and result.problems[0].message.startswith("a symbolic link loop")
    assert main(["validate", str(tmp_path / "a.txt")]) == 1
    err = capsys.readouterr().err
    assert "a symbolic link loop" in err and "Traceback" not in err and "RuntimeError" not in err


def test_a_raw_folder_that_cannot_be_listed_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the raw folder cannot be listed: Not a directory"):
        find_raw_files(Path(RAW_FILES[0]))


def test_a_json_lines_file_is_read_no_further_than_it_was_hashed(tmp_path: Path) -> None:
    path = tmp_path / "growing.jsonl"
    path.write_bytes(JSONL)
    results: list[RawArticle | Rejected] = []
    for _, article in read_inputs([RawFile.at(path)]):
        if not results:  # the file was hashed before its first line came: now it grows
            with path.open("ab") as stream:
                stream.write(b'{"title": "More", "body": "Appended after hashing."}\n')
        results.append(article)
    assert len(results) == len(OBJECTS) and all(isinstance(article, RawArticle) for article in results)
    hashes = {article.record["source"]["sha256"] for article in results if isinstance(article, RawArticle)}
    assert hashes == {hashlib.sha256(JSONL).hexdigest()}
