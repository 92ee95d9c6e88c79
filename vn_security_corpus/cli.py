"""The ``vn-security-corpus`` command line.

Exit codes: 0 success, 1 invalid input or failed check, 2 usage error. Problems
are printed one per line as ``FILE:LINE: message``; ``--json`` prints machine
readable output instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .engine import ENGINES
from .errors import ConfigError, CorpusError, InvalidInputError, Problem, RewriteWarning
from .normalise import CANONICAL_STYLE
from .sources import DEFAULT_MAX_FILE_BYTES, RawFile, RemoteFolder, raw_location
from .split import DEFAULT_SPLITS, parse_splits
from .text import TONE_STYLES, ToneStyle

if TYPE_CHECKING:
    from .formats import Rejected
    from .pipeline import BuildReport

# The commands import what they need when they run: `--help` imports neither pyarrow nor the build.

OK, INVALID, USAGE = 0, 1, 2
_SHOWN_DUPLICATES = 20  # exact duplicates need no action: the first few, then a count
_TONE_HELP = "tone marks on oa/oe/uy: traditional (hòa, thủy; default) or new (hoà, thuỷ)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except InvalidInputError as error:
        _print_problems(error.problems, as_json=getattr(args, "json", False))
        return INVALID
    except ConfigError as error:
        print(f"vn-security-corpus: error: {error}", file=sys.stderr)
        return USAGE
    except (CorpusError, OSError) as error:
        print(f"vn-security-corpus: error: {error}", file=sys.stderr)
        return INVALID


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vn-security-corpus", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    parse = commands.add_parser("parse", help="print the published record of each raw file")
    parse.add_argument("files", nargs="+", type=raw_location, metavar="FILE", help="a raw file, a folder or its URL")
    parse.add_argument("--json", action="store_true", help="one compact JSON object per line")
    parse.add_argument("--tone-style", choices=TONE_STYLES, default=CANONICAL_STYLE, help=_TONE_HELP)
    _add_max_file_bytes(parse)
    parse.set_defaults(run=_parse)

    validate = commands.add_parser("validate", help="check raw files or folders; one line per problem")
    validate.add_argument("paths", nargs="+", type=raw_location, metavar="PATH", help="a raw file, a folder or its URL")
    validate.add_argument("--json", action="store_true", help="print a JSON report")
    _add_max_file_bytes(validate)
    validate.set_defaults(run=_validate)

    build_ = commands.add_parser("build", help="build a release from a raw folder")
    build_.add_argument(
        "--raw", type=raw_location, required=True, help="the raw folder, or its fsspec URL (s3://bucket/raw, …)"
    )
    build_.add_argument("--out", required=True, help="the folder that holds releases")
    build_.add_argument("--version", required=True, help="the release version, MAJOR.MINOR.PATCH")
    build_.add_argument(
        "--splits", type=_splits, default=DEFAULT_SPLITS, help="split ratios, default train=0.8,validation=0.1,test=0.1"
    )
    build_.add_argument("--shard-rows", type=int, default=None, help="rows per Parquet shard")
    build_.add_argument("--tone-style", choices=TONE_STYLES, default=CANONICAL_STYLE, help=_TONE_HELP)
    build_.add_argument(
        "--allow-invalid",
        action="store_true",
        help="publish the valid inputs and record the invalid ones in the manifest (default: publish nothing)",
    )
    build_.add_argument(
        "--force",
        action="store_true",
        help="rewrite a version already published from other input: this rewrites history, prefer a new version",
    )
    _add_max_file_bytes(build_)
    build_.add_argument("--jobs", type=_positive, default=None, help="worker processes (default: every core)")
    build_.add_argument("--engine", choices=ENGINES, default="local", help="where the work runs (default: local)")
    build_.add_argument(
        "--ray-address",
        default=None,
        help="the Ray cluster to use with --engine ray, HOST:PORT or auto (default: RAY_ADDRESS, else a local one)",
    )
    build_.add_argument(
        "--ray-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --engine ray: how long the cluster may take to answer, or go without progress (default 60)",
    )
    build_.add_argument("--no-progress", action="store_true", help="no progress bars (they show only on a terminal)")
    build_.add_argument("--json", action="store_true", help="print the summary as JSON")
    build_.set_defaults(run=_build)

    verify = commands.add_parser("verify", help="check a release folder against its manifest")
    verify.add_argument("release", type=Path, metavar="DIR")
    verify.add_argument("--json", action="store_true", help="print a JSON report")
    verify.set_defaults(run=_verify)

    versions_ = commands.add_parser("versions", help="list the published versions")
    versions_.add_argument("--root", type=Path, help="folder of releases (default: those in the package)")
    versions_.set_defaults(run=_versions)

    info_ = commands.add_parser("info", help="describe a release (default: the newest)")
    info_.add_argument("version", nargs="?", help="the version (default: newest)")
    info_.add_argument("--root", type=Path, help="folder of releases (default: those in the package)")
    info_.add_argument("--json", action="store_true", help="print the whole manifest")
    info_.set_defaults(run=_info)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _add_max_file_bytes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-file-bytes",
        type=int,
        default=DEFAULT_MAX_FILE_BYTES,
        metavar="N",
        help=f"refuse raw files (JSON too) larger than N bytes, unread; default {DEFAULT_MAX_FILE_BYTES}",
    )


def _splits(text: str) -> dict[str, float]:
    try:
        return parse_splits(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _inputs(
    paths: Sequence[Path | RemoteFolder], max_file_bytes: int, tone_style: ToneStyle = CANONICAL_STYLE
) -> Iterator[dict[str, Any] | Rejected]:
    from .records import process_files
    from .sources import find_raw_files

    for path in paths:
        if isinstance(path, RemoteFolder) or path.is_dir():
            files, notices = find_raw_files(path)
            for notice in notices:
                print(notice, file=sys.stderr)
        elif path.exists() or path.is_symlink():
            files = [RawFile.at(path)]
        else:
            raise ConfigError(f"{path}: no such file or folder")
        yield from process_files(files, tone_style=tone_style, max_file_bytes=max_file_bytes)


def _parse(args: argparse.Namespace) -> int:
    from .formats import Rejected

    problems: list[Problem] = []
    for result in _inputs(args.files, args.max_file_bytes, args.tone_style):
        if isinstance(result, Rejected):
            problems.extend(result.problems)
        elif args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(json.dumps(result, ensure_ascii=False, indent=2))
    _print_problems(problems, as_json=False)  # stdout carries the records
    return INVALID if problems else OK


def _validate(args: argparse.Namespace) -> int:
    from .formats import Rejected

    results = list(_inputs(args.paths, args.max_file_bytes))
    problems = [problem for result in results if isinstance(result, Rejected) for problem in result.problems]
    invalid = sum(isinstance(result, Rejected) for result in results)
    if args.json:
        report = {
            "inputs": len(results),
            "valid": len(results) - invalid,
            "invalid": invalid,
            "problems": [problem.to_dict() for problem in problems],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_problems(problems, as_json=False)
        print(f"{len(results)} inputs: {len(results) - invalid} valid, {invalid} invalid", file=sys.stderr)
    return INVALID if problems else OK


def _build(args: argparse.Namespace) -> int:
    from .pipeline import build

    options: dict[str, Any] = {
        "splits": args.splits,
        "tone_style": args.tone_style,
        "jobs": args.jobs,
        "engine": args.engine,
        "ray_address": args.ray_address,
        "ray_timeout": args.ray_timeout,
        "progress": False if args.no_progress else None,
        "allow_invalid": args.allow_invalid,
        "force": args.force,
        "max_file_bytes": args.max_file_bytes,
    }
    if args.shard_rows is not None:
        options["shard_rows"] = args.shard_rows
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", RewriteWarning)
            warnings.showwarning = _print_warning
            report = build(args.raw, args.out, args.version, **options)
    except InvalidInputError as error:
        _print_problems(error.problems, as_json=args.json)
        if not args.json:
            print(
                "nothing written: fix the inputs above, or pass --allow-invalid to publish the valid ones "
                "and record the others in the manifest",
                file=sys.stderr,
            )
        return INVALID
    for notice in report.notices:
        print(notice, file=sys.stderr)
    if args.json:
        print(json.dumps(_report_json(report), ensure_ascii=False, indent=2))
        return OK
    _print_problems([problem for item in report.rejected for problem in item.problems], as_json=False)
    for duplicate in report.duplicates[:_SHOWN_DUPLICATES]:
        where = RawFile(args.raw, duplicate.file).display
        print(f"{where}:{duplicate.line}: duplicate of {duplicate.id}", file=sys.stderr)
    if len(report.duplicates) > _SHOWN_DUPLICATES:
        print(
            f"… and {len(report.duplicates) - _SHOWN_DUPLICATES} more duplicates (manifest.json lists them all)",
            file=sys.stderr,
        )
    splits = ", ".join(f"{name} {rows}" for name, rows in report.splits.items())
    if not report.written:
        print(f"unchanged: {report.path} already holds these {report.published} articles ({splits})")
        return OK
    left_out = [f"{len(report.rejected)} rejected"] if report.rejected else []
    left_out += [f"{len(report.duplicates)} duplicates"] if report.duplicates else []
    tail = f" ({', '.join(left_out)}: listed in manifest.json)" if left_out else ""
    verb = "rewrote" if report.replaced else "built"
    print(f"{verb} {report.path}: {report.published} articles ({splits}) from {report.inputs} inputs{tail}")
    return OK


def _report_json(report: BuildReport) -> dict[str, Any]:
    return {
        "version": report.version,
        "path": str(report.path),
        "written": report.written,
        "replaced": report.replaced,
        "inputs": report.inputs,
        "published": report.published,
        "splits": report.splits,
        "rejected": [item.to_dict() for item in report.rejected],
        "duplicates": [item.to_dict() for item in report.duplicates],
    }


def _print_warning(message: Warning | str, *_: object, **__: object) -> None:
    print(f"vn-security-corpus: warning: {message}", file=sys.stderr)


def _verify(args: argparse.Namespace) -> int:
    from .verify import verify_release

    problems = verify_release(args.release)
    if args.json:
        print(
            json.dumps(
                {
                    "release": str(args.release),
                    "ok": not problems,
                    "problems": [problem.to_dict() for problem in problems],
                },
                indent=2,
            )
        )
    else:
        _print_problems(problems, as_json=False)
        if not problems:
            print(f"ok: {args.release} matches its manifest")
    return INVALID if problems else OK


def _versions(args: argparse.Namespace) -> int:
    from .release import versions

    for version in versions(args.root):
        print(version)
    return OK


def _info(args: argparse.Namespace) -> int:
    from .load import info

    manifest = info(args.version, args.root)
    if args.json:
        print(json.dumps(manifest, ensure_ascii=False, indent=2))
        return OK
    print(
        f"version {manifest['version']} (library {manifest['library_version']}, pyarrow {manifest['pyarrow_version']})"
    )
    for name, split in manifest["splits"].items():
        print(f"  {name}: {split['rows']} articles in {len(split['files'])} file(s)")
    print(f"  content sha256 {manifest['content_sha256']}")
    return OK


def _print_problems(problems: Sequence[Problem], *, as_json: bool) -> None:
    """Problems as a JSON report on stdout, or one line each on stderr."""
    if as_json:
        print(json.dumps({"problems": [problem.to_dict() for problem in problems]}, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            print(problem, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
