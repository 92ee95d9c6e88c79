"""Near-duplicates: syndicated copies of a story land in one split, never move between versions, and the
leakage check finds what crosses splits or corpora; different reports of one event stay apart."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vn_security_corpus.pipeline as pipeline
from bench.generate import Article, load_sources, render_text
from bench.variants import VARIANT_KINDS, same_event, variant_family
from vn_security_corpus import build, info, load_table, neardup, verify_release
from vn_security_corpus.cli import main
from vn_security_corpus.leakage import check_leakage
from vn_security_corpus.neardup import (
    _WIDE_SPACES,
    NUM_PERM,
    SHINGLE,
    THRESHOLD,
    estimate,
    jaccard,
    shingle_sets,
    shingles,
    signatures,
    words,
)

from .conftest import RAW_FILES

FAMILIES = 12  # an article and its 7 near-duplicate variants each
CONTROLS = 8  # pairs of different reports of one event


def write(folder: Path, name: str, article: Article) -> None:
    (folder / name).write_text(render_text(article) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """raw/ + families of near-duplicate variants + control pairs, and which file is which."""
    folder = tmp_path_factory.mktemp("neardup") / "raw"
    folder.mkdir()
    for path in RAW_FILES:
        shutil.copyfile(path, folder / path.name)
    sources = load_sources()
    families: dict[int, list[str]] = {}
    for family in range(FAMILIES):
        families[family] = []
        for number, article in enumerate(variant_family(sources, 100 + family)):
            name = f"f{family:02d}-{number}.txt"
            write(folder, name, article)
            families[family].append(name)
    controls = []
    for pair in range(CONTROLS):
        first, second = same_event(sources, random.Random(500 + pair))
        write(folder, f"c{pair:02d}-a.txt", first)
        write(folder, f"c{pair:02d}-b.txt", second)
        controls.append((f"c{pair:02d}-a.txt", f"c{pair:02d}-b.txt"))
    return {"folder": folder, "families": families, "controls": controls, "sources": sources}


def by_file(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["source"]["file"]: row for row in table.select(["id", "cluster_id", "split", "source"]).to_pylist()}


@pytest.fixture(scope="module")
def release(corpus: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("releases")
    build(corpus["folder"], root, "1.0.0", progress=False)
    return root


def test_every_family_is_one_cluster_in_one_split(corpus: dict[str, Any], release: Path) -> None:
    rows = by_file(load_table(root=release))
    # a variant that normalises to another member's text (a byline moved) is an exact duplicate of it
    duplicated = {entry["file"]: entry["id"] for entry in info(root=release)["duplicates"]}
    for names in corpus["families"].values():
        members = [rows[name] for name in names if name not in duplicated]
        assert {duplicated[name] for name in names if name in duplicated} <= {row["id"] for row in members}
        assert len({row["cluster_id"] for row in members}) == 1, names
        assert len({row["split"] for row in members}) == 1, names
        assert members[0]["cluster_id"] == min(row["id"] for row in members)


def test_different_reports_of_one_event_stay_apart(corpus: dict[str, Any], release: Path) -> None:
    rows = by_file(load_table(root=release))
    for first, second in corpus["controls"]:
        assert rows[first]["cluster_id"] == rows[first]["id"]
        assert rows[second]["cluster_id"] == rows[second]["id"]
    for path in RAW_FILES:
        assert rows[path.name]["cluster_id"] == rows[path.name]["id"]


def test_the_manifest_reports_clusters_and_no_leakage(release: Path) -> None:
    manifest = json.loads((release / "1.0.0" / "manifest.json").read_text())
    clusters = manifest["clusters"]
    assert clusters["clusters"] == FAMILIES
    # byline-only and tone/spacing-only copies are exact duplicates; every other variant is a near-duplicate
    assert sum(int(size) * count for size, count in clusters["sizes"].items()) == clusters["articles_in_clusters"]
    assert clusters["near_duplicates_kept"] == clusters["articles_in_clusters"] - FAMILIES
    assert clusters["conflicts"] == [] and clusters["leakage"]["pairs_across_splits"] == 0
    assert manifest["settings"]["near_duplicates"] == "keep"
    assert manifest["settings"]["near_duplicate_threshold"] == THRESHOLD
    assert check_leakage(release / "1.0.0").pairs == []
    card = (release / "1.0.0" / "README.md").read_text()
    assert "## Near-duplicates" in card and f"{FAMILIES} clusters" in card


def test_drop_keeps_the_canonical_member_and_accounts_for_the_others(
    corpus: dict[str, Any], release: Path, tmp_path: Path
) -> None:
    report = build(corpus["folder"], tmp_path, "1.0.0", near_duplicates="drop", progress=False)
    manifest = json.loads((report.path / "manifest.json").read_text())
    counts = manifest["counts"]
    assert (
        counts["inputs"] == counts["published"] + counts["rejected"] + counts["duplicates"] + counts["near_duplicates"]
    )
    assert counts["near_duplicates"] == len(manifest["near_duplicates"]) > 0
    kept = load_table(root=release)
    canonical = {row["cluster_id"] for row in kept.select(["cluster_id"]).to_pylist()}
    dropped_rows = load_table(root=tmp_path)
    assert set(dropped_rows.column("id").to_pylist()) == canonical
    for entry in manifest["near_duplicates"]:
        assert entry["id"] in canonical and entry["similarity"] >= 0.0 and entry["file"].startswith("f")
    assert verify_release(report.path) == []


def test_splits_never_move_and_a_bridge_is_a_listed_conflict(
    corpus: dict[str, Any], release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "raw"
    shutil.copytree(corpus["folder"], folder)
    before = by_file(load_table(root=release))
    # Bridge: two articles A = P + Qa and B = P + Qb (similarity about 1/3: apart), published in different
    # splits, and a new article P + Qa + Qb (about 2/3 like each) that joins both clusters.
    raw = [[line for line in p.read_text(encoding="utf-8").split("\n")[1:] if line.strip()] for p in RAW_FILES]
    pieces = [" ".join(paragraphs)[:1500] for paragraphs in raw]
    old = tmp_path / "pairs"
    old.mkdir()
    candidates = []
    for k in range(6):
        shared, own_a, own_b = pieces[k % 5], pieces[(k + 1) % 5], pieces[(k + 2) % 5]
        a = Article(f"Tin A số {k}", [f"{shared} {k}", own_a], None, None)
        b = Article(f"Tin B số {k}", [f"{shared} {k}", own_b], None, None)
        both = Article(f"Tin tổng hợp số {k}", [f"{shared} {k}", own_a, own_b], None, None)
        candidates.append((a, b, both))
        write(folder, f"p{k}-a.txt", a)
        write(folder, f"p{k}-b.txt", b)
    build(folder, tmp_path / "releases", "1.0.0", progress=False)
    first = by_file(load_table(root=tmp_path / "releases"))
    k = next(k for k in range(6) if first[f"p{k}-a.txt"]["split"] != first[f"p{k}-b.txt"]["split"])
    a_row, b_row = first[f"p{k}-a.txt"], first[f"p{k}-b.txt"]
    assert a_row["cluster_id"] == a_row["id"] and b_row["cluster_id"] == b_row["id"]
    write(folder, "z-bridge.txt", candidates[k][2])
    # new near-duplicates of old articles, and new articles
    sources = corpus["sources"]
    for family in range(3):
        for number, article in enumerate(variant_family(sources, 100 + family, kinds=("lead", "one_word"))[1:]):
            write(folder, f"n{family}-{number}.txt", replace_title(article, f"Cập nhật {family}-{number}"))
    for family in range(3):
        write(folder, f"new{family}.txt", variant_family(sources, 900 + family, kinds=())[0])
    code = main(
        [
            "build",
            "--raw",
            str(folder),
            "--out",
            str(tmp_path / "releases"),
            "--release-version",
            "1.1.0",
            "--no-progress",
        ]
    )
    assert code == 0
    summary = capsys.readouterr()
    after = by_file(load_table(root=tmp_path / "releases", version="1.1.0"))
    for name, row in first.items():
        assert after[name]["split"] == row["split"], name  # no published article moved
    old_split = {row["cluster_id"]: row["split"] for row in before.values()}
    for family in range(3):
        for number in range(2):
            joined = after[f"n{family}-{number}.txt"]
            assert joined["split"] == old_split[joined["cluster_id"]]  # a new near-duplicate joins its cluster
    bridge = after["z-bridge.txt"]
    smaller = min((a_row, b_row), key=lambda item: str(item["id"]))
    assert bridge["split"] == smaller["split"] and bridge["cluster_id"] == smaller["id"]
    manifest = json.loads((tmp_path / "releases" / "1.1.0" / "manifest.json").read_text())
    (conflict,) = manifest["clusters"]["conflicts"]
    assert conflict["articles"] == [bridge["id"]] and conflict["split"] == smaller["split"]
    assert {c["split"] for c in conflict["clusters"]} == {a_row["split"], b_row["split"]}
    assert manifest["clusters"]["previous"]["version"] == "1.0.0"
    assert "conflict" in summary.err and bridge["id"] in summary.err
    # the conflict is the only leak: the bridge and the cluster it could not join
    pairs = check_leakage(tmp_path / "releases" / "1.1.0").pairs
    assert pairs and all(bridge["id"] in (pair.first, pair.second) for pair in pairs)


def replace_title(article: Article, title: str) -> Article:
    return Article(title, article.paragraphs, article.date, article.byline)


def test_leakage_against_another_folder_finds_a_planted_copy(
    corpus: dict[str, Any], release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    sources = corpus["sources"]
    write(other, "fresh.txt", variant_family(sources, 4242, kinds=())[0])
    family = variant_family(sources, 100, kinds=("sentence_added",))
    write(other, "planted.txt", family[1])
    report = check_leakage(release / "1.0.0", against=other)
    family_ids = {row["id"] for name, row in by_file(load_table(root=release)).items() if name.startswith("f00-")}
    assert {pair.second for pair in report.pairs} == {"planted.txt"}  # like every member of its family
    assert {pair.first for pair in report.pairs} == family_ids
    assert main(["leakage", str(release / "1.0.0"), "--against", str(other), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["pairs"][0]["second"] == "planted.txt" and out["pairs"][0]["similarity"] >= THRESHOLD
    assert main(["leakage", str(release / "1.0.0")]) == 0


def test_jobs_give_the_same_bytes_with_near_duplicates_across_chunks(
    corpus: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_FILES", 9)  # a family spread over several chunks and spill files
    one = build(corpus["folder"], tmp_path / "one", "1.0.0", jobs=1, shard_rows=20, progress=False)
    two = build(corpus["folder"], tmp_path / "two", "1.0.0", jobs=2, shard_rows=20, progress=False)
    files = {p.relative_to(one.path): p.read_bytes() for p in one.path.rglob("*") if p.is_file()}
    assert files == {p.relative_to(two.path): p.read_bytes() for p in two.path.rglob("*") if p.is_file()}
    assert one.clusters["clusters"] == FAMILIES


def test_variants_are_similar_and_controls_are_not(corpus: dict[str, Any]) -> None:
    sources = corpus["sources"]
    by_kind: dict[str, list[float]] = defaultdict(list)
    for seed in range(20):
        base, *variants = variant_family(sources, seed)
        for kind, variant in zip(VARIANT_KINDS, variants, strict=True):
            by_kind[kind].append(similarity(base, variant))
        by_kind["control"].append(similarity(*same_event(sources, random.Random(seed))))
    assert min(min(values) for kind, values in by_kind.items() if kind != "control") >= THRESHOLD + 0.15
    assert max(by_kind["control"]) <= THRESHOLD - 0.3


def similarity(first: Article, second: Article) -> float:
    return jaccard(
        shingles(first.title, "\n".join(first.paragraphs)), shingles(second.title, "\n".join(second.paragraphs))
    )


def test_clusters_do_not_depend_on_the_tone_style(corpus: dict[str, Any], release: Path, tmp_path: Path) -> None:
    build(corpus["folder"], tmp_path, "1.0.0", tone_style="new", progress=False)
    styled = load_table(root=tmp_path, columns=["id", "cluster_id", "split"]).sort_by("id")
    assert (
        styled.to_pylist() == load_table(root=release, columns=["id", "cluster_id", "split"]).sort_by("id").to_pylist()
    )


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text(), st.text())
def test_shingles_and_similarity_never_fail(title: str, text: str, other: str) -> None:
    first, second = shingles(title, text), shingles(title, other)
    assert first.dtype == np.uint64 and np.all(first[1:] > first[:-1])  # sorted, distinct
    assert jaccard(first, first) == 1.0
    assert 0.0 <= jaccard(first, second) == jaccard(second, first) <= 1.0
    sigs = signatures([first, second])
    assert sigs.shape == (2, NUM_PERM) and 0.0 <= estimate(sigs, np.array([[0, 1]]))[0] <= 1.0


MASK = (1 << 64) - 1


def reference_shingles(title: str, text: str) -> list[int]:
    """The shingle set as its definition reads, one word at a time in Python integers: each word's
    UTF-8 up to 16 bytes as two little-endian lanes with a key for its length, mixed (longer: BLAKE2b);
    each run of SHINGLE words (all of them when fewer) combined in order, mixed; sorted, distinct."""

    def mix(value: int) -> int:
        value ^= value >> 31
        value = value * 0xBF58476D1CE4E5B9 & MASK
        value ^= value >> 29
        value = value * 0x94D049BB133111EB & MASK
        return value ^ value >> 32

    def word_hash(word: bytes) -> int:
        if len(word) > 16:
            return int.from_bytes(hashlib.blake2b(word, digest_size=8).digest(), "little")
        low, high = int.from_bytes(word[:8], "little"), int.from_bytes(word[8:16], "little")
        return mix(low ^ (high * 0xBF58476D1CE4E5B9 & MASK) ^ (len(word) * 0x9E3779B97F4A7C15 & MASK))

    hashes = [word_hash(word.encode()) for word in words(title, text)]
    width = min(SHINGLE, len(hashes))
    found: set[int] = set()
    if not hashes:
        return []
    for start in range(len(hashes) - width + 1):
        combined = hashes[start]
        for value in hashes[start + 1 : start + width]:
            combined = (combined * 0x100000001B3 & MASK) ^ value
        found.add(mix(combined))
    return sorted(found)


# any text, with more of what splits words or is hashed in two lanes: white space of every kind, controls, long words
PIECES = [" ", "\n", "\t", "\x1c", "\x85", "\xa0", "\u2003", "\u3000", "\x00", "a", "ạ", "Đ", "x" * 9, "ư" * 9]
TEXT = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=20).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), max_size=4))
def test_shingle_sets_are_the_definition_computed_in_bulk(articles: list[tuple[str, str]]) -> None:
    titles, texts = [title for title, _ in articles], [text for _, text in articles]
    flat, offsets = shingle_sets(titles, texts)
    assert len(offsets) == len(articles) + 1
    for number, (title, text) in enumerate(articles):
        assert flat[offsets[number] : offsets[number + 1]].tolist() == reference_shingles(title, text)
    with mock.patch.object(neardup, "_BATCH_BYTES", 8):  # an article a batch: the same sets
        in_batches = shingle_sets(titles, texts)
    assert flat.tolist() == in_batches[0].tolist() and offsets.tolist() == in_batches[1].tolist()


def test_every_white_space_character_splits_words() -> None:
    spaces = [chr(code) for code in range(0x80, 0x110000) if chr(code).isspace()]
    assert all(
        any(hint in char.encode() and exact.search(char.encode()) for hint, exact in _WIDE_SPACES) for char in spaces
    )
    assert [len(shingles("", f"một{space}hai")) for space in spaces] == [1] * len(spaces)
    assert shingles("", f"một{spaces[0]}hai").tolist() == shingles("", "một hai").tolist()
