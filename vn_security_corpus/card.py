"""The dataset card (README.md of a release): Hugging Face YAML front matter and prose.

Everything in it is derived from the manifest and article.schema.json, so the
card never disagrees with the data it describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from .pii import KINDS
from .repairs import CONFLICTS, REPAIRS
from .schema import arrow_schema, features_yaml, load_schema

PRETTY_NAME = "Vietnamese Public-Security News Corpus"
DATA_LICENSE = "DATA-LICENSE"  # the data's terms, in the source tree and in the wheel's licence files
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
        "license_link": DATA_LICENSE,
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
`source.repairs` (see [Repairs](#repairs)). Tone marks on the open syllables oa, oe, uy follow the
**{style}** style ({style_example}) throughout title, text, authors and
officials; `vn_security_corpus.load_table(..., tone_style=...)` gives the other
style. Ids and splits do not depend on the style.

## Repairs

Every change made to a record on the way from its raw bytes is listed in its
`source.repairs` as `code: detail` (e.g. `line-ends-crlf: CRLF → LF`), each code
at most once; disagreements in the input settled without changing the text
(the header's date against the lead's) are listed the same way in
`source.conflicts`. The codes are stable; `records` counts the published records
of this release that carry each one (also in `manifest.json`, `repairs` and
`conflicts`).

{_codes_table("repair", REPAIRS, manifest.get("repairs", {}))}

{_codes_table("conflict", CONFLICTS, manifest.get("conflicts", {}))}

## Provenance

Every record names the raw file it came from (`source.file`, `source.line`),
that file's SHA-256, the encoding it was read in and every repair made on the
way (`source.repairs`). `manifest.json` lists each raw input with its SHA-256,
each file of this release with its SHA-256, size and rows, the inputs that were
rejected and why, and `content_sha256`, a hash of the records themselves that
does not depend on the Parquet encoder. `vn-security-corpus verify` checks a
copy of this folder against it.

A version never changes once published: a rebuild from the same inputs gives
the same records and, with the same pyarrow version, the same bytes.

## Personal and sensitive information

The articles are crime and public-security news: they name suspects, victims,
witnesses and officials, often private persons with their birth year and
address ("Nguyễn Văn A (SN 1990, trú tại …)"), and sometimes give phone
numbers, identity card numbers, licence plates, e-mail addresses or bank
accounts. Each record counts what it holds in `source.personal_data`; in this
release:

{_personal_data_table(manifest)}

{_masking_note(manifest)} Names of persons are never masked: do not use this
data to profile, identify or contact the persons it names.

## Limitations

- Metadata is extracted by rules from the text; where a rule finds nothing the
  field is null rather than guessed. Dates come from the header and from the
  date phrase opening the lead ("Sáng 19-6,"); a day without a year stays
  unknown. `province` is scored from where and how the 63 provinces are named
  (null for national or foreign stories); a person's name with an unlisted
  surname can still be mistaken for one, and districts are not resolved.
  `officials` are names that follow a police or military rank.
- Photo captions are kept in `text` as short paragraphs; they cannot be told
  from body text reliably.
- The corpus reflects the outlets it was collected from and their point of view.

## License

The data is not under the MIT licence of the vn_security_corpus code. The
articles, and the metadata taken from them, remain the copyright of their
publishers and authors; the maintainers hold no rights in them and can grant
none. They are provided for research on Vietnamese language processing. Without
the publishers' permission, do not redistribute the text (in whole or in
substantial part, this release included, on a dataset hub or elsewhere) nor use
it for anything other than research; statistics, scores and annotations that
refer to articles by `id` may be shared. The full terms are in {DATA_LICENSE},
shipped with the vn_security_corpus package.
"""


def _personal_data_table(manifest: Mapping[str, Any]) -> str:
    """The personal identifiers of a release, by kind (every kind, 0 where none).

    >>> print(_personal_data_table({"personal_data": {"phone": 2}}))
    | kind | found |
    |---|---|
    | `phone` | 2 |
    | `id_number` | 0 |
    | `licence_plate` | 0 |
    | `email` | 0 |
    | `bank_account` | 0 |
    | `private_person` | 0 |
    """
    counts = manifest.get("personal_data", {})
    return "\n".join(["| kind | found |", "|---|---|", *(f"| `{kind}` | {counts.get(kind, 0)} |" for kind in KINDS)])


def _masking_note(manifest: Mapping[str, Any]) -> str:
    if manifest["settings"].get("mask_pii"):
        return (
            "This release was built with `--mask-pii`: every identifier counted above is replaced in "
            "`title` and `text` by a typed placeholder (`<PHONE>`, `<ID_NUMBER>`, `<LICENCE_PLATE>`, "
            "`<EMAIL>`, `<BANK_ACCOUNT>`)."
        )
    return (
        "This release keeps them as published (build with `--mask-pii` to replace them by typed "
        "placeholders such as `<PHONE>`)."
    )


def _codes_table(kind: str, registry: Mapping[str, str], counts: Mapping[str, int]) -> str:
    """A table of every code of ``registry`` (and any other code ``counts`` has), sorted by code:
    code, description, records.

    >>> print(_codes_table("repair", {"b-x": "B.", "a-x": "A | a."}, {"b-x": 3}))
    | repair | description | records |
    |---|---|---|
    | `a-x` | A \\| a. | 0 |
    | `b-x` | B. | 3 |
    """
    rows = [f"| {kind} | description | records |", "|---|---|---|"]
    for code in sorted({*registry, *counts}):
        description = registry.get(code, "(not a code of this library version)").replace("|", "\\|")
        rows.append(f"| `{code}` | {description} | {counts.get(code, 0)} |")
    return "\n".join(rows)


def _fields_table() -> str:
    rows = ["| field | type | description |", "|---|---|---|"]
    schema = load_schema("article")
    arrow = arrow_schema()
    for name, sub in schema["properties"].items():
        description = " ".join(str(sub.get("description", "")).split()).replace("|", "\\|")
        rows.append(f"| `{name}` | `{arrow.field(name).type}` | {description} |")
    return "\n".join(rows)
