"""Paired comparison of two context strategies on the same holes: is a difference in code exact
match more than the noise of a few dozen holes?

- wins / losses: holes only the first / only the second strategy got exactly right;
- the exact sign test (McNemar's exact test) on those discordant holes, two-sided: the chance of
  a split at least this uneven if each discordant hole were a fair coin;
- a 95% percentile bootstrap interval of the EM difference (points), resampling holes with
  replacement (Efron & Tibshirani 1993), 10,000 resamples from a fixed seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

RESAMPLES = 10_000


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test p-value for `wins` against `losses` (ties dropped before)."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_em(
    first: Sequence[float], second: Sequence[float], *, resamples: int = RESAMPLES, seed: int = 0
) -> dict[str, float]:
    """Hole-by-hole comparison of two exact-match lists (1.0 right, 0.0 wrong, same holes in the
    same order). Differences and interval bounds are EM points (first − second).
    ValueError when the lists differ in length or are empty."""
    if len(first) != len(second) or not first:
        raise ValueError("paired_em needs two non-empty lists of the same holes")
    diff = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    wins, losses = int((diff > 0).sum()), int((diff < 0).sum())
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {
        "holes": len(diff),
        "wins": wins,
        "losses": losses,
        "em_diff": round(100 * float(diff.mean()), 1),
        "ci_low": round(100 * float(low), 1),
        "ci_high": round(100 * float(high), 1),
        "p_sign": round(sign_test(wins, losses), 3),
    }
