"""The whole pipeline against golden/pipeline.txt, and its contract with the engine."""

from __future__ import annotations

import pytest
from repofill.lsp.postprocess import FILTERS, PostContext, explain, postprocess

from .golden import Case, load

CASES = load("pipeline.txt")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pipeline_golden(case: Case) -> None:
    outcome = explain(case.blocks["candidate"], case.context())
    assert outcome.text == case.expected
    if "rejected_by" in case.fields:
        assert outcome.rejected_by == case.fields["rejected_by"]
    assert postprocess(case.blocks["candidate"], case.context()) == case.expected


def test_filter_names_are_unique_and_ordered() -> None:
    names = [f.name for f in FILTERS]
    assert len(names) == len(set(names))
    assert names[-1] == "reject_syntax_errors", "the syntax check judges the final text"


def _ctx(prefix: str, suffix: str, language: str = "python", multiline: bool = True) -> PostContext:
    return PostContext(prefix, suffix, language, multiline, 8)


@pytest.mark.parametrize("blank", ["", "   ", "\n\n", " \t\n  "])
def test_blank_candidate_is_none(blank: str) -> None:
    outcome = explain(blank, _ctx("x = ", "\n"))
    assert outcome.text is None
    assert outcome.rejected_by == "empty"  # before any filter ran


def test_explain_names_the_filters_that_changed_it() -> None:
    outcome = explain("a, b)  ", _ctx("print(", ")\n", multiline=False))
    assert outcome.text == "a, b"
    assert outcome.changed_by == ("strip_trailing_space", "trim_suffix_overlap")


def test_crlf_document_gets_crlf_lines() -> None:
    prefix = "def f(x):\r\n    "
    suffix = "\r\n\r\ndef g():\r\n    pass\r\n"
    got = postprocess("if x:\n        return 1\n    return 2", _ctx(prefix, suffix))
    assert got == "if x:\r\n        return 1\r\n    return 2"


def test_unknown_language_skips_grammar_filters() -> None:
    got = postprocess("hello world (", _ctx("say ", "\n", language="plaintext", multiline=False))
    assert got == "hello world ("


def test_large_prefix_uses_a_window() -> None:
    """A candidate is judged on the code near the cursor: an error far above does not matter."""
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(2000))
    prefix = "def broken(:\n    pass\n\n\n" + body + "def last(x):\n    "
    got = postprocess("return x * 2", _ctx(prefix, "\n"))
    assert got == "return x * 2"
    assert postprocess("return (x * 2", _ctx(prefix, "\n", multiline=False)) == "return (x * 2)"
