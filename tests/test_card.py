"""The dataset card: the Hugging Face template's sections filled from the build's facts, YAML that
the Hub's and datasets' parsers accept, statistics that match the records, reproducible plots."""

from __future__ import annotations

import json
import re
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import vn_security_corpus as vnsc
from vn_security_corpus.plots import render_bar_chart

from .conftest import REPO

TEMPLATE_SECTIONS = (
    "## Dataset Details",
    "### Dataset Description",
    "### Dataset Sources",
    "## Uses",
    "### Direct Use",
    "### Out-of-Scope Use",
    "## Dataset Structure",
    "## Dataset Creation",
    "### Curation Rationale",
    "### Source Data",
    "#### Data Collection and Processing",
    "#### Who are the source data producers?",
    "### Annotations",
    "#### Personal and Sensitive Information",
    "## Limitations",
    "### Bias and risks",
    "### Recommendations",
    "## Citation",
    "## More Information",
    "## Dataset Card Authors",
    "## Dataset Card Contact",
)


def card_parts(release: Path) -> tuple[dict[str, Any], str]:
    _, front, body = (release / "README.md").read_text(encoding="utf-8").split("---\n", 2)
    metadata: dict[str, Any] = yaml.safe_load(front)
    return metadata, body


def test_the_card_has_every_section_of_the_template_and_no_placeholder(release_root: Path) -> None:
    _, body = card_parts(release_root / "1.0.0")
    headings = [line for line in body.splitlines() if line.startswith("#")]
    for section in TEMPLATE_SECTIONS:
        assert section in headings, section
    for placeholder in ("More Information Needed", "{{ ", "[optional]", "TODO", "None"):  # (BibTeX has {{Title}})
        assert placeholder not in body, placeholder
    assert "suspects" in body and "victims" in body and "officials" in body  # personal information


def test_the_yaml_passes_the_hub_and_datasets_parsers(release_root: Path) -> None:
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    metadata, _ = card_parts(release_root / "1.0.0")
    card_data = DatasetCardData(**metadata)
    configs = MetadataConfigs.from_dataset_card_data(card_data)
    infos = DatasetInfosDict.from_dataset_card_data(card_data)
    assert list(configs) == ["default"] and list(infos) == ["default"]
    assert metadata["license"] == "other" and metadata["license_link"] == "LICENSE.md"
    assert (release_root / "1.0.0" / "LICENSE.md").is_file()
    assert "token-classification" not in metadata["task_categories"]  # no token labels in the records
    import datasets.utils

    resources = Path(datasets.utils.__path__[0]) / "resources"
    creators = json.loads((resources / "creators.json").read_text())
    assert set(metadata["language_creators"]) <= set(creators["language"])
    assert set(metadata["annotations_creators"]) <= set(creators["annotations"])
    assert metadata["size_categories"][0] in json.loads((resources / "size_categories.json").read_text())


def test_datasets_shows_description_license_and_citation(release_root: Path) -> None:
    import datasets

    train = datasets.load_dataset(str(release_root / "1.0.0"), split="train")
    assert "Vietnamese news articles about public security" in train.info.description
    assert "copyright of their publishers" in train.info.license
    assert train.info.citation.startswith("@misc{vn_security_corpus_1_0_0,")


def test_statistics_in_the_card_match_the_records(release_root: Path) -> None:
    _, body = card_parts(release_root / "1.0.0")
    rows = vnsc.load_table(root=release_root).to_pylist()
    years = Counter("unknown" if row["date_start"] is None else str(row["date_start"].year) for row in rows)
    for year, count in years.items():
        assert f"| {year} | {count} |" in body
    for province, count in Counter(row["province"] or "unknown" for row in rows).items():
        assert re.search(rf"\| {province} \| {count} \| ", body), province
    ranks = Counter(official["rank"] for row in rows for official in row["officials"])
    for rank, count in ranks.items():
        assert f"| {rank} | {count} |" in body
    words = sorted(row["n_words"] for row in rows)
    assert f"min {words[0]}," in body and f"max {words[-1]}," in body
    example = json.loads(body.split("```json\n", 1)[1].split("\n```", 1)[0])
    assert example["id"] in {row["id"] for row in rows} and example["text"].endswith(" …")


def png_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def test_plots_are_linked_listed_and_reproducible(release_root: Path, tmp_path: Path) -> None:
    release = release_root / "1.0.0"
    _, body = card_parts(release)
    linked = re.findall(r"!\[[^]]+\]\((plots/[a-z_]+\.png)\)", body)
    manifest = vnsc.info(root=release_root)
    assert len(linked) == 6 and set(linked) == {name for name in manifest["files"] if name.startswith("plots/")}
    for name in linked:
        data = (release / name).read_bytes()
        assert data.startswith(b"\x89PNG") and set(png_chunks(data)) <= {b"IHDR", b"pHYs", b"IDAT", b"IEND"}
    render_bar_chart.cache_clear()  # drawn again, not remembered
    again = vnsc.build(REPO / "raw", tmp_path, "1.0.0").path
    for name in linked:
        assert (again / name).read_bytes() == (release / name).read_bytes(), name


def test_root_citation_file_is_valid_cff() -> None:
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["title"] and citation["authors"]
    assert citation["type"] == "dataset" and citation["license"]


@pytest.mark.parametrize("version", ["1.0.0"])
def test_the_card_of_a_first_release_says_there_is_nothing_to_compare(release_root: Path, version: str) -> None:
    _, body = card_parts(release_root / version)
    assert "## Release notes" in body and "first release in its folder" in body
