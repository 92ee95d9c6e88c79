"""The dataset card (README.md of a release): Hugging Face YAML front matter and prose.

Everything in it is derived from the manifest and article.schema.json, so the
card never disagrees with the data it describes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import yaml

from .neardup import card_section as near_duplicate_section
from .pii import KINDS
from .repairs import CONFLICTS, REPAIRS
from .schema import arrow_schema, features_yaml, load_schema

if TYPE_CHECKING:
    from .extras import ReleaseExtras
    from .stats import Statistics

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


CITATION_KEY = "vn_security_corpus"
AUTHORS = "vn_security_corpus maintainers"
LICENSE_NAME = "publishers-copyright"
LICENSE_FILE = "LICENSE.md"


def dataset_summary(manifest: Mapping[str, Any]) -> str:
    """One paragraph saying what the release is (the card's summary, Croissant's description)."""
    rows = sum(int(split["rows"]) for split in manifest["splits"].values())
    return (
        f"{rows} Vietnamese news articles about public security (police, border guard and military work, "
        "crime prevention, public order) from provincial police and press outlets, one normalised record "
        "per article with its date at its real precision (and as typed first and last days), authors, "
        "provinces, officials named with a rank, and the provenance of every value. "
        f"Version {manifest['version']}, built by vn_security_corpus {manifest['library_version']}."
    )


def license_text() -> str:
    """The licence terms in one sentence (the card's License section says more)."""
    return (
        "The articles remain the copyright of their publishers; this compilation is shared for research "
        "on Vietnamese language processing. Check the publishers' terms before any other use or "
        "redistribution."
    )


def citation_bibtex(version: str) -> str:
    """The BibTeX entry to cite release ``version``.

    >>> print(citation_bibtex("1.2.0").splitlines()[0])
    @misc{vn_security_corpus_1_2_0,
    """
    escaped = AUTHORS.replace("_", "\\_")
    lines = [
        f"@misc{{{CITATION_KEY}_{version.replace('.', '_')},",
        "  title   = {{" + PRETTY_NAME + "}},",
        "  author  = {{" + escaped + "}},",
        "  note    = {Dataset, version " + version + "},",
        "  version = {" + version + "},",
        "}",
    ]
    return "\n".join(lines)


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
        "license_name": LICENSE_NAME,
        "license_link": LICENSE_FILE,
        # What the records support without labels: language modelling on the text, and headline
        # generation from text to title. No token-level or class labels: the metadata is rule-extracted.
        "task_categories": ["text-generation", "fill-mask", "summarization"],
        "task_ids": ["language-modeling", "masked-language-modeling", "news-articles-headline-generation"],
        "language_creators": ["found"],
        "annotations_creators": ["machine-generated"],
        "multilinguality": ["monolingual"],
        "source_datasets": ["original"],
        "tags": ["news", "public-security", "vietnamese"],
        "size_categories": [size_category(total_rows)],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": name, "path": f"data/{name}-*.parquet"} for name in splits],
            }
        ],
        "dataset_info": {
            # datasets reads these three into DatasetInfo (ds.info.description, .citation, .license)
            "description": dataset_summary(manifest),
            "citation": citation_bibtex(str(manifest["version"])),
            "license": license_text(),
            "features": features_yaml(arrow_schema()),
            "splits": [
                {"name": name, "num_bytes": split["arrow_bytes"], "num_examples": split["rows"]}
                for name, split in splits.items()
            ],
            "download_size": sum(int(info["bytes"]) for path, info in files.items() if path.startswith("data/")),
            "dataset_size": sum(int(split["arrow_bytes"]) for split in splits.values()),
        },
    }


def render_card(
    manifest: Mapping[str, Any], files: Mapping[str, Mapping[str, Any]], extras: ReleaseExtras | None = None
) -> str:
    """The whole README.md of a release; ``extras`` (the statistics, the plots, the diff against
    the previous release) fill the sections that need the records."""
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

{_details_and_uses(manifest, extras)}## Loading

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

{_structure(manifest, extras)}## Fields

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

{_risks_statistics_creation(manifest, extras)}## License

The data is not under the MIT licence of the vn_security_corpus code. The
articles, and the metadata taken from them, remain the copyright of their
publishers and authors; the maintainers hold no rights in them and can grant
none. They are provided for research on Vietnamese language processing. Without
the publishers' permission, do not redistribute the text (in whole or in
substantial part, this release included, on a dataset hub or elsewhere) nor use
it for anything other than research; statistics, scores and annotations that
refer to articles by `id` may be shared. The full terms are in [{LICENSE_FILE}]({LICENSE_FILE}) beside this card
(and in {DATA_LICENSE}, shipped with the vn_security_corpus package).

{_citation_and_more(manifest)}"""


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


# ---------------------------------------------------------------- sections from the build's facts


def _percent(part: int, whole: int) -> str:
    """``part`` as a share of ``whole``.

    >>> _percent(1, 3), _percent(0, 0)
    ('33.3%', '0%')
    """
    return f"{100 * part / whole:.1f}%" if whole else "0%"


def _details_and_uses(manifest: Mapping[str, Any], extras: ReleaseExtras | None) -> str:
    counts = manifest.get("counts", {})
    style = manifest["settings"].get("tone_style", "traditional")
    shards = sum(len(split["files"]) for split in manifest["splits"].values())
    rejected, duplicates = counts.get("rejected", 0), counts.get("duplicates", 0)
    return f"""## Dataset Details

### Dataset Description

{dataset_summary(manifest)}

- **Curated by:** {AUTHORS}, with the `vn_security_corpus` library {manifest["library_version"]}:
  rules and schemas, no manual annotation.
- **Language:** Vietnamese (`vi`), tone marks in the {style} style.
- **License:** other: the publishers' copyright; see [{LICENSE_FILE}]({LICENSE_FILE}).
- **Records:** {counts.get("published", "?")} articles from {counts.get("inputs", "?")} raw inputs
  ({rejected} rejected, {duplicates} exact duplicates dropped; `manifest.json` lists each).
- **Files:** {shards} Parquet file(s) under `data/`, `croissant.json` (Croissant 1.1),
  `manifest.json` (every file's SHA-256), `plots/` (the statistics below).

### Dataset Sources

- **Raw inputs:** {len(manifest.get("inputs", []))} files of articles as published online by provincial
  police and press outlets, each listed with its SHA-256 in `manifest.json` (`inputs`); every record
  names its file and line (`source`).
- **Built with:** the `vn_security_corpus` Python package, which ships its newest release and
  builds new ones from folders of raw articles.

## Uses

### Direct Use

- Language modelling, pre-training and domain adaptation on Vietnamese news text of the
  public-security domain (`title`, `text`).
- Headline generation: `title` from `text`.
- Research on extracting metadata from Vietnamese news: the rule-made dates, provinces and
  officials are silver annotations to evaluate or bootstrap better extractors.
- Corpus studies selected by time (`date_start`, `date_end`), place (`province`,
  `province_2025`) or length (`n_words`).

### Out-of-Scope Use

- Identifying, profiling or tracking the people the articles name (suspects, victims, witnesses,
  officials, journalists), or building databases of persons from `officials`, `authors` or the text.
- Decisions about any person (law enforcement, employment, credit, migration): the articles report
  allegations from the authorities' point of view, not findings of guilt.
- Measuring crime or security trends: which events were reported, and by whom, is the outlets'
  choice, not a statistical sample.
- Using the rule-extracted fields as gold labels (classification or named entities) unchecked.
- Any use the publishers' terms do not allow (see License).

"""


def _example(extras: ReleaseExtras | None) -> str:
    if extras is None or extras.example is None:
        return ""
    return f"""An example instance, its `text` shortened:

```json
{json.dumps(extras.example, indent=2, ensure_ascii=False)}
```

"""


def _structure(manifest: Mapping[str, Any], extras: ReleaseExtras | None) -> str:
    ratios = ", ".join(f"{name} {ratio:g}" for name, ratio in manifest["settings"]["splits"].items())
    published = ", ".join(f"`{name}` ({split['rows']})" for name, split in manifest["splits"].items())
    return f"""## Dataset Structure

One record per article, in Parquet files `data/<split>-NNNNN-of-NNNNN.parquet` sorted by id; every
record has the fields listed below, in that order. Dates are both ISO text at their real precision
(`date`) and typed days (`date_start`, `date_end`: the first and last day the date can be).

{_example(extras)}### How splits are assigned

A record's split follows from its id alone: the first 8 bytes of the SHA-256 of `split:<id>`, read
as a number in [0, 1), fall on the cumulative split ratios ({ratios}). The id is derived from the
normalised title and text, so an article keeps its split as the corpus grows and from one version
to the next (the release notes count the records that moved: there must be none), and exact
duplicates share a split. Splits without records are not published. Published: {published}.

"""


def _risks_statistics_creation(manifest: Mapping[str, Any], extras: ReleaseExtras | None) -> str:
    stats = extras.statistics if extras is not None else None
    coverage = ""
    if stats is not None and stats.articles:
        top = [(name, count) for name, count in stats.provinces.most_common() if name != "unknown"][:1]
        if top:
            unknown = stats.provinces.get("unknown", 0)
            coverage = (
                f" Coverage is uneven: {top[0][0]} alone accounts for {_percent(top[0][1], stats.articles)} of "
                "the articles" + (f", and {_percent(unknown, stats.articles)} name no province." if unknown else ".")
            )
    return f"""### Bias and risks

- **Point of view.** The outlets are police and provincial press: events are reported as the
  authorities present them, and suspects rarely speak for themselves.{coverage}
- **Rule-made metadata.** Dates, provinces and officials are extracted by rules; their known failure
  patterns are listed above and in the library's test cases.
- **People.** The text names private persons in connection with alleged offences (see Personal and
  Sensitive Information); a model trained on it can reproduce those names.

### Recommendations

- Mask or remove personal names before training a generative model on the text, and never use the
  corpus to make claims about individuals.
- Check the extracted fields on a sample before relying on them; a null means unknown.
- Weight or stratify by province and year (see Statistics) when representativeness matters.
- Train on `train` only and report results on the published `validation`/`test` splits: they are
  stable across versions, so results stay comparable.

{_statistics(stats)}{_creation(manifest, stats)}{_release_notes(manifest, extras)}"""


def _statistics(stats: Statistics | None) -> str:
    if stats is None:
        return ""
    from .stats import PRECISIONS, markdown_table, sorted_years

    total = stats.articles
    quantiles = stats.word_quantiles()
    sections = [
        "## Statistics",
        f"Computed from the {total} published records while the release was built.",
        "### Articles per split",
        markdown_table(["split", "articles", "share"], [(n, c, _percent(c, total)) for n, c in stats.splits.items()]),
        "![Articles per split](plots/splits.png)",
        "### Articles per year",
        "The year of `date_start`; `unknown`: no date.",
        markdown_table(["year", "articles"], sorted_years(stats.years)),
        "![Articles per year](plots/years.png)",
        "### Articles per province",
        "`province` (the province an article is mainly about); `unknown`: none named.",
        markdown_table(
            ["province", "articles", "share"], [(n, c, _percent(c, total)) for n, c in stats.provinces.most_common()]
        ),
        "![Articles per province](plots/provinces.png)",
        "### Date precision",
        markdown_table(
            ["precision", "articles", "share"],
            [
                (name, stats.precision.get(name, 0), _percent(stats.precision.get(name, 0), total))
                for name in PRECISIONS
            ],
        ),
        "![Date precision](plots/date_precision.png)",
        "### Text length",
        "Words per article (`n_words`): "
        + ", ".join(f"{name} {value:.0f}" if name == "mean" else f"{name} {value}" for name, value in quantiles.items())
        + f"; {stats.chars} characters of text in all.",
        markdown_table(["words", "articles"], stats.word_bins()),
        "![Words per article](plots/words.png)",
        "### Officials by rank",
        f"{stats.officials} officials named with a rank (`officials`), by rank:",
        markdown_table(["rank", "officials"], stats.ranks.most_common() or [("(none)", 0)]),
        "![Officials named, by rank](plots/ranks.png)",
    ]
    return "\n\n".join(sections) + "\n\n"


def _creation(manifest: Mapping[str, Any], stats: Statistics | None) -> str:
    counts = manifest.get("counts", {})
    people = ""
    if stats is not None:
        people = (
            f" In this release `officials` lists {stats.officials} officials named with a rank in "
            f"{stats.articles_with_officials} of {stats.articles} articles, and {stats.articles_with_authors} "
            "articles name their authors."
        )
    return f"""## Dataset Creation

### Curation Rationale

Public-security news is a large and distinctive register of Vietnamese (ranks, abbreviations such
as ANTT and QP-AN, formulaic reports of meetings, campaigns and cases) that general corpora cover
poorly. This corpus gathers it in one normalised, validated and versioned form, with the provenance
of every record, so that experiments on it can be repeated exactly.

### Source Data

#### Data Collection and Processing

Articles were collected as plain text files (or JSON) as published online. The build reads each in
the encoding it was saved in (UTF-8, UTF-16, Windows-1258, TCVN3, VISCII, or repaired mojibake),
checks it against `schema/raw_article.schema.json`, normalises the text, extracts the metadata by
rules, drops exact duplicates, assigns splits and writes the Parquet files, the manifest and this
card. Of {counts.get("inputs", "?")} inputs, {counts.get("published", "?")} were published,
{counts.get("rejected", 0)} rejected (each with its reasons in `manifest.json`) and
{counts.get("duplicates", 0)} dropped as exact duplicates.

#### Who are the source data producers?

Journalists and press offices of provincial police forces and provincial newspapers; the byline,
when there is one, is in `authors`.

### Annotations

There is no human annotation. `date`, `date_start`, `date_end`, `date_precision`, `date_source`,
`authors`, `province`, `provinces`, `province_2025` and `officials` are made by rules from the text
(machine-generated); see Limitations.

#### Personal and Sensitive Information

The articles name real people: suspects and defendants (reports of cases usually give their birth
year, `SN 1990`, and home address, `trú tại …`), victims and witnesses, officials with their ranks
and posts, and the journalists who wrote them. Many concern alleged criminal offences, drugs, accidents and
deaths. Names are never anonymised; identifiers (phone, ID card, plate, e-mail, account numbers) are
counted, and masked when the release was built with `--mask-pii` (see Personal and sensitive
information above).{people} Whoever processes the corpus is
responsible for doing so lawfully (in Viet Nam, Decree 13/2023/NĐ-CP on personal data protection;
elsewhere, laws such as the GDPR).

"""


def _release_notes(manifest: Mapping[str, Any], extras: ReleaseExtras | None) -> str:
    if extras is None:
        return ""
    if extras.notes is None:
        return "## Release notes\n\nThe first release in its folder of releases: no earlier version to compare.\n\n"
    from .diff import bump_of

    notes = extras.notes
    lines = "\n".join(f"- {line}" for line in notes.lines())
    made = bump_of(notes.old, notes.new)
    verdict = (
        f"**This version breaks the versioning rule** and was published anyway: {extras.rule_broken}."
        if extras.rule_broken
        else f"Version {notes.new} is a {made} version after {notes.old}, as the changes allow."
    )
    return f"""## Release notes

Changes since version {notes.old} (from `vn-security-corpus diff`):

{lines}

{verdict}

"""


def _citation_and_more(manifest: Mapping[str, Any]) -> str:
    version = str(manifest["version"])
    return f"""The terms in full: [{LICENSE_FILE}]({LICENSE_FILE}).

## Citation

**BibTeX:**

```bibtex
{citation_bibtex(version)}
```

## More Information

`manifest.json` lists every file with its SHA-256, every raw input, the build settings and the
counts; `croissant.json` describes the files and records in Croissant 1.1 (`mlcroissant` loads
them); `plots/` holds the statistics' plots. Built by `vn_security_corpus`
{manifest["library_version"]} with pyarrow {manifest["pyarrow_version"]}.

## Dataset Card Authors

Written by the `vn_security_corpus` library from the facts of the build; {AUTHORS}.

## Dataset Card Contact

{AUTHORS}, through the issue tracker of the `vn_security_corpus` repository.
"""


def render_license(manifest: Mapping[str, Any]) -> str:
    """``LICENSE.md`` of a release: the terms its card's ``license_link`` points to."""
    return f"""# License of the {PRETTY_NAME}, version {manifest["version"]}

{license_text()}

- **The articles** (titles and text) are the work of their authors and publishers, the provincial
  police and press outlets that published them, and remain their copyright. They are included for
  research on Vietnamese language processing; no licence to them is granted here.
- **The compilation and metadata** (the record structure, the extracted dates, provinces, officials
  and provenance, the manifest, the card, the plots) are made by the `vn_security_corpus` library,
  which is under the MIT licence; use them under the same terms as the articles they describe.
- Before any use other than research, or any redistribution, check the terms of each publisher.
  `source.file` names the raw file each record came from.
"""


def render_root_card(manifests: Sequence[Mapping[str, Any]]) -> str:
    """``README.md`` of a folder of releases: a dataset card whose ``configs`` name one config per
    version (its ``data_files`` inside the version's folder), the newest the default. So
    ``datasets.load_dataset(root)`` loads the newest version and ``load_dataset(root, "1.0.0")`` an
    older one, never all of them concatenated.

    >>> print(render_root_card([{"version": "1.0.0", "splits": {"train": {"rows": 3}}}]).split("---")[1].strip())
    pretty_name: Vietnamese Public-Security News Corpus
    language:
    - vi
    license: other
    license_name: publishers-copyright
    configs:
    - config_name: 1.0.0
      data_files:
      - split: train
        path: 1.0.0/data/train-*.parquet
      default: true
    """
    from .diff import newest_first

    ordered = newest_first([str(manifest["version"]) for manifest in manifests])
    by_version = {str(manifest["version"]): manifest for manifest in manifests}
    configs = []
    for version in ordered:
        splits = by_version[version]["splits"]
        config: dict[str, Any] = {
            "config_name": version,
            "data_files": [{"split": name, "path": f"{version}/data/{name}-*.parquet"} for name in splits],
        }
        if version == ordered[0]:
            config["default"] = True
        configs.append(config)
    front = yaml.safe_dump(
        {
            "pretty_name": PRETTY_NAME,
            "language": ["vi"],
            "license": "other",
            "license_name": LICENSE_NAME,
            "configs": configs,
        },
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    rows = "\n".join(
        f"| [{version}]({version}/README.md) | "
        + ", ".join(f"{name} {split['rows']}" for name, split in by_version[version]["splits"].items())
        + " |"
        for version in ordered
    )
    newest = ordered[0] if ordered else "none"
    return f"""---
{front}---

# {PRETTY_NAME}: all versions

Each folder holds one version, a complete dataset with its own card, `manifest.json` and
`croissant.json`. Each version is a config of its own: the newest ({newest}) is the default.

```python
import datasets

newest = datasets.load_dataset("path/to/this/folder")            # version {newest}
older = datasets.load_dataset("path/to/this/folder", "{ordered[-1] if ordered else newest}")    # any version by name
```

| version | articles per split |
|---|---|
{rows}
"""
