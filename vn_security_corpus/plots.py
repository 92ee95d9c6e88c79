"""The plots of a release's statistics (``plots/*.png``), shown in its card.

Drawn with matplotlib's Agg renderer on figures of their own (no pyplot, no global state),
with fixed settings and no metadata in the PNG (no software name, no time): the same
statistics and the same matplotlib give the same bytes.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

from .release import file_sha256
from .stats import PRECISIONS, Statistics, sorted_years

PLOTS_DIR = "plots"
TOP_PROVINCES = 20
_COLOR = "#4c72b0"
_WIDTH = 6.4  # inches
_CHAR_INCHES = 0.075  # the width of a label's character at the font size below, about
# Everything that changes the pixels is set here, whatever the user's matplotlibrc says.
_STYLE = {
    "font.family": "DejaVu Sans",  # ships with matplotlib, and has every Vietnamese letter
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "path.simplify": True,
    "text.hinting": "auto",
    "text.antialiased": True,
}


def plot_specs(stats: Statistics) -> list[tuple[str, str, list[tuple[str, int]], bool]]:
    """``(file name, title, bars, horizontal)`` of each plot."""
    provinces = stats.provinces.most_common(TOP_PROVINCES)
    return [
        ("splits.png", "Articles per split", list(stats.splits.items()), False),
        ("years.png", "Articles per year (of the first day the date can be)", sorted_years(stats.years), False),
        ("provinces.png", f"Articles per province (the {len(provinces)} most frequent)", provinces, True),
        ("date_precision.png", "Date precision", [(name, stats.precision.get(name, 0)) for name in PRECISIONS], False),
        ("words.png", "Words per article", stats.word_bins(), False),
        ("ranks.png", "Officials named, by rank", stats.ranks.most_common(), True),
    ]


def write_plots(stats: Statistics, release: Path) -> dict[str, dict[str, Any]]:
    """Write every plot into ``release/plots/``; returns their entries for the manifest's
    ``files`` (path in the release → sha256, bytes)."""
    folder = release / PLOTS_DIR
    folder.mkdir(exist_ok=True)
    files = {}
    for name, title, bars, horizontal in plot_specs(stats):
        path = folder / name
        path.write_bytes(render_bar_chart(title, tuple(bars), horizontal))
        files[f"{PLOTS_DIR}/{name}"] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    return files


@functools.lru_cache(maxsize=64)
def render_bar_chart(title: str, bars: tuple[tuple[str, int], ...], horizontal: bool) -> bytes:
    """The PNG bytes of one bar chart. A pure function of its arguments (and matplotlib's version),
    remembered: a process that builds the same corpus twice draws its charts once."""
    import matplotlib

    stream = io.BytesIO()
    with matplotlib.rc_context(_STYLE):  # type: ignore[arg-type]
        _bar_chart(stream, title, list(bars), horizontal)
    return stream.getvalue()


def _bar_chart(stream: io.BytesIO, title: str, bars: list[tuple[str, int]], horizontal: bool) -> None:
    """One bar chart. The margins are computed from the labels' lengths instead of measured
    (``tight_layout`` draws the figure once more: it doubled the time of every build)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = [label for label, _ in bars] or ["(none)"]
    values = [value for _, value in bars] or [0]
    longest = max(map(len, labels))
    crowded = not horizontal and (len(labels) > 6 or longest > 12)
    width, height = _WIDTH, max(2.4, 1.0 + 0.24 * len(labels)) if horizontal else 2.8
    left = (0.35 + _CHAR_INCHES * longest if horizontal else 0.75) / width
    bottom = (0.5 + (_CHAR_INCHES * longest * 0.72 if crowded else 0.15)) / height
    if crowded:
        height += _CHAR_INCHES * longest * 0.72
        bottom = (0.5 + _CHAR_INCHES * longest * 0.72) / height
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=min(left, 0.6), right=0.97, bottom=bottom, top=1 - 0.35 / height)
    axes = figure.add_subplot()
    if horizontal:
        positions = list(range(len(labels)))[::-1]  # the largest on top
        axes.barh(positions, values, color=_COLOR)
        axes.set_yticks(positions, labels)
        axes.set_xlabel("officials" if "rank" in title else "articles")
    else:
        positions = list(range(len(labels)))
        axes.bar(positions, values, color=_COLOR)
        axes.set_xticks(positions, labels, rotation=45 if crowded else 0, ha="right" if crowded else "center")
        axes.set_ylabel("articles")
    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))  # counts
    axes.set_title(title)
    figure.savefig(stream, format="png", metadata={"Software": None})
