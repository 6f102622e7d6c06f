"""bench/paired.py: the sign test and bootstrap interval behind `bench repo`'s paired table."""

from __future__ import annotations

import pytest
from repofill.bench.paired import paired_em, sign_test


def test_sign_test_matches_the_binomial_tail() -> None:
    assert sign_test(0, 0) == 1.0
    assert sign_test(3, 3) == 1.0
    # 8 discordant holes all one way: 2 * (1/2)^8
    assert sign_test(8, 0) == pytest.approx(2 / 256)
    # 9 against 2: 2 * P(X <= 2), X ~ Binomial(11, 1/2) = 2 * 67 / 2048
    assert sign_test(9, 2) == pytest.approx(2 * 67 / 2048)
    assert sign_test(2, 9) == sign_test(9, 2)


def test_paired_em_counts_discordant_holes_and_brackets_the_difference() -> None:
    first = [1.0] * 10 + [0.0] * 30 + [1.0] * 5
    second = [0.0] * 10 + [0.0] * 30 + [1.0] * 5
    out = paired_em(first, second)
    assert (out["holes"], out["wins"], out["losses"]) == (45, 10, 0)
    assert out["em_diff"] == pytest.approx(100 * 10 / 45, abs=0.1)
    assert 0 < out["ci_low"] < out["em_diff"] < out["ci_high"]
    assert out["p_sign"] < 0.01


def test_equal_strategies_differ_by_nothing() -> None:
    same = [1.0, 0.0, 1.0, 0.0]
    out = paired_em(same, same)
    assert out["em_diff"] == out["ci_low"] == out["ci_high"] == 0.0
    assert out["p_sign"] == 1.0


def test_mismatched_holes_are_an_error() -> None:
    with pytest.raises(ValueError):
        paired_em([1.0], [1.0, 0.0])
    with pytest.raises(ValueError):
        paired_em([], [])
