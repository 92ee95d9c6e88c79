"""Croissant 1.1 metadata of a release (``croissant.json``): the ML-ecosystem description of its
files and records, readable without this library.

Written by hand from the manifest and ``schema/article.schema.json`` (no dependency on
``mlcroissant`` at run time; the tests load releases with it): the distribution lists every
Parquet file with its SHA-256 and size, and a file set of them that the record set reads;
one record set, ``articles``, has a field per column of the schema, nested fields as
sub-fields, lists as arrays, and the split of each record taken from its file's name,
referencing a ``splits`` record set of the release's splits.

>>> from vn_security_corpus.release import open_release
>>> release = open_release()
>>> document = croissant_metadata(release.manifest.data, release.manifest.data["files"])
>>> document["conformsTo"], [item["@id"] for item in document["recordSet"]]
('http://mlcommons.org/croissant/1.1', ['splits', 'articles'])
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .release import DATA_DIR, file_sha256
from .schema import load_schema

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
RECORD_SET = "articles"
SPLITS = "splits"
PARQUET_SET = "parquet-files"
PARQUET_FORMAT = "application/x-parquet"
# The @context of Croissant 1.1 as mlcroissant 1.1.1 writes it.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
# A shard's split from its file name: data/<split>-NNNNN-of-NNNNN.parquet. (The suffix is optional
# because mlcroissant applies the transform again to what it extracted.)
SPLIT_REGEX = r"^([a-z][a-z0-9_]*)(?:-[0-9]{5}-of-[0-9]{5}\.parquet)?$"
_DATA_TYPES = {"string": "sc:Text", "integer": "sc:Integer", "number": "sc:Float", "boolean": "sc:Boolean"}


def croissant_metadata(manifest: Mapping[str, Any], files: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The Croissant JSON-LD document of the release ``manifest`` describes (``files``: its
    files with sha256 and bytes, as in the manifest)."""
    from .card import PRETTY_NAME, citation_bibtex, dataset_summary, license_text

    version = str(manifest["version"])
    parquet = sorted(name for name in files if name.startswith(f"{DATA_DIR}/") and name.endswith(".parquet"))
    distribution: list[dict[str, Any]] = [
        {
            "@type": "cr:FileObject",
            "@id": name,
            "name": name,
            "description": f"Parquet shard of the {_split_of(name)} split ({files[name].get('rows', '?')} records).",
            "contentUrl": name,
            "encodingFormat": PARQUET_FORMAT,
            "contentSize": f"{files[name]['bytes']} B",
            "sha256": files[name]["sha256"],
        }
        for name in parquet
    ]
    distribution.append(
        {
            "@type": "cr:FileSet",
            "@id": PARQUET_SET,
            "name": PARQUET_SET,
            "description": "Every Parquet shard of the release (the file objects above).",
            "encodingFormat": PARQUET_FORMAT,
            "includes": f"{DATA_DIR}/*.parquet",
        }
    )
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": "vn_security_corpus",
        "alternateName": PRETTY_NAME,
        "description": dataset_summary(manifest),
        "version": version,
        "inLanguage": "vi",
        "keywords": ["vietnamese", "news", "public security", "nlp"],
        "license": license_text(),
        "citeAs": citation_bibtex(version),
        "creator": {"@type": "sc:Organization", "name": "vn_security_corpus maintainers"},
        "isAccessibleForFree": True,
        "distribution": distribution,
        "recordSet": [_splits_record_set(manifest), _articles_record_set()],
    }


def write_croissant(
    staging: Path, manifest: Mapping[str, Any], files: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Write ``croissant.json`` into the release folder ``staging``; returns its entry for the
    manifest's ``files`` (sha256, bytes)."""
    path = staging / CROISSANT
    text = json.dumps(croissant_metadata(manifest, files), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size}


def _split_of(name: str) -> str:
    """The split of a shard's path: ``data/train-00000-of-00001.parquet`` → ``train``."""
    return name.removeprefix(f"{DATA_DIR}/").rsplit("-", 3)[0]


def _splits_record_set(manifest: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": SPLITS,
        "name": SPLITS,
        "description": "The splits of the release; a record's split never changes between versions.",
        "dataType": "cr:Split",
        "key": {"@id": f"{SPLITS}/name"},
        "field": [
            {"@type": "cr:Field", "@id": f"{SPLITS}/name", "name": "name", "dataType": "sc:Text"},
        ],
        "data": [{f"{SPLITS}/name": name} for name in manifest["splits"]],
    }


def _articles_record_set() -> dict[str, Any]:
    schema = load_schema("article")
    fields = [_field(RECORD_SET, name, sub, ()) for name, sub in schema["properties"].items()]
    fields.append(
        {
            "@type": "cr:Field",
            "@id": f"{RECORD_SET}/split",
            "name": "split",
            "description": "The split the record belongs to, from its Parquet file's name.",
            "dataType": ["sc:Text", "cr:Split"],
            "references": {"field": {"@id": f"{SPLITS}/name"}},
            "source": {
                "fileSet": {"@id": PARQUET_SET},
                "extract": {"fileProperty": "filename"},
                "transform": {"regex": SPLIT_REGEX},
            },
        }
    )
    return {
        "@type": "cr:RecordSet",
        "@id": RECORD_SET,
        "name": RECORD_SET,
        "description": schema.get("description", ""),
        "key": {"@id": f"{RECORD_SET}/id"},
        "field": fields,
    }


def _field(parent: str, name: str, sub: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """The Croissant field of one property of article.schema.json (sub-fields for objects,
    ``isArray`` for lists); ``path`` locates it inside its top-level column."""
    kinds = sub["type"] if isinstance(sub["type"], list) else [sub["type"]]
    kind = next(k for k in kinds if k != "null")
    uid = f"{parent}/{name}"
    field: dict[str, Any] = {"@type": "cr:Field", "@id": uid, "name": name}
    if sub.get("description"):
        field["description"] = " ".join(str(sub["description"]).split())
    is_array = kind == "array"
    if is_array:
        field["isArray"] = True
        field["arrayShape"] = "-1"
        sub = sub["items"]
        kind = sub["type"] if isinstance(sub["type"], str) else next(k for k in sub["type"] if k != "null")
    column = path[0] if path else name
    source: dict[str, Any] = {"fileSet": {"@id": PARQUET_SET}, "extract": {"column": column}}
    inner = (*path[1:], name) if path else ()
    if inner:
        source["transform"] = {"jsonPath": ".".join(inner)}
    if kind == "object":
        nested = (*path, name) if path else (name,)
        if is_array:  # a list of objects: each sub-field reads its key in every item
            field["subField"] = [
                _field(uid, key, value, ()) | {"source": _item_source(column, key)}
                for key, value in sub["properties"].items()
            ]
        else:
            field["subField"] = [_field(uid, key, value, nested) for key, value in sub["properties"].items()]
        return field
    if kind == "string" and sub.get("format") == "date":
        field["dataType"] = "sc:Date"
    elif kind in _DATA_TYPES:
        field["dataType"] = _DATA_TYPES[kind]
    else:
        raise ConfigError(f"article.schema.json: type {kind!r} of {name!r} has no Croissant data type")
    field["source"] = source
    return field


def _item_source(column: str, key: str) -> dict[str, Any]:
    return {"fileSet": {"@id": PARQUET_SET}, "extract": {"column": column}, "transform": {"jsonPath": f"[*].{key}"}}
