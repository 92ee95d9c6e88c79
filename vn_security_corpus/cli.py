"""The ``vn-security-corpus`` command line: check raw articles, build releases, check and describe them.

Exit codes (:data:`EXIT_CODES`): 0 success; 1 invalid input, a failed check, or a
damaged or conflicting release; 2 usage error (bad arguments, a file or folder named
on the command line that is missing or of the wrong kind); 130 interrupted; 141 the
reader of the output closed it early. Problems are printed one per line as
``FILE:LINE: message; fix: …``, every untrusted string escaped (:func:`safe_display`);
``--json`` prints machine-readable output instead.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ._version import __version__
from .engine import ENGINES, default_jobs
from .errors import ConfigError, CorpusError, InvalidInputError, Problem, RewriteWarning, VersionRuleWarning
from .normalise import CANONICAL_STYLE
from .release import DEFAULT_SHARD_ROWS, MANIFEST, check_version
from .sources import DEFAULT_MAX_FILE_BYTES, RawFile, RemoteFolder, is_url, printable, raw_location
from .split import DEFAULT_SPLITS, parse_splits
from .text import TONE_STYLES, ToneStyle

if TYPE_CHECKING:
    from .formats import Rejected
    from .pipeline import BuildReport

# The commands import what they need when they run: `--help` imports neither pyarrow nor the build.

PROG = "vn-security-corpus"
OK, INVALID, USAGE, INTERRUPTED, CLOSED_PIPE = 0, 1, 2, 130, 141
EXIT_CODES = {
    OK: "success",
    INVALID: "invalid input, a failed check, or a damaged or conflicting release",
    USAGE: "usage error: bad arguments, or a file or folder named on the command line that is missing "
    "or of the wrong kind",
    INTERRUPTED: "interrupted (Ctrl-C)",
    CLOSED_PIPE: "the reader of the output closed it early (`… | head`), as for other Unix tools; nothing is printed",
}
JOBS_PER_CORE = 4  # --jobs above this many per core only adds memory: refused
_TONE_HELP = "tone marks on oa/oe/uy: traditional (hòa, thủy) or new (hoà, thuỷ); default: traditional"
_SPLITS_TEXT = ",".join(f"{name}={ratio:g}" for name, ratio in DEFAULT_SPLITS.items())

_UNSAFE_IN_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)  # (JSON escapes C0)


def safe_display(text: object) -> str:
    r"""``text`` as one line that is safe to print on a terminal: controls (line ends, escape
    sequences), line and paragraph separators, bidirectional controls and lone surrogates escaped
    as the library writes file names (:func:`~vn_security_corpus.sources.printable`); backslashes
    are left as they are, so a name the library already escaped is not escaped twice.

    >>> print(safe_display("raw/a\nb.txt: \x1b[31mred\u202e, Thủy"))
    raw/a\x0ab.txt: \x1b[31mred\u202e, Thủy
    """
    return printable(str(text), backslashes=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (argparse's usage errors and ``--help`` exit)."""
    _tolerant_output()
    try:
        try:
            code = _run(argv)
        finally:
            sys.stdout.flush()  # a reader that went away shows here, not as a warning at exit
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        # An object the interrupt caught half-built (a progress bar, with tqdm before 4.70) can fail
        # in its finaliser when collected: noise after the one line that says what happened.
        sys.unraisablehook = lambda _: None
        return INTERRUPTED
    except BrokenPipeError:
        _detach_stdout()
        return CLOSED_PIPE
    return code


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except InvalidInputError as error:
        _print_problems(error.problems, as_json=getattr(args, "json", False))
        return INVALID
    except ConfigError as error:
        _error(str(error))
        return USAGE
    except BrokenPipeError:
        raise
    except OSError as error:
        _error(_os_error(error))
        return INVALID
    except CorpusError as error:
        _error(str(error))
        return INVALID


class _Parser(argparse.ArgumentParser):
    """A usage error as one line, escaped, and where to read how the command is used."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: error: {safe_display(message)}\n(`{self.prog} --help` explains every option)\n")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions of one paragraph wrapped to the terminal; text of several lines (the
    examples and exit codes of an epilog) as laid out."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" not in text:
            return argparse.HelpFormatter._fill_text(self, text, width, indent)
        return super()._fill_text(text, width, indent)


def _epilog(examples: Sequence[str], *, exit_codes: bool = False) -> str:
    text = "examples:\n" + "".join(f"  {example}\n" for example in examples)
    if exit_codes:
        text += "\nexit codes:\n"
        for code, meaning in EXIT_CODES.items():
            text += textwrap.fill(meaning, 88, initial_indent=f"  {code:<5}", subsequent_indent=" " * 7) + "\n"
    return text


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Turn a folder of raw Vietnamese public-security news articles (.txt, .json, .jsonl) into a validated, "
            "normalised, versioned dataset: Parquet splits laid out as a Hugging Face dataset repository, with a "
            "manifest of checksums. Check raw files before building, check a release against its manifest, and "
            "describe the releases in a folder."
        ),
        epilog=_epilog(
            [
                f"{PROG} validate raw/",
                f"{PROG} build --raw raw --out build/releases --release-version 1.2.0",
                f"{PROG} verify build/releases/1.2.0",
                f"{PROG} info --root build/releases",
            ],
            exit_codes=True,
        ),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the program's version"
    )
    commands = parser.add_subparsers(
        title="commands",
        dest="command",
        required=True,
        metavar="COMMAND",
        help=f"one of these; `{PROG} COMMAND --help` explains its options",
    )

    def command(name: str, help_: str, examples: Sequence[str]) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(
            name,
            help=help_,
            description=help_[0].upper() + help_[1:] + ".",
            epilog=_epilog(examples),
            formatter_class=_HelpFormatter,
        )
        return sub

    parse = command(
        "parse",
        "print the published record of each raw input, as JSON",
        [f"{PROG} parse raw/000_815a394d8668fa3a.txt", f"{PROG} parse raw/ --json --tone-style new"],
    )
    parse.add_argument(
        "files", nargs="+", type=_raw_input, metavar="FILE", help="a raw file, a folder of them, or a folder's URL"
    )
    parse.add_argument("--json", action="store_true", help="one compact JSON object per line (default: indented)")
    parse.add_argument("--tone-style", choices=TONE_STYLES, default=CANONICAL_STYLE, help=_TONE_HELP)
    _add_max_file_bytes(parse)
    parse.set_defaults(run=_parse)

    validate = command(
        "validate",
        "check raw files or folders; one line per problem",
        [f"{PROG} validate raw/", f"{PROG} validate s3://bucket/raw --json"],
    )
    validate.add_argument(
        "paths", nargs="+", type=_raw_input, metavar="PATH", help="a raw file, a folder of them, or a folder's URL"
    )
    validate.add_argument("--json", action="store_true", help="print a JSON report on stdout (default: text on stderr)")
    _add_max_file_bytes(validate)
    validate.set_defaults(run=_validate)

    build_ = command(
        "build",
        "build a release from a folder of raw articles",
        [
            f"{PROG} build --raw raw --out build/releases --release-version 1.2.0",
            f"{PROG} build --raw s3://bucket/raw --out /shared/releases --release-version 2.0.0 --engine ray",
        ],
    )
    build_.add_argument(
        "--raw",
        type=_raw_folder,
        required=True,
        metavar="DIR|URL",
        help="the folder of raw articles, or its fsspec URL (s3://bucket/raw, …); required",
    )
    build_.add_argument(
        "--out",
        type=_out_folder,
        required=True,
        metavar="DIR",
        help="the folder that holds the releases (created if missing); the release goes to DIR/X.Y.Z; required",
    )
    build_.add_argument(
        "--release-version",
        type=_version,
        required=True,
        metavar="X.Y.Z",
        help="the version of the release to build, MAJOR.MINOR.PATCH; required",
    )
    build_.add_argument("--version", nargs="?", action=_RenamedVersion, help=argparse.SUPPRESS)
    build_.add_argument(
        "--splits",
        type=_splits,
        default=DEFAULT_SPLITS,
        metavar="NAME=RATIO,…",
        help=f"the splits and their shares, which sum to 1; default: {_SPLITS_TEXT}",
    )
    build_.add_argument(
        "--shard-rows",
        type=_positive,
        default=DEFAULT_SHARD_ROWS,
        metavar="N",
        help=f"at most N records per Parquet file; default: {DEFAULT_SHARD_ROWS}",
    )
    build_.add_argument("--tone-style", choices=TONE_STYLES, default=CANONICAL_STYLE, help=_TONE_HELP)
    build_.add_argument(
        "--mask-pii",
        action="store_true",
        help="replace phone, ID card, licence plate, e-mail and bank account numbers in title and text "
        "with <PHONE>, <ID_NUMBER>, … (default: kept, and counted in source.personal_data)",
    )
    build_.add_argument(
        "--allow-invalid",
        action="store_true",
        help="publish the valid inputs and record the invalid ones in the manifest (default: publish nothing)",
    )
    build_.add_argument(
        "--force",
        action="store_true",
        help="rewrite a version already published from other input; this rewrites history, prefer a new version",
    )
    build_.add_argument(
        "--allow-version-rule-break",
        action="store_true",
        help="publish even when the version is smaller than the changes since the previous release need "
        "(semver as TFDS applies it); misleads whoever trusts the version numbers",
    )
    _add_max_file_bytes(build_)
    cores = default_jobs()
    build_.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help=f"worker processes (or local Ray CPUs), at most {JOBS_PER_CORE} per core; default: every core ({cores})",
    )
    build_.add_argument("--engine", choices=ENGINES, default="local", help="where the work runs; default: local")
    build_.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDR",
        help="the Ray cluster to use with --engine ray, HOST:PORT or auto; default: RAY_ADDRESS, else a local one",
    )
    build_.add_argument(
        "--ray-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --engine ray: how long the cluster may take to answer, or go without progress; default: 60",
    )
    build_.add_argument("--no-progress", action="store_true", help="no progress bars (default: shown on a terminal)")
    build_.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list each exact duplicate left out, and let Ray's own messages through",
    )
    build_.add_argument("--json", action="store_true", help="print the summary as JSON, with every duplicate")
    build_.add_argument(
        "--timings",
        action="store_true",
        help="also print the CPU time per input that each stage took (summed over the workers)",
    )
    # near-duplicates: clusters in one split, splits kept from the previous release
    build_.add_argument(
        "--near-duplicates",
        choices=("keep", "drop"),
        default="keep",
        help="keep every near-duplicate (all in its cluster's split; default) or drop all but each cluster's canonical",
    )
    build_.add_argument(
        "--near-duplicate-threshold", type=float, default=None, metavar="J", help="Jaccard similarity (default 0.5)"
    )
    build_.add_argument(
        "--previous",
        default=None,
        metavar="DIR",
        help="the release whose splits to keep (default: newest older in --out)",
    )
    build_.add_argument(
        "--other-languages",
        choices=("reject", "publish"),
        default="reject",
        help="articles not in Vietnamese: reject them, naming the language (default), or publish them with it",
    )
    build_.set_defaults(run=_build)

    leakage_ = commands.add_parser("leakage", help="near-duplicates across a release's splits, or with another corpus")
    leakage_.add_argument("release", type=Path, metavar="RELEASE", help="a release folder")
    leakage_.add_argument("--against", default=None, metavar="OTHER", help="a raw folder or another release")
    leakage_.add_argument("--threshold", type=float, default=None, help="Jaccard similarity (default: the release's)")
    leakage_.add_argument("--json", action="store_true", help="print a JSON report")
    leakage_.set_defaults(run=_leakage)

    verify = command(
        "verify",
        "check a release folder against its manifest: every file present, unchanged, nothing extra",
        [f"{PROG} verify build/releases/1.2.0"],
    )
    verify.add_argument("release", type=_release_folder, metavar="DIR", help="a release folder: ROOT/X.Y.Z")
    verify.add_argument("--json", action="store_true", help="print a JSON report")
    verify.set_defaults(run=_verify)

    versions_ = command(
        "versions",
        "list the versions in a folder of releases, oldest first",
        [f"{PROG} versions --root build/releases"],
    )
    _add_root(versions_)
    versions_.set_defaults(run=_versions)

    info_ = command(
        "info",
        "describe a release: its version, splits and content digest",
        [f"{PROG} info", f"{PROG} info 1.1.0 --root build/releases --json"],
    )
    info_.add_argument("version", nargs="?", metavar="VERSION", help="the release's version; default: the newest")
    _add_root(info_)
    info_.add_argument("--json", action="store_true", help="print the whole manifest")
    info_.set_defaults(run=_info)

    diff_ = commands.add_parser("diff", help="what changed between two releases, and the version bump it needs")
    diff_.add_argument("old", metavar="A", help="the older release: its folder, or a version under --root")
    diff_.add_argument("new", metavar="B", help="the newer release: its folder, or a version under --root")
    diff_.add_argument("--root", type=Path, help="folder of releases for versions (default: those in the package)")
    diff_.add_argument("--json", action="store_true", help="print the differences as JSON")
    diff_.set_defaults(run=_diff)

    push = commands.add_parser("push", help="publish a release folder to a Hub dataset or an object store")
    push.add_argument("release", type=Path, metavar="RELEASE", help="the release folder, e.g. build/releases/1.2.0")
    push.add_argument(
        "--to", required=True, metavar="URL", help="hf://datasets/OWNER/NAME, or a releases root s3://bucket/prefix"
    )
    push.add_argument("--json", action="store_true", help="print the outcome as JSON")
    push.set_defaults(run=_push)
    return parser


def _add_max_file_bytes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-file-bytes",
        type=_positive,
        default=DEFAULT_MAX_FILE_BYTES,
        metavar="N",
        help=f"refuse .txt and .json files larger than N bytes, unread (and .jsonl objects); "
        f"default: {DEFAULT_MAX_FILE_BYTES} (8 MiB)",
    )


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        type=_releases_root,
        metavar="DIR",
        help="the folder that holds the releases (what build --out wrote to); default: the releases in the package",
    )


class _RenamedVersion(argparse.Action):
    """``build --version``, the name before 0.1.0: refused, naming the new one."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object, **__: object) -> NoReturn:
        parser.error(
            f"build takes the release's version as --release-version X.Y.Z (`{PROG} --version` prints this "
            "program's version)"
        )


# ---------------------------------------------------------------- arguments, checked as they are read


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _jobs(text: str) -> int:
    value, cores = _positive(text), default_jobs()
    if value > JOBS_PER_CORE * cores:
        raise argparse.ArgumentTypeError(
            f"{text}: at most {JOBS_PER_CORE * cores} here ({JOBS_PER_CORE} per core, {cores} cores); "
            f"leave --jobs out to use every core"
        )
    return value


def _version(text: str) -> str:
    try:
        return check_version(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _splits(text: str) -> dict[str, float]:
    try:
        return parse_splits(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _path(text: str, what: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError(f"an empty path; give {what}")
    return Path(text)


def _raw_input(text: str) -> Path | RemoteFolder:
    if is_url(text):
        return raw_location(text)
    location = raw_location(_path(text, "a raw file or a folder of them"))
    assert isinstance(location, Path)
    if not (location.exists() or location.is_symlink()):
        raise argparse.ArgumentTypeError(f"{text}: no such file or folder; check the path")
    return location


def _raw_folder(text: str) -> Path | RemoteFolder:
    what = "the folder that holds the raw articles (.txt, .json, .jsonl)"
    if is_url(text):
        return raw_location(text)
    location = raw_location(_path(text, what))
    assert isinstance(location, Path)
    if not location.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such folder; give {what}")
    if not location.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text} is a file, not a folder; give {what} (`{PROG} validate FILE` checks one file)"
        )
    return location


def _out_folder(text: str) -> str:
    what = "the folder that holds the releases (created if missing), e.g. build/releases"
    if is_url(text):
        return text  # refused by the build, which says why
    path = _path(text, what)
    if path.exists():
        _folder(text, what)
    _not_a_release(text, path, "--out")
    return text


def _releases_root(text: str) -> Path:
    what = "the folder that holds the releases (what build --out wrote to)"
    path = _folder(text, what)
    _not_a_release(text, path, "--root")
    return path


def _folder(text: str, what: str) -> Path:
    """The folder named by argument ``text``; a usage error saying to give ``what`` if it is not one."""
    path = _path(text, what)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such folder; give {what}")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder; give {what}")
    return path


def _not_a_release(text: str, path: Path, option: str) -> None:
    """A usage error when ``path``, given where a folder of releases belongs, is a release itself."""
    if (path / MANIFEST).is_file():
        raise argparse.ArgumentTypeError(
            f"{text} is a release, not the folder that holds releases; give its parent, {option} {path.parent}"
        )


def _release_folder(text: str) -> Path:
    from .release import DATA_DIR, versions

    what = "a release folder, ROOT/X.Y.Z (e.g. build/releases/1.2.0)"
    path = _folder(text, what)
    if not (path / MANIFEST).exists():
        held = versions(path)
        if held:
            raise argparse.ArgumentTypeError(
                f"{text} holds releases ({', '.join(held)}) but is not one; verify one of them, "
                f"e.g. `{PROG} verify {path / held[-1]}`"
            )
        if not (path / DATA_DIR).is_dir():  # a release that lost its manifest is damaged: verify says so
            raise argparse.ArgumentTypeError(f"{text} is not a release (no {MANIFEST}); give {what}")
    return path


# ---------------------------------------------------------------- the commands


def _inputs(
    paths: Sequence[Path | RemoteFolder], max_file_bytes: int, tone_style: ToneStyle = CANONICAL_STYLE
) -> Iterator[dict[str, Any] | Rejected]:
    from .records import process_files
    from .sources import find_raw_files

    for path in paths:
        if isinstance(path, RemoteFolder) or path.is_dir():
            files, notices = find_raw_files(path)
            for notice in notices:
                print(safe_display(notice), file=sys.stderr)
        elif path.exists() or path.is_symlink():
            files = [RawFile.at(path)]
        else:  # gone since the arguments were read
            raise ConfigError(f"{path}: no such file or folder; check the path")
        yield from process_files(files, tone_style=tone_style, max_file_bytes=max_file_bytes)


def _parse(args: argparse.Namespace) -> int:
    from .formats import Rejected

    problems: list[Problem] = []
    for result in _inputs(args.files, args.max_file_bytes, args.tone_style):
        if isinstance(result, Rejected):
            problems.extend(result.problems)
        else:
            print(_json(result, indent=None if args.json else 2))
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
        print(_json(report, indent=2))
    else:
        _print_problems(problems, as_json=False)
        print(f"{_count(len(results), 'input')}: {len(results) - invalid} valid, {invalid} invalid", file=sys.stderr)
    return INVALID if problems else OK


def _build(args: argparse.Namespace) -> int:
    from .pipeline import build

    options: dict[str, Any] = {
        "splits": args.splits,
        "shard_rows": args.shard_rows,
        "tone_style": args.tone_style,
        "mask_pii": args.mask_pii,
        "jobs": args.jobs,
        "engine": args.engine,
        "ray_address": args.ray_address,
        "ray_timeout": args.ray_timeout,
        "progress": False if args.no_progress else None,
        "allow_invalid": args.allow_invalid,
        "force": args.force,
        "allow_version_rule_break": args.allow_version_rule_break,
        "max_file_bytes": args.max_file_bytes,
    }
    options["near_duplicates"], options["previous"] = args.near_duplicates, args.previous
    options["other_languages"] = args.other_languages
    if args.near_duplicate_threshold is not None:
        options["near_duplicate_threshold"] = args.near_duplicate_threshold
    try:
        with warnings.catch_warnings(), _quiet_ray(args.engine == "ray" and not args.verbose):
            warnings.simplefilter("always", RewriteWarning)
            warnings.simplefilter("always", VersionRuleWarning)
            warnings.showwarning = _print_warning
            report = build(args.raw, args.out, args.release_version, **options)
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
        print(safe_display(notice), file=sys.stderr)
    if args.json:
        print(_json(_report_json(report), indent=2))
        return OK
    _print_problems([problem for item in report.rejected for problem in item.problems], as_json=False)
    if args.verbose:
        for duplicate in report.duplicates:
            where = RawFile(args.raw, duplicate.file).display
            print(safe_display(f"{where}:{duplicate.line}: exact duplicate of {duplicate.id}"), file=sys.stderr)
    _print_conflicts(report)
    if args.timings:
        per_input = {stage: seconds / max(report.inputs, 1) * 1e6 for stage, seconds in report.cpu_seconds.items()}
        stages = ", ".join(f"{stage} {micro:,.0f}" for stage, micro in per_input.items())
        print(f"CPU time per input by stage (µs): {stages}; total {sum(per_input.values()):,.0f}", file=sys.stderr)
    splits = ", ".join(f"{name} {rows}" for name, rows in report.splits.items())
    path = safe_display(report.path)
    if not report.written:
        print(f"unchanged: {path} already holds this build: {_count(report.published, 'article')} ({splits})")
        return OK
    left_out = [f"{len(report.rejected)} rejected"] if report.rejected else []
    left_out += [_count(len(report.duplicates), "exact duplicate")] if report.duplicates else []
    left_out += [_count(len(report.near_duplicates), "near-duplicate")] if report.near_duplicates else []
    tail = f" ({', '.join(left_out)}: listed in manifest.json)" if left_out else ""
    verb = "rewrote" if report.replaced else "built"
    print(
        f"{verb} {path}: {_count(report.published, 'article')} ({splits}) from {_count(report.inputs, 'input')}{tail}"
    )
    clusters = report.clusters
    if clusters and (report.conflicts or (args.verbose and clusters["clusters"])):
        print(
            f"near-duplicates: {_count(clusters['clusters'], 'cluster')} of "
            f"{_count(clusters['articles_in_clusters'], 'article')}, {_count(len(report.conflicts), 'conflict')}, "
            f"{clusters['leakage']['pairs_across_splits']} pairs across splits",
            file=sys.stderr,
        )
    return OK


def _print_conflicts(report: BuildReport) -> None:
    """One line per article that bridges clusters a previous release published in different splits."""
    for conflict in report.conflicts:
        apart = ", ".join(f"{c['cluster_id']} ({c['split']})" for c in conflict["clusters"])
        for article in conflict["articles"] or ["(no new article)"]:
            print(
                f"conflict: {article} joins clusters published in different splits: {apart}; "
                f"published in {conflict['split']} (the split of the smallest cluster id)",
                file=sys.stderr,
            )


def _leakage(args: argparse.Namespace) -> int:
    from .leakage import check_leakage

    report = check_leakage(args.release, args.against, threshold=args.threshold)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for pair in report.pairs:
            where = f"({pair.second_split})" if pair.second_split else f"in {report.against}"
            print(f"{pair.first} ({pair.first_split}) ~ {pair.second} {where}: similarity {pair.similarity:.3f}")
        against = f" and {report.against_articles} of {report.against}" if report.against else ""
        print(
            f"{len(report.pairs)} near-duplicate pairs (Jaccard ≥ {report.threshold}) among {report.articles} "
            f"articles of {report.release}{against}",
            file=sys.stderr,
        )
    return INVALID if report.pairs else OK


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
        "near_duplicates": [item.to_dict() for item in report.near_duplicates],
        "clusters": report.clusters,
        "cpu_seconds": report.cpu_seconds,
    }


@contextlib.contextmanager
def _quiet_ray(quiet: bool) -> Iterator[None]:
    """While a build runs on Ray: none of Ray's own log lines and warnings below errors (its
    notices about tokens, progress bars and how it carries the library's objects need no action)."""
    if not quiet:
        yield
        return
    import logging

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"ray(\.|$)")
            yield
    finally:
        logging.disable(previous)


def _print_warning(message: Warning | str, *_: object, **__: object) -> None:
    print(f"{PROG}: warning: {safe_display(message)}", file=sys.stderr)


def _verify(args: argparse.Namespace) -> int:
    from .verify import verification

    checked = verification(args.release)
    problems = checked.problems
    if args.json:
        report = {
            "release": str(args.release),
            "ok": not problems,
            "problems": [p.to_dict() for p in problems],
            "notes": checked.notes,
        }
        print(_json(report, indent=2))
    else:
        _print_problems(problems, as_json=False)
        if not problems:
            print(f"ok: {safe_display(args.release)} matches its manifest")
        for note in checked.notes:
            print(f"note: {safe_display(note)}")
    return INVALID if problems else OK


def _versions(args: argparse.Namespace) -> int:
    from .release import versions

    found = versions(args.root)
    for version in found:
        print(version)
    if not found:
        print(f"{safe_display(args.root)}: no releases here; `{PROG} build --out` makes one", file=sys.stderr)
    return OK


def _info(args: argparse.Namespace) -> int:
    from .load import info
    from .release import versions

    available = versions(args.root)
    where = safe_display(args.root if args.root is not None else "the package")
    if not available:
        raise ConfigError(f"{where}: no releases here; give --root the folder that `{PROG} build --out` wrote to")
    if args.version is not None and args.version not in available:
        raise ConfigError(f"{where} has no release {args.version!r}; give one of: {', '.join(available)}")
    manifest = info(args.version, args.root)
    if args.json:
        print(_json(manifest, indent=2))
        return OK
    print(
        f"version {manifest['version']} (library {manifest['library_version']}, pyarrow {manifest['pyarrow_version']})"
    )
    for name, split in manifest["splits"].items():
        print(f"  {name}: {_count(split['rows'], 'article')} in {_count(len(split['files']), 'file')}")
    print(f"  content sha256 {manifest['content_sha256']}")
    return OK


def _diff(args: argparse.Namespace) -> int:
    from .diff import diff_releases

    diff = diff_releases(args.old, args.new, root=args.root)
    if args.json:
        print(json.dumps(diff.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{diff.old} → {diff.new}")
        for line in diff.lines():
            print(f"  {line}")
    return OK


def _push(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .push import push_release

    report = push_release(
        args.release, args.to, progress=None if args.json else lambda line: print(line, file=sys.stderr)
    )
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    else:
        what = (
            "already there, nothing sent"
            if report.outcome == "unchanged"
            else f"{report.files} files, {report.bytes} bytes"
        )
        print(f"{report.outcome}: release {report.version} at {report.target} ({what})")
    return OK


# ---------------------------------------------------------------- output


def _count(number: int, noun: str) -> str:
    """
    >>> _count(1, "article"), _count(2, "exact duplicate"), _count(0, "input")
    ('1 article', '2 exact duplicates', '0 inputs')
    """
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _print_problems(problems: Sequence[Problem], *, as_json: bool) -> None:
    """Problems as a JSON report on stdout, or one line each on stderr."""
    if as_json:
        print(_json({"problems": [problem.to_dict() for problem in problems]}, indent=2))
    else:
        for problem in problems:
            print(safe_display(problem), file=sys.stderr)


def _error(message: str) -> None:
    print(f"{PROG}: error: {safe_display(message)}", file=sys.stderr)


def _os_error(error: OSError) -> str:
    """An operating system's refusal, with the path and what to do."""
    where = f"{error.filename}: " if error.filename is not None else ""
    reason = error.strerror or str(error)
    return f"{where}{reason}; check the path, its permissions and the free space, then run the command again"


def _json(value: Any, *, indent: int | None) -> str:
    """``value`` as JSON: UTF-8 text where stdout takes it, else ASCII with ``\\u`` escapes (the same
    JSON); what :func:`safe_display` escapes is written as ``\\u`` escapes either way."""
    text = json.dumps(value, ensure_ascii=not _takes_unicode(sys.stdout), indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _takes_unicode(stream: Any) -> bool:
    encoding = (getattr(stream, "encoding", None) or "ascii").lower().replace("_", "-")
    return encoding.startswith("utf")


def _tolerant_output() -> None:
    """Text the output's encoding cannot write (``PYTHONIOENCODING=ascii``, lone surrogates of an
    undecodable file name) is written as backslash escapes instead of stopping the command."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, io.UnsupportedOperation):
                stream.reconfigure(errors="backslashreplace")


def _detach_stdout() -> None:
    """After the reader closed stdout: point it at /dev/null, so that flushing at exit stays quiet."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
