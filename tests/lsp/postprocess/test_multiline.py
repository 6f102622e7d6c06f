"""decide_multiline against golden/multiline.txt, plus the fixed settings."""

from __future__ import annotations

import pytest
from repofill.lsp.postprocess import decide_multiline

from .golden import Case, load

CASES = load("multiline.txt")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_multiline_golden(case: Case) -> None:
    prefix, suffix = case.prefix_suffix
    expected = case.fields["expected"] == "true"
    assert decide_multiline(prefix, suffix, case.language, "auto") is expected


@pytest.mark.parametrize("case", CASES[:4], ids=[c.name for c in CASES[:4]])
def test_always_and_never_ignore_the_syntax(case: Case) -> None:
    prefix, suffix = case.prefix_suffix
    assert decide_multiline(prefix, suffix, case.language, "always") is True
    assert decide_multiline(prefix, suffix, case.language, "never") is False
