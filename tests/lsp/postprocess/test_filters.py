"""Each filter against its golden cases (golden/<filter name>.txt)."""

from __future__ import annotations

import pytest
from repofill.lsp.postprocess import FILTERS, Filter

from .golden import HERE, Case, load

BY_NAME = {f.name: f for f in FILTERS}
FILES = sorted(p.stem for p in HERE.glob("*.txt") if p.stem in BY_NAME)
CASES = [(BY_NAME[stem], case) for stem in FILES for case in load(f"{stem}.txt")]


def test_every_filter_has_golden_cases() -> None:
    assert set(FILES) == set(BY_NAME), "each filter needs golden/<name>.txt"
    for stem in FILES:
        assert len(load(f"{stem}.txt")) >= 6, f"{stem}: too few cases"


@pytest.mark.parametrize(
    ("step", "case"), CASES, ids=[f"{step.name}: {case.name}" for step, case in CASES]
)
def test_filter_golden(step: Filter, case: Case) -> None:
    got = step(case.blocks["candidate"], case.context())
    if case.expected is None:
        assert got is None or not got.strip(), f"expected a rejection, got {got!r}"
    else:
        assert got == case.expected
