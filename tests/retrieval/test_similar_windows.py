"""retrieval/similar_windows.py: the window index, ranked by BM25 (the product's choice) or by
RepoCoder's Jaccard similarity."""

from __future__ import annotations

import pytest
from repofill.retrieval.similar_windows import Scoring, WindowIndex


def _index() -> WindowIndex:
    index = WindowIndex(size=2, step=2)
    # Every file shares `value` with the query; only rare.py shares the rare `checksum`.
    index.replace("common.py", ["value = value + value", "total = value"])
    index.replace("rare.py", ["checksum = compute()", "other = 1"])
    for i in range(8):
        index.replace(f"filler_{i}.py", [f"value_{i} = value", f"unrelated_{i} = {i}"])
    return index


def test_bm25_puts_a_rare_shared_token_above_a_common_one() -> None:
    hits = _index().query("value = value\nchecksum", k=3, scoring="bm25")
    assert hits[0].path == "rare.py"
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_jaccard_counts_every_shared_token_alike() -> None:
    hits = _index().query("value = value\nchecksum", k=3, scoring="jaccard")
    # common.py shares one of its two tokens, rare.py one of its three
    assert hits[0].path == "common.py"
    assert all(0 < h.score <= 1 for h in hits)


@pytest.mark.parametrize("scoring", ["bm25", "jaccard"])
def test_removed_and_excluded_files_are_never_returned(scoring: Scoring) -> None:
    index = _index()
    index.remove("rare.py")
    hits = index.query(
        "checksum value total", k=20, exclude=frozenset({"common.py"}), scoring=scoring
    )
    paths = {h.path for h in hits}
    assert "rare.py" not in paths and "common.py" not in paths
    assert paths  # the filler files still match `value`


def test_a_file_removed_and_added_again_is_found_again() -> None:
    """Its old windows stay in the postings, dead: BM25 must still score the new ones above 0
    (it once scored them below, so a file un-ignored after the start never came back)."""
    index = WindowIndex(size=2, step=2)
    index.replace("a.py", ["from b import helper_from_b", "def run(): return helper_from_b()"])
    index.replace("b.py", ["def helper_from_b():", "    return 'B'"])
    query = "from b import helper_from_b\ndef run():"
    assert [h.path for h in index.query(query, exclude=frozenset({"a.py"}), scoring="bm25")] == [
        "b.py"
    ]
    index.remove("b.py")
    assert index.query(query, exclude=frozenset({"a.py"}), scoring="bm25") == []
    index.replace("b.py", ["def helper_from_b():", "    return 'B'"])
    hits = index.query(query, exclude=frozenset({"a.py"}), scoring="bm25")
    assert [h.path for h in hits] == ["b.py"] and hits[0].score > 0


def test_an_unknown_scoring_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown window scoring"):
        _index().query("value", scoring="cosine")  # type: ignore[arg-type]


def test_buffer_windows_score_on_the_index_scale() -> None:
    """A window of the open buffer with an indexed window's text scores as `query` scores that
    window; blocks reused from the cache and windows cut at the end score as fresh ones."""
    index = _index()
    query = "value = value\nchecksum"
    indexed = {h.path: h.score for h in index.query(query, k=20, scoring="bm25")}
    lines = ["x = 1", "y = 2", "checksum = compute()", "other = 1", "value = value + value"]
    spans = [(0, 2), (2, 4), (4, 5)]
    for _ in range(2):  # the second time from the block cache
        scores = index.score_spans(query, lines, spans, "bm25")
        assert scores[0] == 0.0  # shares nothing
        assert scores[1] == pytest.approx(indexed["rare.py"], rel=1e-5)
        assert scores[2] > 0
    jaccard = {h.path: h.score for h in index.query(query, k=20, scoring="jaccard")}
    assert index.score_spans(query, lines, [(2, 4)], "jaccard") == pytest.approx(
        [jaccard["rare.py"]]
    )
    with pytest.raises(ValueError, match="unknown window scoring"):
        index.score_spans(query, lines, spans, "cosine")  # type: ignore[arg-type]


def test_buffer_windows_not_on_a_step_boundary_are_tokenized_whole() -> None:
    index = _index()
    lines = ["a = 1", "checksum = compute()", "other = 1", "b = 2"]
    aligned, odd = index.score_spans("checksum", lines, [(2, 4), (1, 3)], "bm25")
    assert aligned == 0.0 and odd > 0
