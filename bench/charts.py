"""Charts for benchmark results: matplotlib is optional (the `bench` extra)."""

from __future__ import annotations

import sys
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
