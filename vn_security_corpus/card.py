"""The dataset card (README.md of a release): Hugging Face YAML front matter and prose.

Everything in it is derived from the manifest and article.schema.json, so the
card never disagrees with the data it describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from .neardup import card_section as near_duplicate_section
from .schema import arrow_schema, features_yaml, load_schema

PRETTY_NAME = "Vietnamese Public-Security News Corpus"
_SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
)


def size_category(rows: int) -> str:
    """The Hugging Face ``size_categories`` value for a number of rows.

    >>> size_category(5), size_category(250_000)
    ('n<1K', '100K<n<1M')
    """
    return next((name for limit, name in _SIZE_CATEGORIES if rows < limit), "n>100M")


def card_metadata(manifest: Mapping[str, Any], files: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The YAML front matter: configs with data_files per split, dataset_info, language, license …"""
    splits: Mapping[str, Mapping[str, Any]] = manifest["splits"]
    total_rows = sum(int(split["rows"]) for split in splits.values())
    return {
        "pretty_name": PRETTY_NAME,
        "language": ["vi"],
        "license": "other",
        "license_name": "publishers-copyright",
        "task_categories": ["text-classification", "token-classification", "text-generation"],
        "tags": ["news", "public-security", "vietnamese"],
        "size_categories": [size_category(total_rows)],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": name, "path": f"data/{name}-*.parquet"} for name in splits],
            }
        ],
        "dataset_info": {
            "features": features_yaml(arrow_schema()),
            "splits": [
                {"name": name, "num_bytes": split["arrow_bytes"], "num_examples": split["rows"]}
                for name, split in splits.items()
            ],
            "download_size": sum(int(info["bytes"]) for path, info in files.items() if path.startswith("data/")),
            "dataset_size": sum(int(split["arrow_bytes"]) for split in splits.values()),
        },
    }


def render_card(manifest: Mapping[str, Any], files: Mapping[str, Mapping[str, Any]]) -> str:
    """The whole README.md of a release."""
    front = yaml.safe_dump(card_metadata(manifest, files), sort_keys=False, allow_unicode=True, width=100)
    version = manifest["version"]
    split_lines = "\n".join(f"| {name} | {split['rows']} |" for name, split in manifest["splits"].items())
    counts = manifest.get("counts", {})
    style = manifest["settings"]["tone_style"]
    style_example = "hòa, khỏe, thủy, Đại úy" if style == "traditional" else "hoà, khoẻ, thuỷ, Đại uý"
    return f"""---
{front}---

# {PRETTY_NAME}, version {version}

Vietnamese news articles about public security (police, border guard and
military work, crime prevention, public order), as published by provincial
police and press outlets, cleaned and normalised into one record per article.
Built by the `vn_security_corpus` library {manifest["library_version"]} from
{counts.get("inputs", "the")} raw inputs.

| split | articles |
|---|---|
{split_lines}

## Loading

```python
import datasets

ds = datasets.load_dataset("path/to/{version}")  # this folder; no custom code runs
```

or, with the `vn_security_corpus` library installed:

```python
import vn_security_corpus

ds = vn_security_corpus.load_dataset("{version}")  # no copy into the datasets cache
table = vn_security_corpus.load_table("{version}", split="train")  # a pyarrow.Table
```

## Fields

{_fields_table()}

Unknown values are null (or an empty list), never guesses.

## Normalisation

Text is Unicode NFC with single spaces; invisible and control characters are
removed and `Ð` written for `Đ` is fixed, each change recorded in
`source.repairs`. Tone marks on the open syllables oa, oe, uy follow the
**{style}** style ({style_example}) throughout title, text, authors and
officials; `vn_security_corpus.load_table(..., tone_style=...)` gives the other
style. Ids and splits do not depend on the style.

{near_duplicate_section(manifest)}## Provenance

Every record names the raw file it came from (`source.file`, `source.line`),
that file's SHA-256, the encoding it was read in and every repair made on the
way (`source.repairs`). `manifest.json` lists each raw input with its SHA-256,
each file of this release with its SHA-256, size and rows, the inputs that were
rejected and why, and `content_sha256`, a hash of the records themselves that
does not depend on the Parquet encoder. `vn-security-corpus verify` checks a
copy of this folder against it.

A version never changes once published: a rebuild from the same inputs gives
the same records and, with the same pyarrow version, the same bytes.

## Limitations

- Metadata is extracted by rules from the text; where a rule finds nothing the
  field is null rather than guessed. Dates come from the header and from the
  date phrase opening the lead ("Sáng 19-6,"); a day without a year stays
  unknown. `province` is the most mentioned of the 63 provinces (a person's name
  such as "Nguyễn Hà Nam" can still be mistaken for one); districts are not
  resolved. `officials` are names that follow a police or military rank.
- Photo captions are kept in `text` as short paragraphs; they cannot be told
  from body text reliably.
- The corpus reflects the outlets it was collected from and their point of view.

## License

The articles remain the copyright of their publishers. This dataset is meant
for research on Vietnamese language processing; check the publishers' terms
before any other use or redistribution.
"""


def _fields_table() -> str:
    rows = ["| field | type | description |", "|---|---|---|"]
    schema = load_schema("article")
    arrow = arrow_schema()
    for name, sub in schema["properties"].items():
        description = " ".join(str(sub.get("description", "")).split()).replace("|", "\\|")
        rows.append(f"| `{name}` | `{arrow.field(name).type}` | {description} |")
    return "\n".join(rows)
