"""Properties that hold for any input: the pipeline never raises and respects its limits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from repofill.lsp.postprocess import PostContext, decide_multiline, postprocess

PIECES = [*"ab1 \t\n():{}[];,'\"`#/*=+.", "def ", "if ", "return ", "    "]
CODE = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
LANGUAGES = st.sampled_from(["python", "javascript", "tsx", "go", "rust", "java", "cpp", "text"])


@settings(max_examples=300, deadline=None)
@given(CODE, CODE, CODE, LANGUAGES, st.booleans(), st.integers(1, 5))
def test_pipeline_is_total(
    prefix: str, suffix: str, candidate: str, language: str, multiline: bool, max_lines: int
) -> None:
    ctx = PostContext(prefix, suffix, language, multiline, max_lines)
    out = postprocess(candidate, ctx)
    assert out is None or out.strip()
    if out is not None and not multiline:
        assert sum(1 for line in out.split("\n") if line.strip()) == 1


@settings(max_examples=200, deadline=None)
@given(CODE, CODE, LANGUAGES)
def test_decide_multiline_is_total(prefix: str, suffix: str, language: str) -> None:
    assert decide_multiline(prefix, suffix, language, "auto") in (True, False)
    assert decide_multiline(prefix, suffix, language, "never") is False
