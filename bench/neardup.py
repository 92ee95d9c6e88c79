"""The near-duplicate detector's two choices, measured: the MinHash library, and the threshold.

    python bench/neardup.py libraries [--articles 600]   # CPU µs per article of each way to sign an article
    python bench/neardup.py threshold [--families 300]   # Jaccard of near-duplicate variants vs. controls

``libraries`` signs generated articles (bench/generate.py) with datasketch (as documented: a
string per shingle, SHA-1 or xxh32), rensa (strings, or the shingle hashes this library
computes) and NumPy permutations, and prints the best CPU time of three per article.
``threshold`` prints the exact Jaccard similarity (5-syllable shingles, as
:mod:`vn_security_corpus.neardup` makes them) of each kind of near-duplicate variant
(bench/variants.py) with its original, and of the controls: two different reports of one
event, two generated articles, the articles of raw/ pairwise.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.generate import Article, compose, load_sources, render_text  # noqa: E402
from bench.variants import VARIANT_KINDS, near_duplicate, same_event  # noqa: E402
from vn_security_corpus import neardup  # noqa: E402
from vn_security_corpus.formats import parse_text  # noqa: E402
from vn_security_corpus.normalise import to_article  # noqa: E402


def record(article: Article) -> dict[str, Any]:
    """The published record of a generated article."""
    return to_article(parse_text(render_text(article), "a.txt", "0" * 64, "utf-8").record)


def record_of(path: Path) -> dict[str, Any]:
    """The published record of a raw text file."""
    return to_article(parse_text(path.read_text(encoding="utf-8"), path.name, "0" * 64, "utf-8").record)


def cpu_per_item(function: Callable[[], object], items: int) -> float:
    """The best CPU time of three runs of ``function``, in µs per item (CPU time: the machine is shared)."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        function()
        best = min(best, time.process_time() - started)
    return best / items * 1e6


def libraries(articles: int) -> None:
    import rensa
    import xxhash
    from datasketch import MinHash  # the bench extra

    sources = load_sources()
    texts = [(r["title"], r["text"]) for r in (record(compose(sources, random.Random(s))) for s in range(articles))]
    titles, bodies = [title for title, _ in texts], [text for _, text in texts]

    def shingled() -> list[np.ndarray[Any, np.dtype[np.uint64]]]:
        flat, offsets = neardup.shingle_sets(titles, bodies)
        return [flat[start:end] for start, end in itertools.pairwise(offsets.tolist())]

    def strings(title: str, text: str) -> list[str]:
        tokens = f"{title}\n{text}".lower().split()  # (neardup.words, as Python does it)
        return [" ".join(tokens[i : i + neardup.SHINGLE]) for i in range(max(1, len(tokens) - neardup.SHINGLE + 1))]

    def datasketch(hashfunc: Any = None) -> None:
        options = {"hashfunc": hashfunc} if hashfunc else {}  # default: SHA-1
        for title, text in texts:
            signature = MinHash(num_perm=neardup.NUM_PERM, seed=1, **options)
            signature.update_batch([shingle.encode() for shingle in strings(title, text)])

    def datasketch_ints() -> None:
        for values in shingled():
            signature = MinHash(num_perm=neardup.NUM_PERM, seed=1, hashfunc=int)
            signature.update_batch((values & np.uint64(0xFFFFFFFF)).tolist())

    def rensa_strings() -> None:
        rensa.RMinHash.digest_matrix_from_token_sets([strings(*pair) for pair in texts], neardup.NUM_PERM, 1)

    def numpy_permutations() -> None:
        state = np.random.RandomState(1)
        prime = np.uint64((1 << 61) - 1)
        a = state.randint(1, 1 << 61, size=neardup.NUM_PERM, dtype=np.uint64)
        b = state.randint(0, 1 << 61, size=neardup.NUM_PERM, dtype=np.uint64)
        for shingles in shingled():
            values = (shingles & np.uint64(0xFFFFFFFF))[:, None]
            ((values * a + b) % prime).min(axis=0)

    def signed() -> None:
        neardup.signature_matrix(*neardup.shingle_sets(titles, bodies))

    rows: Sequence[tuple[str, Callable[[], object]]] = [
        ("Python words only (lower, split)", lambda: [f"{title}\n{text}".lower().split() for title, text in texts]),
        ("shingle hashes only (this library)", lambda: neardup.shingle_sets(titles, bodies)),
        ("datasketch: shingle strings, SHA-1 (default)", datasketch),
        ("datasketch: shingle strings, xxh32", lambda: datasketch(xxhash.xxh32_intdigest)),
        ("datasketch: this library's shingle hashes", datasketch_ints),
        ("rensa: shingle strings, batch", rensa_strings),
        ("rensa: this library's shingle hashes (chosen)", signed),
        ("NumPy permutations of the shingle hashes", numpy_permutations),
    ]

    for label, function in rows:
        print(f"{label:<50} {cpu_per_item(function, len(texts)):8.1f} µs/article")


def threshold(families: int) -> None:
    sources = load_sources()
    groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {kind: [] for kind in VARIANT_KINDS}
    groups |= {"control: same event, other report": [], "control: two generated articles": []}
    bases = []
    for seed in range(families):
        base = compose(sources, random.Random(seed))
        bases.append(record(base))
        for kind in VARIANT_KINDS:
            groups[kind].append((bases[-1], record(near_duplicate(base, kind, sources, random.Random(seed * 100 + 7)))))
        first, second = same_event(sources, random.Random(10_000 + seed))
        groups["control: same event, other report"].append((record(first), record(second)))
    groups["control: two generated articles"] = list(itertools.pairwise([*bases, bases[0]]))
    raw = [record_of(path) for path in sorted((REPO / "raw").glob("*.txt"))]
    groups["control: raw/ articles pairwise"] = list(itertools.combinations(raw, 2))
    print(f"{'pairs':<36} {'n':>5} {'min':>6} {'p5':>6} {'median':>6} {'p95':>6} {'max':>6}")
    for label, pairs in groups.items():
        values = sorted(
            neardup.jaccard(neardup.shingles(a["title"], a["text"]), neardup.shingles(b["title"], b["text"]))
            for a, b in pairs
            if a["id"] != b["id"]
        )
        tail = len(values) // 20
        cells = (values[0], values[tail], statistics.median(values), values[-1 - tail], values[-1])
        print(f"{label:<36} {len(values):>5} " + " ".join(f"{value:6.3f}" for value in cells))
    for s in (0.3, 0.5, 0.6, 0.7, 0.8):
        p = 1 - (1 - s**neardup.ROWS) ** neardup.BANDS
        print(f"LSH: a pair of similarity {s} is a candidate with probability {p:.4f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=("libraries", "threshold"))
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--families", type=int, default=300)
    args = parser.parse_args(argv)
    if args.what == "libraries":
        libraries(args.articles)
    else:
        threshold(args.families)
    return 0


if __name__ == "__main__":
    sys.exit(main())
