"""The class report's pictures: histograms drawn with matplotlib's Agg canvas, as PNG bytes.

``Figure`` with its own Agg canvas opens no window and needs no pyplot backend. Chinese labels need a
font with Chinese glyphs (Debian: ``fonts-wqy-microhei``); ``cjk_font`` says whether one is installed.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Sequence

#: Bar colours per state of a submission (matplotlib's tab10).
STATE_COLOURS = {"complete": "#1f77b4", "incomplete": "#ff7f0e", "broken": "#7f7f7f"}
ACCURACY_COLOUR = "#2ca02c"
THRESHOLD_COLOUR = "#d62728"
#: Fonts with Chinese glyphs, in order of preference (Debian: fonts-wqy-microhei, fonts-noto-cjk).
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "WenQuanYi Zen Hei", "Droid Sans Fallback")


#: Their file names, to add them when matplotlib's font cache predates their installation.
CJK_FILES = ("wqy-microhei", "notosanscjk", "wqy-zenhei", "droidsansfallback")


@cache
def cjk_font() -> str | None:
    """An installed font that draws Chinese, or None."""
    from matplotlib import font_manager

    def known() -> str | None:
        installed = {font.name for font in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    if known() is None:
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name.lower() for key in CJK_FILES):
                font_manager.fontManager.addfont(path)
    return known()


@contextmanager
def fonts():
    """Latin text in DejaVu Sans, Chinese in the CJK font where one is installed (glyph by glyph)."""
    import matplotlib

    families = ["DejaVu Sans"] + ([cjk_font()] if cjk_font() else [])
    with matplotlib.rc_context({"font.family": families}):
        yield


def png(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100, metadata={"Software": None})
    return out.getvalue()


def finish(axes, xlabel: str, ylabel: str) -> None:
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)


def score_histogram(
    scores: Sequence[float], states: Sequence[str], top: float, labels: dict[str, str], xlabel: str, ylabel: str
) -> bytes:
    """Scores from 0 to ``top`` in 20 bins, stacked by state (complete, incomplete, broken)."""
    from matplotlib.figure import Figure

    with fonts():
        figure = Figure(figsize=(9, 3.2), layout="constrained")
        axes = figure.add_subplot()
        edges = [top * i / 20 for i in range(21)]
        shown = [
            ([s for s, st in zip(scores, states) if st == state], colour, labels[state])
            for state, colour in STATE_COLOURS.items()
            if state in states
        ]
        axes.hist(
            [group for group, _, _ in shown],
            bins=edges,
            stacked=True,
            color=[colour for _, colour, _ in shown],
            label=[label for _, _, label in shown],
            edgecolor="white",
        )
        axes.set_xlim(0, top)
        axes.legend(loc="upper left", frameon=False)
        finish(axes, xlabel, ylabel)
        return png(figure)


def accuracy_histogram(
    values: Sequence[float],
    threshold: float | None,
    xlabel: str,
    ylabel: str,
    threshold_label: str,
    floor: float | None = None,
    floor_label: str = "",
) -> bytes:
    """Measured test accuracies in bins of 0.02, with the budget's threshold as a dashed line and its
    floor (no credit at or below it) as a dotted one."""
    from matplotlib.figure import Figure

    with fonts():
        figure = Figure(figsize=(9, 2.8), layout="constrained")
        axes = figure.add_subplot()
        marks = [m for m in (threshold, floor) if m is not None]
        start = int(min([*values, *marks, 0.5]) * 50) / 50
        edges = [start + 0.02 * i for i in range(round((1.0 - start) / 0.02) + 1)]
        axes.hist(list(values), bins=edges, color=ACCURACY_COLOUR, edgecolor="white")
        if threshold is not None:
            axes.axvline(threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=2, label=threshold_label)
        if floor is not None:
            axes.axvline(floor, color=THRESHOLD_COLOUR, linestyle=":", linewidth=2, label=floor_label)
        if marks:
            axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2, frameon=False)
        axes.set_xlim(start, 1.0)
        finish(axes, xlabel, ylabel)
        return png(figure)
