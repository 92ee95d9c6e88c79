"""Near-duplicates: MinHash signatures of syllable 5-gram shingles, LSH candidates, exact Jaccard, clusters.

Syndicated news republishes one story with a changed title, a trimmed lead or another
byline: such copies are not exact duplicates (their ids differ), but they share almost all
of their 5-syllable shingles. Two articles are near-duplicates when the exact Jaccard
similarity of their shingle sets is at least :data:`THRESHOLD`; near-duplicates form
clusters (connected components), whose canonical member is the smallest id.

The steps, each a plain function over arrays:

1. :func:`shingles` — title and text (traditional tone style, lower case, split on white
   space) → the sorted 64-bit hashes of every run of :data:`SHINGLE` words;
   :func:`shingle_sets` does it for many articles at once, in bulk over their UTF-8.
2. :func:`signatures` — shingle sets → MinHash signatures, :data:`NUM_PERM` values of 16
   bits each (b-bit MinHash), computed by ``rensa`` from the shingle hashes.
3. :func:`candidate_pairs` — LSH banding: :data:`BANDS` bands of :data:`ROWS` values; two
   records whose values agree on a whole band are candidates (a band of four 16-bit values
   is one 64-bit key, compared exactly).
4. :func:`estimate` drops candidates whose signatures agree far less than the threshold;
   :func:`jaccard` measures the rest exactly on their shingle sets.
5. :func:`components` — union-find over the pairs at or above the threshold.

>>> lead = "Sáng 19-6, Công an tỉnh Thanh Hóa tổ chức hội nghị điển hình tiên tiến năm 2020."
>>> a = shingles("Công an tỉnh", lead)
>>> b = shingles("Công an Thanh Hóa", lead)
>>> round(jaccard(a, b), 2), jaccard(a, a)
(0.65, 1.0)
>>> sig = signatures([a, b])
>>> sig.shape, sig.dtype
((2, 128), dtype('uint16'))
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from .normalise import CANONICAL_STYLE
from .text import ToneStyle, to_tone_style

SHINGLE = 5  # words (syllables) per shingle
NUM_PERM = 128  # MinHash values per signature
BANDS, ROWS = 32, 4  # LSH: 32 bands of 4 values (a 64-bit key each); BANDS * ROWS == NUM_PERM
THRESHOLD = 0.5  # exact Jaccard at or above which two articles are near-duplicates
# Candidates whose signatures agree on less than the threshold minus this are not measured: the estimate's
# standard deviation is at most 0.044 with 128 values, so a pair at the threshold is missed with probability ~1%,
# one 0.05 above it with ~0.01%.
ESTIMATE_MARGIN = 0.1
BUCKET_CAP = 64  # LSH buckets up to this size give all their pairs; larger ones each member with the first
SEED = 0x766E7363  # the permutations' seed ("vnsc")
METHOD = (
    f"MinHash (rensa RMinHash, {NUM_PERM} permutations, seed {SEED}, 16-bit values) of {SHINGLE}-syllable "
    "shingles of the lower-cased title and text in the traditional tone style (a word hashed from its UTF-8: two "
    f"64-bit lanes and its length, BLAKE2b beyond 16 bytes); LSH {BANDS} bands x {ROWS} rows; "
    "candidates measured by exact Jaccard of their shingle sets; clusters by union-find; canonical member: "
    "the smallest id (among the previous release's members when there are some)"
)

Hashes = npt.NDArray[np.uint64]
Signatures = npt.NDArray[np.uint16]
Pairs = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int64]  # pairs (i, j) of n rows as i * n + j

Offsets = npt.NDArray[np.int64]

_MIX = (np.uint64(0x100000001B3), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_LANE = 8  # bytes of a word in one 64-bit lane
_LANES = 2  # a word of up to 16 bytes is hashed from its two lanes; a longer one alone (BLAKE2b)
_LOW_BYTES = np.array([(1 << (8 * count)) - 1 for count in range(_LANE + 1)], np.uint64)  # masks of the low bytes
# a key for each length of a word hashed from its lanes: multiples of SplitMix64's increment
_LENGTH_KEYS = np.arange(_LANE * _LANES + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
_BATCH_BYTES = 1 << 18  # text hashed in one go: enough to spread NumPy's per-call cost, small enough for the caches
# The characters str.split() splits on: the ASCII ones by byte; the others, which no normalised text holds, by a
# byte their UTF-8 holds and lower-cased Vietnamese rarely does (a quick test), then exactly.
_ASCII_SPACE = np.array([chr(byte).isspace() for byte in range(33)])
_WIDE_SPACE = "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WIDE_SPACES = (
    (b"\xc2", re.compile(b"\xc2[\x85\xa0]")),
    (b"\x9a", re.compile(b"\xe1\x9a\x80")),
    (b"\xe2", re.compile(b"\xe2(?:\x80[\x80-\x8a\xa8\xa9\xaf]|\x81\x9f)")),
    (b"\xe3", re.compile(b"\xe3\x80\x80")),
)


def words(title: str, text: str, tone_style: ToneStyle = CANONICAL_STYLE) -> list[str]:
    """The words shingles are made of: title and text in the traditional tone style, lower-cased
    (Unicode's simple lower-case mapping, as Arrow's ``utf8_lower`` applies it), split on white space.

    >>> words("Thuỷ  điện", "Hoà Bình.", "new")
    ['thủy', 'điện', 'hòa', 'bình.']
    """
    return str(_lowered([title], [text], tone_style)[0].as_py()).split()


def shingles(title: str, text: str, tone_style: ToneStyle = CANONICAL_STYLE) -> Hashes:
    """The sorted, distinct 64-bit hashes of every run of :data:`SHINGLE` words of title and text
    (one shingle of all the words when there are fewer); :func:`shingle_sets` of one article.

    >>> len(shingles("Tiêu đề", "một hai ba bốn")), len(shingles("A", "b")), len(shingles("", " "))
    (2, 1, 0)
    """
    return shingle_sets([title], [text], tone_style)[0]


def shingle_sets(
    titles: Sequence[str], texts: Sequence[str], tone_style: ToneStyle = CANONICAL_STYLE
) -> tuple[Hashes, Offsets]:
    """The shingle sets of many articles (see :func:`shingles`) at once: all of them in one array, each
    sorted and distinct, and where each starts (``offsets``: one more than the articles).

    Each word is hashed from its UTF-8 bytes, all the words of a batch of articles together:
    up to 16 bytes (almost every word) from two 64-bit lanes mixed with its length, a longer
    word by BLAKE2b; a shingle combines its words' hashes in order, then mixes.

    >>> flat, offsets = shingle_sets(["A", "B"], ["một hai ba bốn năm", "một hai ba bốn năm"])
    >>> offsets.tolist(), bool((flat[:2] == flat[2:]).all())
    ([0, 2, 4], False)
    """
    lowered = _lowered(titles, texts, tone_style)
    data = lowered.buffers()[2]
    if data is not None and _has_wide_space(data.to_pybytes()):  # rare: made plain spaces, as split() reads them
        wide = re.compile(f"[{_WIDE_SPACE}]")
        lowered = pa.array([wide.sub(" ", doc) for doc in lowered.to_pylist()], pa.large_string())
        data = lowered.buffers()[2]
    if data is None:  # no text at all
        return np.zeros(0, np.uint64), np.zeros(len(titles) + 1, np.int64)
    text = np.frombuffer(data, np.uint8)
    bounds = np.frombuffer(lowered.buffers()[1], np.int64)[lowered.offset : lowered.offset + len(lowered) + 1]
    parts, counts = [], []
    first = 0
    while first < len(titles):  # batches of about _BATCH_BYTES (an article at least)
        last = max(int(np.searchsorted(bounds, bounds[first] + _BATCH_BYTES, "right")) - 1, first + 1)
        values, sizes = _batch_shingles(text[bounds[first] : bounds[last]], bounds[first : last + 1] - bounds[first])
        parts.append(values)
        counts.append(sizes)
        first = last
    offsets = np.zeros(len(titles) + 1, np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=offsets[1:])
    return (np.concatenate(parts) if parts else np.zeros(0, np.uint64)), offsets


def _lowered(titles: Sequence[str], texts: Sequence[str], tone_style: ToneStyle) -> pa.LargeStringArray:
    """Each article's title, a line end, its text and a line end, in the traditional style, lower-cased."""
    line_end = pa.scalar("\n", pa.large_string())
    if tone_style == CANONICAL_STYLE:
        joined = pc.binary_join_element_wise(
            pa.array(titles, pa.large_string()),
            pa.array(texts, pa.large_string()),
            pa.scalar("", pa.large_string()),
            line_end,
        )
    else:
        styled = [to_tone_style(f"{title}\n{text}", CANONICAL_STYLE) for title, text in zip(titles, texts, strict=True)]
        joined = pc.binary_join_element_wise(
            pa.array(styled, pa.large_string()), pa.scalar("", pa.large_string()), line_end
        )
    return pc.utf8_lower(joined)


def _has_wide_space(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds a white-space character beyond ASCII."""
    return any(hint in data and exact.search(data) for hint, exact in _WIDE_SPACES)


def _batch_shingles(text: npt.NDArray[np.uint8], bounds: Offsets) -> tuple[Hashes, Offsets]:
    """The shingle sets of the articles whose lower-cased UTF-8 is ``text`` (each ending in a line end;
    article ``i`` is ``text[bounds[i]:bounds[i + 1]]``), and how many shingles each has."""
    # words: the runs between white-space bytes (every article ends with one)
    spaces = np.flatnonzero(text <= 32)
    spaces = spaces[_ASCII_SPACE[text[spaces]]]
    starts = np.concatenate(([0], spaces[:-1] + 1))
    keep = spaces > starts
    starts, lengths = starts[keep], (spaces - starts)[keep]
    hashes = _word_hashes(text, starts, lengths)
    # shingles: every run of SHINGLE words inside an article, or all its words when it has fewer
    first_word = np.searchsorted(starts, bounds)
    word_counts = np.diff(first_word)
    counts = np.maximum(word_counts - SHINGLE + 1, 0)
    runs = _combine(hashes, SHINGLE)
    position = np.repeat(first_word[:-1] - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
    values = runs[position]
    few = np.flatnonzero((word_counts > 0) & (word_counts < SHINGLE))
    if len(few):  # articles of fewer words than a shingle: one shingle each, in their place
        whole = [_combine(hashes[first_word[i] : first_word[i + 1]], int(word_counts[i])) for i in few.tolist()]
        values = np.insert(values, (np.cumsum(counts) - counts)[few], np.concatenate(whole))
        counts[few] = 1
    # each article's shingles sorted, then distinct
    ends = np.cumsum(counts)
    for start, end in zip((ends - counts).tolist(), ends.tolist(), strict=True):
        values[start:end].sort()
    distinct = np.ones(len(values), bool)
    distinct[1:] = values[1:] != values[:-1]
    distinct[(ends - counts)[counts > 0]] = True
    article = np.repeat(np.arange(len(counts)), counts)
    return values[distinct], np.bincount(article[distinct], minlength=len(counts)).astype(np.int64)


def _word_hashes(text: npt.NDArray[np.uint8], starts: Offsets, lengths: Offsets) -> Hashes:
    """A 64-bit hash of each word ``text[start:start + length]``."""
    padded = np.zeros(len(text) + _LANE * (_LANES + 1), np.uint8)
    padded[: len(text)] = text
    lanes = np.ndarray((len(text) + _LANE * _LANES,), "<u8", padded, strides=(1,))  # 8 bytes from each byte on
    low = lanes[starts] & _LOW_BYTES[np.minimum(lengths, _LANE)]
    high = lanes[starts + _LANE] & _LOW_BYTES[np.clip(lengths - _LANE, 0, _LANE)]
    with np.errstate(over="ignore"):
        hashes = _finalise(low ^ high * _MIX[1] ^ _LENGTH_KEYS[np.minimum(lengths, _LANE * _LANES)])
    for word in np.flatnonzero(lengths > _LANE * _LANES).tolist():  # (rare)
        start = int(starts[word])
        word_bytes = text[start : start + int(lengths[word])].tobytes()
        hashes[word] = int.from_bytes(hashlib.blake2b(word_bytes, digest_size=8).digest(), "little")
    return hashes


def _combine(hashes: Hashes, width: int) -> Hashes:
    """The hash of every run of ``width`` consecutive words: their hashes combined in order (FNV-style), mixed."""
    count = len(hashes) - width + 1
    if count < 1:
        return np.zeros(0, np.uint64)
    with np.errstate(over="ignore"):
        combined = hashes[:count].copy()
        for offset in range(1, width):
            combined = (combined * _MIX[0]) ^ hashes[offset : offset + count]
        return _finalise(combined)


def _finalise(values: Hashes) -> Hashes:
    """A 64-bit mix of each value (SplitMix64's finaliser)."""
    with np.errstate(over="ignore"):
        values = values ^ (values >> np.uint64(31))
        values *= _MIX[1]
        values ^= values >> np.uint64(29)
        values *= _MIX[2]
        values ^= values >> np.uint64(32)
    return values


def signatures(shingle_sets: Sequence[Hashes]) -> Signatures:
    """The MinHash signature of each shingle set: a ``(len, NUM_PERM)`` matrix of 16-bit values
    (the low bits of ``rensa``'s 32-bit MinHash values)."""
    offsets = np.zeros(len(shingle_sets) + 1, np.int64)
    np.cumsum([len(values) for values in shingle_sets], out=offsets[1:])
    flat = np.concatenate(shingle_sets) if shingle_sets else np.zeros(0, np.uint64)
    return signature_matrix(flat, offsets)


def signature_matrix(flat: Hashes, offsets: Offsets) -> Signatures:
    """:func:`signatures` of the sets ``flat[offsets[i]:offsets[i + 1]]`` (as :func:`shingle_sets` gives them)."""
    import rensa

    if len(offsets) < 2:
        return np.zeros((0, NUM_PERM), np.uint16)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets.astype(np.uint64), NUM_PERM, SEED)
    return (np.array(matrix.to_rows(), dtype=np.uint32) & 0xFFFF).astype(np.uint16)


def minhash_library() -> str:
    """The MinHash library and its algorithm version, as recorded in a manifest.

    >>> minhash_library()
    'rensa RMinHash, algorithm version 2'
    """
    import rensa

    return f"rensa RMinHash, algorithm version {rensa.RMinHash.ALGORITHM_VERSION}"


def band_keys(sigs: Signatures) -> npt.NDArray[np.uint64]:
    """Each signature's :data:`BANDS` LSH keys: its values four by four, read as one 64-bit number."""
    return np.ascontiguousarray(sigs, dtype="<u2").view("<u8")


def candidate_pairs(sigs: Signatures, cap: int = BUCKET_CAP, min_estimate: float | None = None) -> Pairs:
    """Pairs ``(i, j)``, ``i < j``, of rows of ``sigs`` that agree on at least one whole band
    (and whose signatures agree on at least ``min_estimate`` of their values, when given).

    A bucket (rows sharing a band's key) gives all its pairs when it holds at most ``cap``
    rows, else each row paired with the bucket's first: the pairs grow at most as
    ``rows x BANDS`` however repetitive the corpus. With ``min_estimate`` the pairs are
    filtered as the bands propose them, so memory follows the pairs kept, not those proposed.

    >>> sigs = np.array([[1] * 128, [1] * 64 + [2] * 64, [3] * 128], dtype=np.uint16)
    >>> candidate_pairs(sigs).tolist(), candidate_pairs(sigs, min_estimate=0.6).tolist()
    ([[0, 1]], [])
    """
    codes, _ = candidate_codes(sigs, cap, min_estimate)
    count = max(len(sigs), 1)
    return np.stack([codes // count, codes % count], axis=1)


def candidate_codes(
    sigs: Signatures, cap: int = BUCKET_CAP, min_estimate: float | None = None, block: int = 1 << 18
) -> tuple[Codes, int]:
    """:func:`candidate_pairs` as sorted codes ``i * len(sigs) + j`` (8 bytes a pair), and how many pairs
    the bands proposed (a pair once per band it shares). The bands' pairs come ``block`` at a time:
    what is held besides the codes kept is bounded, whatever the buckets.

    >>> sigs = np.array([[1] * 128, [1] * 64 + [2] * 64, [1] * 128], dtype=np.uint16)
    >>> codes, proposed = candidate_codes(sigs)
    >>> codes.tolist(), proposed
    ([1, 2, 5], 64)
    """
    keys = band_keys(sigs)
    count = max(len(sigs), 1)
    kept = np.zeros(0, np.int64)
    proposed = 0
    for band in range(keys.shape[1]):
        found = [kept]
        for pairs in _band_pairs(keys[:, band], cap, block):
            proposed += len(pairs)
            codes = pairs[:, 0] * count + pairs[:, 1]
            new = ~_sorted_member(kept, codes)  # (a pair an earlier band kept is kept)
            pairs, codes = pairs[new], codes[new]
            if min_estimate is not None:
                codes = codes[estimate(sigs, pairs) >= min_estimate]
            found.append(codes)
        kept = np.sort(np.concatenate(found), kind="stable")  # (a band gives each pair once: no repeats)
    return kept, proposed


def _band_pairs(column: npt.NDArray[np.uint64], cap: int, block: int) -> Iterator[Pairs]:
    """The pairs ``(i, j)``, ``i < j``, of rows that share a key of ``column``, about ``block`` at a time:
    every pair of a bucket of up to ``cap`` rows, each row with the first of a larger one."""
    order = np.argsort(column, kind="stable")
    ordered = column[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    lengths = np.diff(np.r_[starts, len(ordered)])
    shared = np.flatnonzero(lengths > 1)
    if not len(shared):
        return
    shared = shared[np.argsort(lengths[shared], kind="stable")]  # the buckets by size, each size in one run
    sizes = lengths[shared]
    edges = np.flatnonzero(np.r_[True, sizes[1:] != sizes[:-1], True])
    for low, high in itertools.pairwise(edges.tolist()):  # all buckets of one size at once, a block at a time
        length = int(sizes[low])
        if length <= cap:
            first, second = np.triu_indices(length, 1)
        else:
            first, second = np.zeros(length - 1, np.int64), np.arange(1, length)
        step = max(1, block // len(first))
        for start in range(low, high, step):
            buckets = shared[start : min(start + step, high)]
            members = order[starts[buckets][:, None] + np.arange(length)]  # (buckets, length)
            members.sort(axis=1)
            yield np.stack([members[:, first].ravel(), members[:, second].ravel()], axis=1).astype(np.int64)


def _sorted_member(values: npt.NDArray[np.int64], items: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether each of ``items`` is in ``values`` (sorted).

    >>> _sorted_member(np.array([2, 5]), np.array([5, 1, 9])).tolist()
    [True, False, False]
    """
    if not len(values):
        return np.zeros(len(items), bool)
    where = np.minimum(np.searchsorted(values, items), len(values) - 1)
    found: npt.NDArray[np.bool_] = values[where] == items
    return found


def estimate(sigs: Signatures, pairs: Pairs, block: int = 1 << 14) -> npt.NDArray[np.float64]:
    """The Jaccard similarity of each pair as its signatures estimate it (the share of equal values).

    >>> estimate(np.array([[1, 2], [1, 3]], dtype=np.uint16), np.array([[0, 1]])).tolist()
    [0.5]
    """
    out = np.empty(len(pairs), np.float64)
    for start in range(0, len(pairs), block):
        part = pairs[start : start + block]
        equal = sigs[part[:, 0]] == sigs[part[:, 1]]  # (block, NUM_PERM) booleans: 2 MB at most
        out[start : start + block] = np.count_nonzero(equal, axis=1) / sigs.shape[1]  # (mean() would cast to float)
    return out


def jaccard(first: Hashes, second: Hashes) -> float:
    """The exact Jaccard similarity of two sorted, distinct shingle sets.

    >>> jaccard(np.array([1, 2, 3], np.uint64), np.array([2, 3, 4], np.uint64))
    0.5
    """
    if not len(first) and not len(second):
        return 1.0
    if len(first) > len(second):
        first, second = second, first
    where = np.searchsorted(second, first)  # both sorted: each value's place in the other, no merge sort
    common = int(np.count_nonzero(second[np.minimum(where, len(second) - 1)] == first)) if len(second) else 0
    return common / (len(first) + len(second) - common)


def components(count: int, pairs: Iterable[Sequence[int]]) -> npt.NDArray[np.int64]:
    """Union-find: each of ``count`` items labelled with the smallest item of its component.

    >>> components(5, [(3, 1), (1, 4)]).tolist()
    [0, 1, 2, 1, 1]
    """
    parent = list(range(count))

    def root(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for first, second in pairs:
        a, b = root(first), root(second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return np.array([root(item) for item in range(count)], dtype=np.int64)


@dataclass(frozen=True)
class NearDuplicate:
    """An input left out of a release (``near_duplicates="drop"``): its record near-duplicates
    the published record ``id`` (the canonical member of its cluster) with ``similarity``."""

    file: str
    line: int
    sha256: str
    id: str
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        """The manifest entry."""
        return {**asdict(self), "similarity": round(self.similarity, 4)}


@dataclass(frozen=True)
class Pair:
    """Two records found to be near-duplicates, and their measured similarity."""

    first: str
    second: str
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"first": self.first, "second": self.second, "similarity": round(self.similarity, 4)}


def similar_pairs(
    texts: Sequence[tuple[str, str]], threshold: float = THRESHOLD, sigs: Signatures | None = None
) -> list[tuple[int, int, float]]:
    """Every pair of ``texts`` (title, text in the traditional style) at or above ``threshold``,
    found in memory: the candidates of the signatures, measured exactly.

    >>> texts = [("A", "một hai ba bốn năm sáu bảy tám"), ("B", "một hai ba bốn năm sáu bảy tám"), ("C", "khác")]
    >>> [(first, second, round(similarity, 2)) for first, second, similarity in similar_pairs(texts)]
    [(0, 1, 0.67)]
    """
    flat, offsets = shingle_sets([title for title, _ in texts], [text for _, text in texts])
    sets = [flat[start:end] for start, end in itertools.pairwise(offsets.tolist())]
    sigs = signature_matrix(flat, offsets) if sigs is None else sigs
    pairs = candidate_pairs(sigs, min_estimate=threshold - ESTIMATE_MARGIN)
    found = []
    for first, second in pairs.tolist():
        similarity = jaccard(sets[first], sets[second])
        if similarity >= threshold:
            found.append((first, second, similarity))
    return found


def card_section(manifest: Mapping[str, Any]) -> str:
    """The card's section on near-duplicate clusters (empty for releases built before them)."""
    clusters = manifest.get("clusters")
    if not clusters:
        return ""
    settings = manifest["settings"]
    sizes = ", ".join(f"{count} of {size}" for size, count in clusters["sizes"].items()) or "none"
    mode = settings.get("near_duplicates", "keep")
    what = (
        f"{clusters['near_duplicates_removed']} near-duplicates were left out (only each cluster's canonical "
        "member is published; `manifest.json` lists the others with their similarity)"
        if mode == "drop"
        else f"every member is published: {clusters['near_duplicates_kept']} records are near-duplicates of another"
    )
    previous = clusters.get("previous")
    kept = (
        f" Splits of the {previous['articles_kept_in_split']} articles release {previous['version']} published are "
        "kept; new members of its clusters joined their split."
        if previous
        else ""
    )
    conflicts = clusters["conflicts"]
    conflict_text = (
        f" {len(conflicts)} conflicts: new articles bridge clusters published in different splits; each is "
        "published in the split of the cluster with the smallest cluster id and listed in `manifest.json`."
        if conflicts
        else " No conflicts."
    )
    return f"""## Near-duplicates

Syndicated copies of one story (another title, a trimmed lead, another byline) are
near-duplicates: the exact Jaccard similarity of their 5-syllable shingle sets is at least
{clusters["threshold"]}. They form {clusters["clusters"]} clusters ({sizes} distinct records;
`cluster_id` names each record's cluster), and every member of a cluster is in the same
split, so no split holds near-copies of another's articles; {what}.{kept}{conflict_text}
Leakage check: {clusters["leakage"]["pairs_across_splits"]} near-duplicate pairs across splits.

"""
