"""The windowed baselines of `bench repo` / `bench retrieval`: tokens, windows, and which window
ranks first on tiny hand-made corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repofill.bench.retrieval_baselines import (
    BM25Windows,
    Chunk,
    JaccardWindowsRepoCoder,
    identifier_tokens,
    non_overlapping,
    query_before_cursor,
    subword_tokens,
)

CASES = json.loads((Path(__file__).parent / "data" / "subword_tokens.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_tokens_golden(case: dict) -> None:
    assert identifier_tokens(case["text"]) == case["identifiers"]
    assert subword_tokens(case["text"]) == case["subwords"]


# Eight one-window files: the two candidates and six fillers with words of their own (BM25's idf
# needs a corpus where a word in one window is rare).
FILLERS = {
    f"filler{i}.py": [f"alpha{i} = beta{i}(gamma{i})", f"delta{i}(alpha{i})"] for i in range(6)
}
CORPUS = {
    # Uses the name the cursor needs, but as one whole identifier the query never contains.
    "src/train.py": ["def get_trainable_paths(model):", "    return model.params"],
    # Shares two whole identifiers with the query, and nothing about trainable paths.
    "src/build.py": ["model = None", "build = make(model)", "cache = {}"],
    **FILLERS,
}
CURRENT = ["model = build()", "trainable_paths = "]


@pytest.mark.parametrize(
    ("cls", "tokenize", "first"),
    [
        (BM25Windows, identifier_tokens, "src/build.py"),
        (BM25Windows, subword_tokens, "src/train.py"),
        (JaccardWindowsRepoCoder, identifier_tokens, "src/build.py"),
        (JaccardWindowsRepoCoder, subword_tokens, "src/train.py"),
    ],
)
def test_sub_words_find_the_window_that_calls_the_name(
    cls: type, tokenize: object, first: str
) -> None:
    ranker = cls({**CORPUS, "src/current.py": CURRENT}, tokenize)
    query = query_before_cursor(CURRENT, 1, CURRENT[1], ranker.query_lines)
    ranked = ranker.rank(query, exclude="src/current.py")
    assert ranked[0][0].path == first
    assert all(chunk.path != "src/current.py" for chunk, _ in ranked)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)


def test_repocoder_scores_are_jaccard_of_token_sets() -> None:
    files = {"a.py": ["x = y + z"], "b.py": ["x = w", "v = u"], "c.py": ["q = r"]}
    ranker = JaccardWindowsRepoCoder(files)
    ranked = ranker.rank("x y z x")  # the query's set {x, y, z}
    assert [(c.path, round(s, 4)) for c, s in ranked] == [("a.py", 1.0), ("b.py", 0.1667)]


def test_bm25_uses_the_last_ten_lines_and_repocoder_the_last_twenty() -> None:
    assert BM25Windows({"a.py": ["a = 1"]}).query_lines == 10
    assert JaccardWindowsRepoCoder({"a.py": ["a = 1"]}).query_lines == 20
    lines = [f"line{i}" for i in range(30)]
    query = query_before_cursor(lines, 25, "head", 10)
    assert query.splitlines() == [f"line{i}" for i in range(16, 25)] + ["head"]
    assert query_before_cursor(lines, 2, "h", 20).splitlines() == ["line0", "line1", "h"]


def test_windows_are_twenty_lines_every_ten() -> None:
    ranker = JaccardWindowsRepoCoder({"a.py": [f"v{i} = {i}" for i in range(35)]})
    assert [(w.start, w.end) for w in ranker.windows] == [(0, 20), (10, 30), (20, 35)]
    assert ranker.windows[1].text.splitlines()[0] == "v10 = 10"


def test_select_packs_the_best_non_overlapping_windows_into_the_budget() -> None:
    # 30 lines that all match: windows [0, 20) and [10, 30) overlap, so only the better one stays.
    lines = ["target_name = compute(target_name)" if i >= 10 else "other = 1" for i in range(30)]
    files = {"lib.py": lines, "side.py": ["target_name = 2"], "cur.py": ["x = 1"]}
    ranker = JaccardWindowsRepoCoder(files)
    words = lambda text: len(text.split())  # noqa: E731
    picked = ranker.select(
        "cur.py", ["target_name = compute("], 0, "target_name = compute(", words, 1000
    )
    assert [(c.path, c.start, c.end) for c in picked] == [("lib.py", 10, 30), ("side.py", 0, 1)]
    # A budget that only fits the small window keeps it and skips the big one.
    small = ranker.select("cur.py", ["target_name"], 0, "target_name", words, 20)
    assert [(c.path, c.start) for c in small] == [("side.py", 0)]


def test_non_overlapping_keeps_rank_order() -> None:
    ranked = [
        Chunk("a", 10, 30, ""),
        Chunk("a", 0, 20, ""),
        Chunk("b", 0, 20, ""),
        Chunk("a", 30, 40, ""),
    ]
    assert non_overlapping(ranked) == [ranked[0], ranked[2], ranked[3]]


def test_empty_corpus_ranks_nothing() -> None:
    assert BM25Windows({}).rank("anything") == []
    assert JaccardWindowsRepoCoder({"a.py": ["", "  "]}).rank("anything") == []


def test_bm25_scores_are_the_librarys() -> None:
    from rank_bm25 import BM25Okapi

    ranker = BM25Windows(CORPUS, subword_tokens)
    text = "model = build()\ntrainable_paths = "
    full = BM25Okapi([subword_tokens(w.text) for w in ranker.windows]).get_scores(
        subword_tokens(text)
    )
    ranked = ranker.rank(text)
    assert ranked
    for chunk, score in ranked:
        assert score == pytest.approx(full[ranker.windows.index(chunk)])
    left_out = [i for i, w in enumerate(ranker.windows) if w not in {c for c, _ in ranked}]
    assert all(full[i] <= 0 for i in left_out)
