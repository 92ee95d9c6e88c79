"""A large JSON Lines file streams in parts of about a chunk's size, like a folder of files: the same
inputs, line numbers, hash, manifest and release bytes as reading it whole."""

from __future__ import annotations

import codecs
import json
import random
from pathlib import Path

import pytest

import vn_security_corpus.pipeline as pipeline
from vn_security_corpus import build
from vn_security_corpus.formats import RawArticle, Rejected
from vn_security_corpus.records import json_lines_parts, process, read_inputs
from vn_security_corpus.sources import RawFile, find_raw_files, scan_lines

from .conftest import RAW_FILES
from .test_scale import release_bytes

PART_BYTES = 4_000  # several parts from a file of some 60 kB
MAX_FILE_BYTES = 20_000  # a few lines are over it, no text file of raw/ is
LONG_LINE = 25_000


def article(number: int) -> dict[str, object]:
    paragraphs = RAW_FILES[number % len(RAW_FILES)].read_text(encoding="utf-8").split("\n\n")[1:3]
    return {"title": f"Bản tin số {number % 150}", "paragraphs": paragraphs[:1] or ["Đoạn."], "date": "2020-06"}


def json_lines(rng: random.Random, lines: int) -> bytes:
    """JSON Lines of every kind a file holds: a byte order mark, articles (repeated: duplicates), CRLF
    ends, blank and white-space lines, broken JSON, a list, markup, lines over the size limit, and a
    last line without its end."""
    out = [codecs.BOM_UTF8]
    for number in range(lines):
        kind = rng.random()
        if kind < 0.05:
            out.append(b"   \t" if kind < 0.025 else b"")
        elif kind < 0.08:
            out.append(b'{"title": "T", "body": ')
        elif kind < 0.10:
            out.append(b"[1, 2]")
        elif kind < 0.12:
            out.append(json.dumps({"title": "T", "body": "x" * LONG_LINE}).encode())
        elif kind < 0.14:
            out.append(json.dumps({"title": "Tin", "body": "<p>x</p>"}).encode())
        else:
            out.append(json.dumps(article(number), ensure_ascii=kind < 0.5).encode())
        out.append(b"\r\n" if kind > 0.9 else b"\n")
    out.append(json.dumps(article(7)).encode())  # no line end
    return b"".join(out)


@pytest.fixture(scope="module")
def raw_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Text files from raw/, a large varied JSON Lines file, one of blank lines and one in UTF-16."""
    folder = tmp_path_factory.mktemp("large") / "raw"
    folder.mkdir()
    for path in RAW_FILES:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "bulk.jsonl").write_bytes(json_lines(random.Random(5), 600))
    (folder / "blank.jsonl").write_bytes(b"\n   \n\t\r\n" * 2_000)
    (folder / "wide.jsonl").write_bytes("".join(json.dumps(article(n)) + "\n" for n in range(60)).encode("utf-16"))
    return folder


def test_parts_give_the_lines_line_numbers_and_hash_of_the_whole_file(raw_folder: Path) -> None:
    raw = RawFile(raw_folder, "bulk.jsonl", (raw_folder / "bulk.jsonl").stat().st_size)
    parts = json_lines_parts(raw, PART_BYTES, MAX_FILE_BYTES)
    assert len(parts) >= 10
    assert all(part.size <= PART_BYTES + LONG_LINE + 100 for part in parts)  # it ends at the first line end past it

    def inputs(files: list[RawFile]) -> list[object]:
        read = read_inputs(files, max_file_bytes=MAX_FILE_BYTES)
        return [process(item, raw.display) for _, item in read]

    whole = inputs([raw])
    assert inputs(parts) == whole
    assert (
        sum(isinstance(item, dict) for item in whole) > 400 and sum(isinstance(item, Rejected) for item in whole) > 50
    )


def test_parts_start_at_the_first_line_start_past_their_size_whatever_the_blocks_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vn_security_corpus.sources as sources

    path = tmp_path / "lines.jsonl"
    rng = random.Random(3)
    path.write_bytes(b"".join(b"x" * rng.choice([0, 1, 5, 40, 300]) + b"\n" for _ in range(2_000)) + b"end")
    data = path.read_bytes()
    expected, start = [], 0  # (start, line) of each part, found the slow way
    while start < len(data):
        expected.append((start, 1 + data[:start].count(b"\n")))
        end = data.find(b"\n", start + 700 - 1)
        start = len(data) if end < 0 else end + 1
    assert len(expected) > 10
    for block in (1, 7, 64, 699, 700, 701, 4096, 1 << 20):
        monkeypatch.setattr(sources, "_SCAN_BLOCK", block)
        scan = scan_lines(RawFile.at(path), 700)
        assert scan is not None and [(p.part.start, p.part.line) for p in scan.parts if p.part] == expected
        assert [p.part.stop for p in scan.parts if p.part] == [start for start, _ in expected[1:]] + [len(data)]


def test_a_split_build_is_byte_identical_to_reading_the_file_whole(
    raw_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {"allow_invalid": True, "max_file_bytes": MAX_FILE_BYTES, "shard_rows": 100, "progress": False}
    whole = build(raw_folder, tmp_path / "whole", "1.0.0", jobs=1, **options)  # type: ignore[arg-type]
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", PART_BYTES)
    files, _ = find_raw_files(raw_folder)
    build_options = pipeline.BuildOptions({"train": 1.0}, "traditional", MAX_FILE_BYTES)
    chunks = pipeline.chunk_files(files, build_options, tmp_path)
    parts = {
        name: sum(raw.name == f"{name}.jsonl" for chunk in chunks for raw in chunk.files)
        for name in ("bulk", "blank", "wide")
    }
    assert parts["bulk"] >= 10 and parts["blank"] >= 3 and parts["wide"] == 1  # UTF-16: rejected, so read, whole
    assert len(chunks) > parts["bulk"] + parts["blank"] // 2
    sizes = [sum(raw.size for raw in chunk.files) for chunk in chunks if chunk.files[0].name != "wide.jsonl"]
    assert max(sizes) <= PART_BYTES + LONG_LINE + 100  # what a worker holds is bounded by the chunk size
    split = build(raw_folder, tmp_path / "split", "1.0.0", jobs=2, **options)  # type: ignore[arg-type]
    assert release_bytes(split.path) == release_bytes(whole.path)
    manifest = json.loads((split.path / "manifest.json").read_text(encoding="utf-8"))
    assert [row["file"] for row in manifest["inputs"]] == sorted(path.name for path in raw_folder.iterdir())
    rejected = [item["file"] for item in manifest["rejected"]]
    assert rejected.count("blank.jsonl") == rejected.count("wide.jsonl") == 1  # each as a whole
    assert set(rejected) == {"blank.jsonl", "wide.jsonl", "bulk.jsonl"}
    assert split.duplicates and split.inputs == split.published + len(split.rejected) + len(split.duplicates)


def test_lines_appended_after_the_scan_are_not_read_and_a_shrunk_file_is_rejected(
    raw_folder: Path, tmp_path: Path
) -> None:
    path = tmp_path / "growing.jsonl"
    path.write_bytes((raw_folder / "bulk.jsonl").read_bytes() + b"\n")
    raw = RawFile(tmp_path, path.name, path.stat().st_size)
    before = [item for _, item in read_inputs([raw], max_file_bytes=MAX_FILE_BYTES)]
    parts = json_lines_parts(raw, PART_BYTES, MAX_FILE_BYTES)
    with path.open("ab") as stream:
        stream.write(json.dumps(article(1)).encode() + b"\n")
    after = [item for _, item in read_inputs(parts, max_file_bytes=MAX_FILE_BYTES)]
    assert [(type(item), item.line_of("") if isinstance(item, RawArticle) else item.line) for item in after] == [
        (type(item), item.line_of("") if isinstance(item, RawArticle) else item.line) for item in before
    ]
    path.write_bytes(path.read_bytes()[: parts[-1].part.start if parts[-1].part else 0])
    shrunk = [item for _, item in read_inputs(parts[-1:], max_file_bytes=MAX_FILE_BYTES)]
    assert len(shrunk) == 1 and isinstance(shrunk[0], Rejected)
    assert shrunk[0].problems[0].message.startswith("the file changed while the build read it:")
    assert shrunk[0].line == parts[-1].part.line if parts[-1].part else False
