"""CrossCodeEval metrics against golden cases (tests/bench/data/repo_metrics_golden.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repofill.bench.repo_metrics import (
    context_coverage,
    edit_similarity,
    exact_match,
    identifier_match,
    identifiers,
)

CASES = json.loads((Path(__file__).parent / "data" / "repo_metrics_golden.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_golden(case: dict) -> None:
    pred, gold, lang = case["prediction"], case["target"], case["language"]
    assert exact_match(pred, gold) is case["em"]
    if case["es"] is not None:
        assert edit_similarity(pred, gold) == pytest.approx(case["es"], abs=1e-3)
    id_em, id_f1 = identifier_match(pred, gold, lang)
    assert id_em is case["id_em"]
    assert id_f1 == pytest.approx(case["id_f1"], abs=1e-3)


def test_edit_similarity_is_symmetric_and_bounded() -> None:
    pairs = [("session.get(url)", "session.post(url, data)"), ("a", "b"), ("", "x")]
    for a, b in pairs:
        assert edit_similarity(a, b) == pytest.approx(edit_similarity(b, a))
        assert 0.0 <= edit_similarity(a, b) <= 100.0


def test_identifiers_skip_strings_comments_and_keywords() -> None:
    code = 'if not os.path.exists("some path"):  # make it\n    return None'
    assert identifiers(code, "python") == ["os", "path", "exists"]
    assert identifiers("return this.pipe(map(x => `${y}`)) // done", "typescript") == [
        "pipe",
        "map",
        "x",
    ]


COVERAGE_CASES = json.loads(
    (Path(__file__).parent / "data" / "context_coverage_golden.json").read_text()
)


@pytest.mark.parametrize("case", COVERAGE_CASES, ids=[c["why"] for c in COVERAGE_CASES])
def test_context_coverage(case: dict) -> None:
    got = context_coverage(case["context"], case["target"])
    assert [got["ctx_name"], got["ctx_lead"], got["ctx_line"]] == case["name_lead_line"]
