"""The contract: load the JSON Schemas, validate records, derive the Arrow schema.

``schema/article.schema.json`` is the one description of a published record; the
Parquet columns (:func:`arrow_schema`) and the dataset card's features
(:func:`features_yaml`) are derived from it here.

>>> for problem in validate("raw_article", {"title": "T", "paragraphs": []}, "raw/a.txt"):
...     print(problem)
raw/a.txt: the record lacks the required field 'source'
raw/a.txt: paragraphs is empty (at /paragraphs); fix: an article needs a body: at least one paragraph after the title
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, Problem
from .package_data import package_file

if TYPE_CHECKING:  # imported where used: reading a release needs neither
    import jsonschema
    import pyarrow as pa

SCHEMA_NAMES = ("raw_article", "article", "manifest")
# In an installed wheel the schemas sit inside the package; in a source checkout
# (editable install) they sit in the repository's top-level schema/ folder.
_SCHEMA_DIRS = (package_file("schema"), package_file().parent / "schema")

_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_PREVIEW_CHARS = 60

LineOf = Callable[[str], "int | None"]


def schema_path(name: str) -> Path:
    """Path of the schema file ``name`` (``raw_article``, ``article`` or ``manifest``).

    >>> schema_path("article").name
    'article.schema.json'
    """
    if name not in SCHEMA_NAMES:
        raise ConfigError(f"unknown schema {name!r}; choose one of {', '.join(SCHEMA_NAMES)}")
    for folder in _SCHEMA_DIRS:
        path = folder / f"{name}.schema.json"
        if path.is_file():
            return path
    raise ConfigError(
        f"schema file {name}.schema.json not found in {' or '.join(map(str, _SCHEMA_DIRS))}; reinstall the package"
    )


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed JSON Schema ``name``.

    >>> load_schema("article")["title"]
    'Article'
    """
    schema: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return schema


def schema_sha256(name: str = "article") -> str:
    """SHA-256 of the schema's canonical JSON (insensitive to formatting).

    >>> len(schema_sha256())
    64
    """
    canonical = json.dumps(load_schema(name), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1 << 12)  # a corpus has few distinct dates
def parse_partial_date(value: str) -> tuple[int, int | None, int | None] | None:
    """``(year, month, day)`` of an ISO date at any precision, or None if it is not a real date.

    >>> parse_partial_date("2020-06"), parse_partial_date("2020-02-30"), parse_partial_date("2020-13")
    ((2020, 6, None), None, None)
    """
    match = _PARTIAL_DATE.fullmatch(value)
    if not match:
        return None
    year, month, day = (int(part) if part is not None else None for part in match.groups())
    assert year is not None
    try:
        datetime.date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError:
        return None
    return year, month, day


def _is_partial_date(value: object) -> bool:
    return not isinstance(value, str) or parse_partial_date(value) is not None


def _is_date(value: object) -> bool:
    """The ``date`` format: a real day written ``YYYY-MM-DD`` (the typed dates, Arrow date32)."""
    if not isinstance(value, str):
        return True
    parts = parse_partial_date(value)
    return parts is not None and parts[2] is not None


def date_range(value: str | None) -> tuple[str | None, str | None]:
    """The first and last day an ISO date at any precision can be, as ``YYYY-MM-DD``
    (``date_start`` and ``date_end`` of a record); ``(None, None)`` for no date or an unreal one.

    >>> date_range("2020-06"), date_range("2020-02"), date_range("2021")
    (('2020-06-01', '2020-06-30'), ('2020-02-01', '2020-02-29'), ('2021-01-01', '2021-12-31'))
    >>> date_range("2020-06-19"), date_range(None)
    (('2020-06-19', '2020-06-19'), (None, None))
    """
    parts = parse_partial_date(value) if value is not None else None
    if parts is None:
        return None, None
    year, month, day = parts
    if day is not None and month is not None:
        first = last = datetime.date(year, month, day)
    elif month is not None:
        first = datetime.date(year, month, 1)
        last = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    else:
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return first.isoformat(), last.isoformat()


@functools.cache
def full_validator(name: str) -> jsonschema.Draft202012Validator:
    """The ``jsonschema`` validator of schema ``name`` (every error, with its path), the library's
    formats included: the reference that :func:`is_valid` is the fast form of."""
    import jsonschema

    formats = jsonschema.FormatChecker()
    formats.checks("partial-date")(_is_partial_date)
    formats.checks("date")(_is_date)
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=formats)


_FORMAT_CHECKS: dict[str, Callable[[object], bool]] = {"partial-date": _is_partial_date, "date": _is_date}


@functools.cache
def _fast_validator(name: str) -> Callable[[Any], bool]:
    """A yes/no check of schema ``name``, about 50 times faster than ``jsonschema``; it may say
    no to a valid instance (then :func:`validate` finds no problem), never yes to an invalid one.

    jsonschema-rs checks the structure; this library's format (``partial-date``) is checked
    here in Python: a format callback from Rust costs more than the whole check.
    """
    import jsonschema_rs

    schema = load_schema(name)
    sites = [(path, _FORMAT_CHECKS[form]) for path, form in _format_sites(schema)]
    if len(sites) != _count_formats(schema):
        raise ConfigError(f"{name}.schema.json: a format may sit only under properties or items")
    structure = jsonschema_rs.validator_for(schema, validate_formats=False)

    def is_valid(instance: Any) -> bool:
        try:
            if not structure.is_valid(instance):
                return False
        except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form: the full check says where
            return False
        # One check of all the strings at a site, joined: it may fail where each alone would
        # pass (the full check then finds nothing wrong), never the other way round.
        for path, check in sites:
            if len(path) == 1:  # a property of the record: no lists to gather
                value = instance.get(path[0])
                strings = [value] if isinstance(value, str) else []
            else:
                strings = [value for value in _values_at(instance, path) if isinstance(value, str)]
            if strings and not check("\n".join(strings)):
                return False
        return True

    return is_valid


def _format_sites(schema: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """``(path, format)`` of every format reachable through properties and items ("*": every item)."""
    if "format" in schema:
        if schema["format"] not in _FORMAT_CHECKS:
            raise ConfigError(f"unknown format {schema['format']!r} at {'/'.join(path) or 'the top'}")
        yield path, schema["format"]
    for key, sub in schema.get("properties", {}).items():
        yield from _format_sites(sub, (*path, key))
    if isinstance(schema.get("items"), Mapping):
        yield from _format_sites(schema["items"], (*path, "*"))


def _values_at(instance: Any, path: tuple[str, ...]) -> list[Any]:
    """The values at ``path`` in ``instance`` ("*": every item of a list)."""
    values = [instance]
    for key in path:
        if key == "*":
            values = [item for value in values if isinstance(value, list) for item in value]
        else:
            values = [value[key] for value in values if isinstance(value, dict) and key in value]
    return values


def _count_formats(schema: Any) -> int:
    if isinstance(schema, dict):
        return int("format" in schema) + sum(_count_formats(value) for value in schema.values())
    if isinstance(schema, list):
        return sum(_count_formats(value) for value in schema)
    return 0


def is_valid(name: str, instance: Any) -> bool:
    """Whether ``instance`` satisfies schema ``name`` (fast; :func:`validate` says why not).

    >>> is_valid("raw_article", {"title": "T"}), is_valid("article", {})
    (False, False)
    """
    return _fast_validator(name)(instance)


def validate(name: str, instance: Any, file: str, line_of: LineOf | None = None) -> list[Problem]:
    """Every problem of ``instance`` against schema ``name``, in document order.

    ``line_of`` maps a JSON pointer (``/paragraphs/2``) to the line of the raw
    file it came from, so messages point at the right line.
    """
    if is_valid(name, instance):
        return []
    errors = sorted(full_validator(name).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    problems: dict[Problem, None] = {}  # ordered set: `required` reports once per missing key
    for error in errors:
        pointer = _pointer(error.absolute_path)
        line = line_of(pointer) if line_of else None
        problems[Problem(file, line, _describe(error, pointer), pointer, _hint(error))] = None
    return list(problems)


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _preview(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) > _PREVIEW_CHARS:
        text = text[: _PREVIEW_CHARS - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def _describe(error: jsonschema.ValidationError, pointer: str) -> str:
    """A one-line message that never dumps a whole (possibly huge) value."""
    field = pointer.lstrip("/").replace("/", ".") or "the record"
    value: Any = error.instance
    expected: Any = error.validator_value
    keyword = error.validator
    subschema: Any = error.schema
    if keyword == "required":
        missing = [key for key in expected if isinstance(value, dict) and key not in value]
        return f"{field} lacks the required field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
    if keyword == "additionalProperties":
        extra = sorted(set(value) - set(subschema.get("properties", {}))) if isinstance(value, dict) else []
        return f"{field} has unexpected field{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"
    if keyword == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return f"{field} is {_preview(value)}, not of type {' or '.join(kinds)}"
    if keyword in ("minItems", "minLength") and expected == 1:
        return f"{field} is empty"
    if keyword == "pattern" and expected == r"\S":
        return f"{field} is empty or blank"
    if keyword == "maxLength":
        return f"{field} is {len(value)} characters long, more than {expected}"
    if keyword == "not" and isinstance(expected, Mapping) and "pattern" in expected and isinstance(value, str):
        found = re.search(expected["pattern"], value)  # the schemas' one such rule: text, not a web page
        shown = found.group().rstrip(" \t\n\r\f\v/>") if found else value
        return f"{field} is a web page, not an article's text: it holds {_preview(shown)}"
    if keyword == "format" and expected == "date":
        return f"{field} {_preview(value)} is not a real day in the form YYYY-MM-DD"
    if keyword == "format":
        return f"{field} {_preview(value)} is not a real date in the form YYYY, YYYY-MM or YYYY-MM-DD"
    if keyword == "pattern":
        return f"{field} {_preview(value)} does not match {expected!r}"
    if keyword in ("enum", "const"):
        allowed = expected if keyword == "enum" else [expected]
        return f"{field} is {_preview(value)}, not one of {', '.join(map(json.dumps, allowed))}"
    if keyword == "oneOf":
        return f"{field} does not match exactly one of the allowed shapes"
    return f"{field}: {error.message[:200]}"


def _hint(error: jsonschema.ValidationError) -> str:
    subschema: Any = error.schema
    hint = subschema.get("x-hint", "") if isinstance(subschema, Mapping) else ""
    if isinstance(hint, Mapping):
        hint = hint.get(str(error.validator), "")
    return str(hint)


# ---------------------------------------------------------------- derivation


def arrow_schema() -> pa.Schema:
    """The Arrow schema of the published Parquet files, derived from article.schema.json.

    >>> arrow_schema().field("authors").type
    ListType(list<item: string not null>)
    """
    import pyarrow as pa

    schema = load_schema("article")
    return pa.schema(
        [_arrow_field(name, sub, name in schema["required"]) for name, sub in schema["properties"].items()]
    )


def _arrow_field(name: str, sub: Mapping[str, Any], required: bool) -> pa.Field:
    import pyarrow as pa

    kinds = sub["type"] if isinstance(sub["type"], list) else [sub["type"]]
    nullable = "null" in kinds or not required
    kind = next(k for k in kinds if k != "null")
    arrow_type: pa.DataType
    if kind == "string" and sub.get("format") == "date":  # ISO text in the JSON record, a typed date in Arrow
        arrow_type = pa.date32()
    elif kind == "string":
        arrow_type = pa.string()
    elif kind == "integer":
        arrow_type = pa.int64()
    elif kind == "number":
        arrow_type = pa.float64()
    elif kind == "boolean":
        arrow_type = pa.bool_()
    elif kind == "array":
        arrow_type = pa.list_(_arrow_field("item", sub["items"], True))
    elif kind == "object":
        needed = set(sub.get("required", ()))
        arrow_type = pa.struct([_arrow_field(k, v, k in needed) for k, v in sub["properties"].items()])
    else:
        raise ConfigError(f"article.schema.json: type {kind!r} of {name!r} has no Arrow equivalent")
    return pa.field(name, arrow_type, nullable=nullable)


def features_yaml(schema: pa.Schema) -> list[dict[str, Any]]:
    """The ``dataset_info.features`` list of a dataset card for an Arrow schema.

    >>> import pyarrow as pa
    >>> features_yaml(pa.schema([("authors", pa.list_(pa.string()))]))
    [{'name': 'authors', 'list': 'string'}]
    """
    return [{"name": field.name, **_feature_type(field.type)} for field in schema]


def _feature_type(arrow_type: pa.DataType) -> dict[str, Any]:
    import pyarrow as pa

    if pa.types.is_list(arrow_type):
        inner = _feature_type(arrow_type.value_type)
        return {"list": inner.get("dtype", inner.get("struct"))}
    if pa.types.is_struct(arrow_type):
        return {"struct": [{"name": f.name, **_feature_type(f.type)} for f in arrow_type]}
    dtypes = {
        pa.string(): "string",
        pa.int64(): "int64",
        pa.float64(): "float64",
        pa.bool_(): "bool",
        pa.date32(): "date32",
    }
    if arrow_type not in dtypes:
        raise ConfigError(f"Arrow type {arrow_type} has no dataset-card feature type")
    return {"dtype": dtypes[arrow_type]}
