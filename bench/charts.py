"""Charts for benchmark results: matplotlib is optional (the `bench` extra)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def pyplot() -> Any | None:
    """matplotlib's pyplot on a file-only backend, or None (with a hint) when it is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "matplotlib is not installed (pip install 'repofill[bench]'): no PNG", file=sys.stderr
        )
        return None
    return plt


def grouped_bars(
    path: Path,
    groups: list[str],
    series: dict[str, list[float]],
    *,
    title: str,
    ylabel: str,
    size: tuple[float, float],
    label_format: str = "%.1f",
    label_size: int = 8,
    legend_size: int | None = None,
) -> bool:
    """One bar per series in each group, values on a 0-100 scale; False without matplotlib."""
    plt = pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=size)
    width = 0.8 / max(1, len(series))
    for j, (name, values) in enumerate(series.items()):
        bars = ax.bar([i + j * width for i in range(len(groups))], values, width, label=name)
        ax.bar_label(bars, fmt=label_format, fontsize=label_size)
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(groups))])
    ax.set_xticklabels(groups)
    ax.set_ylim(0, 100)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=legend_size)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
