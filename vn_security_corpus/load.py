"""Load published releases: as a pyarrow Table, a ``datasets`` dataset, or a pandas DataFrame.

``version=None`` means the newest release; ``root=None`` means the releases that
ship inside this package. Nothing here touches the network or runs code from a
release: only ``manifest.json`` (JSON) and the Parquet files it lists are read.
``verify=True`` checks the release's ``checksums`` file, its manifest and every file
first; a damaged Parquet file is a :class:`ReleaseError` naming it, with or without
``verify``. ``content_sha256=`` pins the records: a release whose content hash is another
is refused (with ``verify=True`` the records read are hashed again and compared with it).

A load resolves the release once and reads every file through the release folder it
opened (:class:`~vn_security_corpus.release.ReleaseFolder`): a build publishing a new
version meanwhile changes nothing, and a ``--force`` rewrite of the version being read
makes the load either return the release it resolved, whole, or raise a ReleaseError
saying to load again, never a mix of the two.

>>> versions()[-1] == info()["version"]
True
>>> load_table(columns=["id", "title"]).column_names
['id', 'title', 'split']
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import ConfigError, CorpusError, ReleaseError
from .release import Release, check_sha256, open_release, records_sha256, versions
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
    with open_release(version, root) as release:
        return dict(release.manifest.data)


def load_table(
    version: str | None = None,
    split: str | None = None,
    *,
    root: Path | str | None = None,
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    tone_style: ToneStyle | None = None,
    verify: bool = False,
    content_sha256: str | None = None,
) -> pa.Table:
    """A release (or one split of it) as a ``pyarrow.Table``; does not import ``datasets``.

    With ``split=None`` the whole corpus comes back with a ``split`` column.
    ``columns`` and ``filters`` are passed to the Parquet reader. ``tone_style``
    (``traditional`` or ``new``) rewrites title, text, authors and officials in that
    tone-mark style when the release was built in the other one. ``verify=True``
    first checks every file of the release against its checksums and manifest.
    ``content_sha256`` (as ``info()["content_sha256"]`` gives it) pins the records:
    a release with another content hash is a ReleaseError; with ``verify=True`` the
    records are also hashed again, so the pin holds even against a release whose
    manifest and checksums were rewritten to match other records.

    >>> load_table(split="train", filters=[("date_precision", "=", "day")]).num_rows > 0
    True
    >>> pin = info("1.1.0")["content_sha256"]
    >>> load_table("1.1.0", content_sha256=pin, verify=True).num_rows
    5
    """
    expression = _filter_expression(filters)
    if isinstance(columns, str):
        raise ConfigError(f"columns must be a list of column names, not the string {columns!r}")
    with open_release(version, root) as release:
        return read_release(
            release,
            split,
            columns=columns,
            filters=expression,
            tone_style=tone_style,
            verify=verify,
            content_sha256=content_sha256,
        )


def read_release(
    release: Release,
    split: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    tone_style: ToneStyle | None = None,
    verify: bool = False,
    content_sha256: str | None = None,
) -> pa.Table:
    """:func:`load_table` of a release already resolved: every loader resolves the release once
    and reads its files through the folder it opened, so one load never mixes two releases."""
    check_loadable(release, verify=verify, content_sha256=content_sha256)
    files = release.split_names(split)
    wanted = [column for column in columns if column != SPLIT_COLUMN] if columns is not None else None
    tables = []
    for name, paths in files.items():
        table = read_parquet(release, paths, columns=wanted, filters=filters)
        if split is None:
            table = table.append_column(SPLIT_COLUMN, pa.repeat(pa.scalar(name, pa.string()), table.num_rows))
        tables.append(table)
    table = _concat(release, [path for paths in files.values() for path in paths], tables)
    if not release.folder.by_descriptor and release.folder.replaced():  # files were opened by path: check
        raise release.changed()
    if tone_style is not None and check_tone_style(tone_style) != release.manifest.tone_style:
        table = restyle_table(table, tone_style)
    return table


def check_loadable(release: Release, *, verify: bool = False, content_sha256: str | None = None) -> None:
    """What a loader checks before it reads: the pinned content hash against the manifest's;
    with ``verify``, every file against the checksums and manifest, and then the records
    against the pin (hashed again, as :func:`~vn_security_corpus.release.records_sha256`)."""
    pin = check_sha256(content_sha256) if content_sha256 is not None else None
    if pin is not None and release.manifest.content_sha256 != pin:
        raise ReleaseError(
            f"{release.path}: release {release.version} is not the pinned one: its content_sha256 is "
            f"{release.manifest.content_sha256}, not {pin} (the version was rewritten with --force, or this is "
            "another build of it); load the release you pinned, or pin this one after checking it"
        )
    if verify:
        check_release(release)
        if pin is not None and (actual := _records_sha256(release)) != pin:
            raise ReleaseError(
                f"{release.path}: the records of release {release.version} hash to {actual}, not to the pinned "
                f"{pin}, although every file matches manifest.json and checksums: both were rewritten to match "
                "other records; do not use this release"
            )


def _records_sha256(release: Release) -> str:
    """The content hash of the records in ``release``'s Parquet files, in published order."""

    def rows() -> Iterator[tuple[str, dict[str, Any]]]:
        for split, names in release.split_names().items():
            for name in names:
                for batch in read_parquet(release, [name]).to_batches():
                    for record in batch.to_pylist():
                        yield split, record

    try:
        return records_sha256(rows(), release.manifest.content_sha256_method)
    except (pa.ArrowException, ValueError, TypeError, KeyError) as error:
        raise ReleaseError(
            f"{release.path}: its records cannot be hashed ({_reason(error)}); run `vn-security-corpus verify` on it"
        ) from None


def _filter_expression(filters: Filters) -> pc.Expression | None:
    """``filters`` as a pyarrow expression (they may be one, or filters in DNF form); ConfigError if neither."""
    if filters is None or isinstance(filters, pc.Expression):
        return filters
    try:
        expression: pc.Expression = pq.filters_to_expression(filters)
    except (ValueError, TypeError, KeyError, IndexError, pa.ArrowException) as error:
        raise ConfigError(
            f"filters {filters!r} are neither a pyarrow expression nor filters in DNF form "
            f"([(column, op, value), ...]): {_reason(error)}"
        ) from None
    return expression


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


def read_parquet(release: Release, paths: Sequence[str], **options: Any) -> pa.Table:
    """Parquet files of ``release`` (paths in the release) as one table, each read through the
    release's opened folder; a damaged one is a ReleaseError naming it, never an Arrow traceback.

    A file that cannot be read although it matches its manifest is read with
    wrong ``options`` (columns, filters): ConfigError.
    """
    tables = []
    for path in paths:
        try:
            with release.folder.open(path) as stream:
                tables.append(_read_file(_arrow_buffer(stream), **options))
        except (OSError, ValueError, pa.ArrowException) as error:
            raise _unreadable(release, path, error, options) from None
    return _concat(release, paths, tables)


def _arrow_buffer(stream: io.BufferedIOBase) -> pa.Buffer:
    """The rest of file ``stream``, read into memory that Arrow owns.

    Arrow's reading threads then never hold a Python object: one that drops the last reference
    to a Python ``bytes`` while the interpreter exits cannot take the GIL, and aborts the process
    ("terminate called without an active exception", apache/arrow#34314).

    >>> import tempfile
    >>> with tempfile.TemporaryFile() as stream:
    ...     _ = stream.write(b"PAR1"), stream.seek(0)
    ...     _arrow_buffer(stream).to_pybytes()
    b'PAR1'
    """
    buffer = pa.allocate_buffer(max(os.fstat(stream.fileno()).st_size - stream.tell(), 0))
    view, done = memoryview(buffer), 0
    while done < len(view) and (count := stream.readinto(view[done:])):
        done += count
    return buffer.slice(0, done)


def _read_file(source: pa.Buffer, columns: Sequence[str] | None = None, filters: Filters = None) -> pa.Table:
    """One Parquet file, as ``pq.read_table`` reads it; without filters, and with columns named as
    they are at the top level, by ``ParquetFile.read``, which skips the dataset layer (about twice
    as fast; measured)."""
    if filters is None:
        parquet = pq.ParquetFile(pa.BufferReader(source))
        if columns is None or (len(set(columns)) == len(columns) and set(columns) <= set(parquet.schema_arrow.names)):
            table: pa.Table = parquet.read(columns=columns)
            return table
    return pq.read_table(pa.BufferReader(source), columns=columns, filters=filters)


def _concat(release: Release, paths: Sequence[str], tables: Sequence[pa.Table]) -> pa.Table:
    """``tables``, read from ``paths``, as one; files of another schema are a ReleaseError naming them."""
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables)
    except (pa.ArrowException, ValueError) as error:
        raise _mismatch(release, paths, error) from None


def _mismatch(release: Release, paths: Sequence[str], error: Exception) -> ReleaseError:
    """The error of Parquet files of ``release`` (``paths``) that do not share one schema."""
    for path in paths:
        problem = file_problem(release.folder, path, release.manifest.files.get(path))
        if problem is not None:
            return ReleaseError(
                f"{problem.file}: its columns are not those of the release's other files; {problem.message}: "
                f"{_RESTORE_HINT.format(release=release.path)}"
            )
    return ReleaseError(
        f"{release.path}: its Parquet files do not share one schema ({_reason(error)}), though they match "
        f"manifest.json: {_RESTORE_HINT.format(release=release.path)}"
    )


_RESTORE_HINT = "restore the release or rebuild it (`vn-security-corpus verify {release}` checks every file)"


def _unreadable(release: Release, path: str, error: Exception, options: Mapping[str, Any]) -> CorpusError:
    """The error of a file of ``release`` that could not be read (``error``) with ``options``."""
    if release.folder.replaced():
        return release.changed()
    reason = _reason(error)
    expected = release.manifest.files.get(path)
    problem = file_problem(release.folder, path, expected)
    where = release.path / path
    if expected is not None and problem is None:
        if options.get("columns") is not None or options.get("filters") is not None:
            return ConfigError(f"{where}: cannot be read with these columns and filters ({reason})")
        state = "yet it matches manifest.json (which was then written for other bytes)"
    else:
        state = problem.message if problem is not None else "not listed in the manifest"
    return ReleaseError(
        f"{where}: cannot be read as Parquet ({reason}); {state}: {_RESTORE_HINT.format(release=release.path)}"
    )


def _reason(error: BaseException) -> str:
    return (str(error).strip() or type(error).__name__).splitlines()[0]


def load_pandas(
    version: str | None = None,
    split: str | None = None,
    *,
    root: Path | str | None = None,
    columns: Sequence[str] | None = None,
    filters: Filters = None,
    tone_style: ToneStyle | None = None,
    verify: bool = False,
    content_sha256: str | None = None,
) -> pandas.DataFrame:
    """A release (or one split) as a ``pandas.DataFrame``; arguments as :func:`load_table`."""
    table = load_table(
        version,
        split,
        root=root,
        columns=columns,
        filters=filters,
        tone_style=tone_style,
        verify=verify,
        content_sha256=content_sha256,
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
    content_sha256: str | None = None,
) -> Any:
    """A release as a ``datasets.DatasetDict`` (or a ``Dataset`` for one ``split``).

    The tables stay in memory: nothing is copied into the ``datasets`` cache.
    With ``streaming=True`` the Parquet files are read lazily, by path, as you
    iterate (``IterableDatasetDict`` / ``IterableDataset``): a damaged file then
    fails during iteration, so pass ``verify=True`` to check checksums first, and a
    ``--force`` rewrite of the version during the iteration is not detected.
    ``tone_style``, ``verify`` and ``content_sha256`` as in :func:`load_table`.
    """
    import datasets

    with open_release(version, root) as release:
        check_loadable(release, verify=verify, content_sha256=content_sha256)
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
        tables = {name: read_release(release, name, tone_style=tone_style) for name in files}
        schemas = [table.schema for table in tables.values()]
        if any(not schema.equals(schemas[0]) for schema in schemas):  # (load_table's concatenation checks this)
            paths = [path for names in release.split_names(split).values() for path in names]
            raise _mismatch(release, paths, ValueError("the splits have different columns"))
        loaded = datasets.DatasetDict(
            {name: _in_memory_dataset(release, name, table, tone_style) for name, table in tables.items()}
        )
    return loaded[split] if split is not None else loaded


def _in_memory_dataset(release: Release, split: str, table: pa.Table, tone_style: ToneStyle | None) -> datasets.Dataset:
    import datasets
    from datasets.table import InMemoryTable

    try:
        features = datasets.Features.from_arrow_schema(table.schema)
    except (pa.ArrowException, ValueError, TypeError, KeyError, NotImplementedError) as error:
        raise ReleaseError(
            f"{release.path}: split {split!r} has columns `datasets` cannot type ({_reason(error)}): "
            f"{_RESTORE_HINT.format(release=release.path)}"
        ) from None
    # The content hash (and the style) names the data exactly: datasets need not hash the table again.
    fingerprint = f"vnsc-{release.manifest.content_sha256[:24]}-{split}-{tone_style or 'as-built'}"
    return datasets.Dataset(
        InMemoryTable(table),
        info=datasets.DatasetInfo(features=features),
        split=datasets.NamedSplit(split),
        fingerprint=fingerprint,
    )
