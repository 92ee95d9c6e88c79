"""Load published releases: as a pyarrow Table, a ``datasets`` dataset, or a pandas DataFrame.

``version=None`` means the newest release; ``root=None`` means the releases that
ship inside this package. Nothing here touches the network or runs code from a
release: only ``manifest.json`` (JSON) and the Parquet files it lists are read.
``verify=True`` checks every file's checksum first; a damaged Parquet file is a
:class:`ReleaseError` naming it, with or without ``verify``.

>>> versions()[-1] == info()["version"]
True
>>> load_table(columns=["id", "title"]).column_names
['id', 'title', 'split']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import ConfigError, ReleaseError
from .release import Release, open_release, versions
from .text import ToneStyle, check_tone_style, to_tone_style
from .verify import check_release, file_problem

if TYPE_CHECKING:
    import datasets
    import pandas

__all__ = ["info", "load_dataset", "load_pandas", "load_table", "versions"]

SPLIT_COLUMN = "split"
# The columns whose text follows the release's tone-mark style.
STYLED_COLUMNS = ("title", "text", "authors", "officials")

Filters = Any  # a pyarrow compute expression, or filters in the DNF form of pyarrow.parquet


def info(version: str | None = None, root: Path | str | None = None) -> dict[str, Any]:
    """The manifest of a release: version, splits, files and checksums, inputs, content hash.

    >>> info("1.0.0")["counts"]["published"]
    5
    """
    return dict(open_release(version, root).manifest.data)


def load_table(
    version: str | None = None,
    split: str | None = None,
    *,
    root: Path | str | None = None,
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    tone_style: ToneStyle | None = None,
    verify: bool = False,
) -> pa.Table:
    """A release (or one split of it) as a ``pyarrow.Table``; does not import ``datasets``.

    With ``split=None`` the whole corpus comes back with a ``split`` column.
    ``columns`` and ``filters`` are passed to the Parquet reader. ``tone_style``
    (``traditional`` or ``new``) rewrites title, text, authors and officials in that
    tone-mark style when the release was built in the other one. ``verify=True``
    first checks every file of the release against its manifest.

    >>> load_table(split="train", filters=[("date_precision", "=", "day")]).num_rows > 0
    True
    """
    return read_release(
        open_release(version, root), split, columns=columns, filters=filters, tone_style=tone_style, verify=verify
    )


def read_release(
    release: Release,
    split: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    tone_style: ToneStyle | None = None,
    verify: bool = False,
) -> pa.Table:
    """:func:`load_table` of a release already resolved: every loader resolves the release once,
    so one load never mixes two versions."""
    if verify:
        check_release(release.path)
    files = release.split_files(split)
    wanted = [column for column in columns if column != SPLIT_COLUMN] if columns is not None else None
    tables = []
    for name, paths in files.items():
        table = read_parquet(release, paths, columns=wanted, filters=filters)
        if split is None:
            table = table.append_column(SPLIT_COLUMN, pa.repeat(pa.scalar(name, pa.string()), table.num_rows))
        tables.append(table)
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    if tone_style is not None and check_tone_style(tone_style) != release.manifest.tone_style:
        table = restyle_table(table, tone_style)
    return table


def restyle_table(table: pa.Table, tone_style: ToneStyle) -> pa.Table:
    """``table`` with the text of its :data:`STYLED_COLUMNS` written in ``tone_style``.

    >>> restyle_table(pa.table({"title": ["Thủy"], "id": ["x"]}), "new").to_pylist()
    [{'title': 'Thuỷ', 'id': 'x'}]
    """
    check_tone_style(tone_style)
    for index, name in enumerate(table.column_names):
        if name in STYLED_COLUMNS:
            column = table.column(index).combine_chunks()
            restyled = _map_strings(column, lambda text: to_tone_style(text, tone_style))
            table = table.set_column(index, table.field(index), restyled)
    return table


def _map_strings(array: pa.Array, function: Callable[[str], str]) -> pa.Array:
    """``array`` (strings, or lists/structs of them) with ``function`` applied to every string."""
    if pa.types.is_string(array.type):
        return pa.array([None if value is None else function(value) for value in array.to_pylist()], array.type)
    if pa.types.is_list(array.type):
        return pa.ListArray.from_arrays(
            array.offsets, _map_strings(array.values, function), type=array.type, mask=array.is_null()
        )
    if pa.types.is_struct(array.type):
        children = [_map_strings(array.field(i), function) for i in range(array.type.num_fields)]
        return pa.StructArray.from_arrays(children, fields=list(array.type), mask=array.is_null())
    return array


def read_parquet(release: Release, paths: Sequence[Path], **options: Any) -> pa.Table:
    """Parquet files of ``release``, read together (in parallel); a damaged one is a
    ReleaseError naming it, never an Arrow traceback.

    A file that cannot be read although it matches its manifest is read with
    wrong ``options`` (columns, filters): ConfigError.
    """
    try:
        return pq.read_table([str(path) for path in paths], **options)
    except (OSError, pa.ArrowException) as error:
        for path in paths:  # which one?
            _read_one(release, path, options)
        reason = (str(error).strip() or type(error).__name__).splitlines()[0]
        raise ReleaseError(
            f"{release.path}: its Parquet files cannot be read together ({reason}); run verify on it"
        ) from None


def _read_one(release: Release, path: Path, options: Mapping[str, Any]) -> None:
    try:
        pq.read_table(path, **options)
    except (OSError, pa.ArrowException) as error:
        reason = (str(error).strip() or type(error).__name__).splitlines()[0]
        expected = release.manifest.files.get(path.relative_to(release.path).as_posix())
        problem = file_problem(path, expected) if expected is not None else None
        if expected is not None and problem is None:
            raise ConfigError(f"{path}: cannot be read with these columns and filters ({reason})") from None
        state = problem.message if problem is not None else "not listed in the manifest"
        raise ReleaseError(
            f"{path}: cannot be read as Parquet ({reason}); {state}: restore the release or rebuild it "
            f"(`vn-security-corpus verify {release.path}` checks every file)"
        ) from None


def load_pandas(
    version: str | None = None,
    split: str | None = None,
    *,
    root: Path | str | None = None,
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    tone_style: ToneStyle | None = None,
    verify: bool = False,
) -> pandas.DataFrame:
    """A release (or one split) as a ``pandas.DataFrame``; arguments as :func:`load_table`."""
    table = load_table(
        version, split, root=root, columns=columns, filters=filters, tone_style=tone_style, verify=verify
    )
    frame: pandas.DataFrame = table.to_pandas()
    return frame


def load_dataset(
    version: str | None = None,
    split: str | None = None,
    *,
    root: Path | str | None = None,
    streaming: bool = False,
    tone_style: ToneStyle | None = None,
    verify: bool = False,
) -> Any:
    """A release as a ``datasets.DatasetDict`` (or a ``Dataset`` for one ``split``).

    The tables stay in memory: nothing is copied into the ``datasets`` cache.
    With ``streaming=True`` the Parquet files are read lazily
    (``IterableDatasetDict`` / ``IterableDataset``): a damaged file then fails
    during iteration, so pass ``verify=True`` to check checksums first.
    ``tone_style`` as in :func:`load_table`.
    """
    import datasets

    release = open_release(version, root)
    if verify:
        check_release(release.path)
    files = release.split_files(split)
    if streaming:
        streamed = datasets.load_dataset(
            "parquet", data_files={name: [str(p) for p in paths] for name, paths in files.items()}, streaming=True
        )
        if tone_style is not None and check_tone_style(tone_style) != release.manifest.tone_style:
            streamed = streamed.with_format("arrow").map(
                restyle_table, batched=True, fn_kwargs={"tone_style": tone_style}
            )
            streamed = streamed.with_format(None)
        return streamed[split] if split is not None else streamed
    loaded = datasets.DatasetDict({name: _in_memory_dataset(release, name, tone_style) for name in files})
    return loaded[split] if split is not None else loaded


def _in_memory_dataset(release: Release, split: str, tone_style: ToneStyle | None) -> datasets.Dataset:
    import datasets
    from datasets.table import InMemoryTable

    table = read_release(release, split, tone_style=tone_style)
    features = datasets.Features.from_arrow_schema(table.schema)
    # The content hash (and the style) names the data exactly: datasets need not hash the table again.
    fingerprint = f"vnsc-{release.manifest.content_sha256[:24]}-{split}-{tone_style or 'as-built'}"
    return datasets.Dataset(
        InMemoryTable(table),
        info=datasets.DatasetInfo(features=features),
        split=datasets.NamedSplit(split),
        fingerprint=fingerprint,
    )
