"""`pack` against the golden cases in golden/pack.txt: proposals in, snippets out in prompt order,
with a text's tokens counted as its whitespace-separated words."""

from __future__ import annotations

import pytest
from repofill.retrieval.select import pack

from .golden import Case, load, render_snippet, rendered


def words(text: str) -> int:
    return len(text.split())


@pytest.mark.parametrize("case", load("pack.txt"), ids=lambda c: c.name)
def test_pack(case: Case) -> None:
    share = float(case.field("window_share", "0"))
    snippets = pack(case.proposals(), words, int(case.field("budget")), window_share=share)
    assert [render_snippet(s) for s in snippets] == rendered(case, "snippet")
