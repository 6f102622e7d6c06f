"""The repository benchmark's plumbing: baseline chunks become the engine's context."""

from __future__ import annotations

from pathlib import Path

from repofill.bench.repo import FixedContext, as_context, score
from repofill.bench.retrieval_baselines import Chunk
from repofill.retrieval.types import Cursor


def test_baseline_chunks_are_ordered_best_nearest_the_cursor() -> None:
    chunks = [Chunk("a.py", 0, 2, "best one"), Chunk("b.py", 5, 7, "second best here")]
    context = as_context("bm25", chunks, lambda text: len(text.split()), 512)
    assert [s.path for s in context.snippets] == ["b.py", "a.py"]
    assert [s.tokens for s in context.snippets] == [3, 2]
    assert context.snippets[-1].score > context.snippets[0].score
    assert {s.source for s in context.snippets} == {"bm25"}
    fixed = FixedContext(Path("/repo"), context)
    cursor = Cursor("x", 1, Path("/repo/c.py"), "python")
    assert fixed.select(cursor, len, 10) is context and fixed.root == Path("/repo")


def test_score_reports_percentages() -> None:
    assert score("get(url)", "get(url)", "python") == {
        "em": 1.0,
        "es": 100.0,
        "id_em": 1.0,
        "id_f1": 100.0,
    }
    miss = score("post(url)", "get(url)", "python")
    assert miss["em"] == 0.0 and miss["id_f1"] == 50.0


def test_reproduce_command_drops_log_options() -> None:
    from repofill.bench.command import reproduce_command

    argv = [
        "--kind",
        "single",
        "--log",
        "/tmp/x.jsonl",
        "--report-only",
        "--out",
        "a b",
        "--resume",
    ]
    assert reproduce_command("infill", argv) == "repofill bench infill --kind single --out 'a b'"
    assert reproduce_command("repo", ["--log=/tmp/y", "--holes", "3"]) == (
        "repofill bench repo --holes 3"
    )
