"""The repository benchmark's plumbing: baseline chunks become the engine's context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_spec_text_is_what_source_takes() -> None:
    from repofill.bench.repo import spec_text
    from repofill.bench.sources import parse_spec

    for text in ("pypi:click==8.1.7", "npm:mobx@6.12.3:src", "deb:librust-toml-dev=0.5.11-1"):
        assert spec_text(parse_spec(text)) == text


def test_count_holes_writes_file_and_hole_counts_without_a_model(tmp_path: Path) -> None:
    import json

    from repofill.bench.repo import main

    project = tmp_path / "proj"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg/__init__.py").write_text("")
    (project / "pkg/a.py").write_text("def helper(x):\n    return x\n")
    (project / "pkg/b.py").write_text("from pkg.a import helper\n\nvalue = helper(2)\n")
    out = tmp_path / "out" / "repo"
    argv = ["--repo", str(project), "--holes-kind", "crosscodeeval", "--count-holes"]
    assert main([*argv, "--out", str(out)]) == 0
    result = json.loads((tmp_path / "out" / "repo-holes.json").read_text())
    assert result["holes_kind"] == "crosscodeeval" and result["split"] == ""
    assert result["projects"]["proj"]["holes"] == 1
    assert result["projects"]["proj"]["files"] == 3


def test_a_baseline_context_goes_through_the_engine(tmp_path: Path) -> None:
    from typing import cast

    from repofill.lsp.factory import build_engine
    from repofill.lsp.settings import Settings
    from repofill.models.types import CancelToken
    from repofill.retrieval import Retriever

    from ..lsp.test_speed_behaviour import ScriptedBackend

    backend = ScriptedBackend("helper(2)")
    chunk = Chunk("lib.py", 0, 1, "def helper(x):\n    return x")
    context = as_context("bm25_sub", [chunk], backend.count_tokens, 512)
    fixed = cast(Retriever, FixedContext(tmp_path, context))
    engine = build_engine(Settings(deadlineMs=0, debounceMs=0), fixed, load=lambda: backend)
    cursor = Cursor("value = ", 8, tmp_path / "main.py", "python")
    try:
        result = engine.run(backend, cursor, CancelToken(), multiline=False, strategy="greedy")
    finally:
        engine.worker.close()
    assert result.items == ["helper(2)"]
    assert result.context.snippets == context.snippets
    assert [f.text for f in backend.requests[0].context] == [chunk.text]


def test_rlpg_params_override_fields_by_their_types() -> None:
    from repofill.bench.repo import rlpg_params
    from repofill.retrieval.proposals import Params

    params = rlpg_params("window_share=0.25, current_imports=false,windows=3")
    assert (params.window_share, params.current_imports, params.windows) == (0.25, False, 3)
    assert rlpg_params("") == Params()
    for bad in ("nope=1", "window_share", "current_imports=maybe", "windows=x"):
        with pytest.raises(ValueError):
            rlpg_params(bad)


def test_iterated_context_queries_with_the_draft(tmp_path: Path) -> None:
    """RepoCoder's iteration: the draft at the cursor brings in the window that uses its names."""
    from repofill.bench.repo import iterated_context
    from repofill.retrieval import Retriever

    (tmp_path / "other.py").write_text("result = compute_checksum(payload)\n")
    (tmp_path / "noise.py").write_text("value = 1\n")
    text = "def f(data):\n    return \n"
    path = tmp_path / "cur.py"
    path.write_text(text)
    retriever = Retriever(tmp_path, use_cache=False)
    retriever.build()
    cursor = Cursor(text, text.index("return ") + len("return "), path, "python")

    def words(t: str) -> int:
        return len(t.split())

    plain = retriever.select(cursor, words, 200)
    drafted = iterated_context(retriever, cursor, "compute_checksum(data)", words, 200)
    assert "other.py" not in [s.path for s in plain.snippets]
    window = [s for s in drafted.snippets if s.source == "similar_window"]
    assert window and window[-1].path == "other.py"
    assert "compute_checksum" in window[-1].text


def test_paired_table_compares_repofill_hole_by_hole(tmp_path: Path) -> None:
    from repofill.bench.repo import markdown, paired_against, write_predictions

    def row(key: str, rlpg: float, bm25: float) -> dict:
        results = {
            "rlpg": {"prediction": "a" if rlpg else "b", "em": rlpg},
            "bm25_sub": {"prediction": "a" if bm25 else "c", "em": bm25},
        }
        return {"key": key, "target": "a", "results": results}

    rows = [row("p:1", 1.0, 0.0), row("p:2", 1.0, 1.0), row("p:3", 0.0, 1.0), row("p:4", 1.0, 0.0)]
    paired = paired_against(rows, ["bm25_sub", "rlpg"])
    assert list(paired) == ["bm25_sub"]
    assert (paired["bm25_sub"]["wins"], paired["bm25_sub"]["losses"]) == (2, 1)
    assert paired["bm25_sub"]["em_diff"] == 25.0
    assert paired_against(rows, ["bm25_sub"]) == {}

    path = tmp_path / "run-predictions.jsonl"
    write_predictions(rows, ["bm25_sub", "rlpg"], path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[2] == {"key": "p:3", "target": "a", "bm25_sub": "a", "rlpg": "b"}

    summary = {"em": 0.0, "es": 0.0, "id_em": 0.0, "id_f1": 0.0, "holes": 4, "ms_mean": 0}
    text = markdown(
        {
            "model": "m",
            "budget": 512,
            "machine": "x",
            "methods": ["bm25_sub", "rlpg"],
            "holes": 4,
            "pooled": {"bm25_sub": summary, "rlpg": summary},
            "projects": {},
            "paired": paired,
            "command": "repofill bench repo",
        }
    )
    assert "| BM25 windows, sub-words (rank-bm25) | 2 | 1 | +25.0 |" in text


def _check_answers_project(root: Path) -> Path:
    """A Python module and an Allman-style TypeScript class, each using an imported name."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg/__init__.py").write_text("")
    (root / "pkg/a.py").write_text("def helper(x):\n    return x\n")
    (root / "pkg/b.py").write_text("from pkg.a import helper\n\nvalue = helper(2)\n")
    (root / "src").mkdir()
    (root / "src/ids.ts").write_text("export function getNextId(): number {\n    return 1\n}\n")
    (root / "src/array.ts").write_text(
        'import { getNextId } from "./ids"\n\n'
        "export class ObservableArrayAdministration\n    implements IListenable\n{\n"
        "    atom_: IAtom\n    lastKnownLength_ = 0\n\n    constructor(\n"
        '        name = __DEV__ ? "ObservableArray@" + getNextId() : "ObservableArray",\n'
        "        enhancer: IEnhancer<any>,\n        public owned_: boolean\n    ) {\n"
        "        this.atom_ = new Atom(name)\n    }\n}\n"
    )
    return root


def test_check_answers_keeps_every_right_answer(tmp_path: Path) -> None:
    """Each hole's own answer goes through the real post-processing; the Allman class's answer
    was rejected before the region fix of 2026-12-07."""
    import json

    from repofill.bench.repo import main

    project = _check_answers_project(tmp_path / "proj")
    out = tmp_path / "out" / "repo"
    argv = ["--repo", str(project), "--holes-kind", "crosscodeeval", "--check-answers"]
    assert main([*argv, "--out", str(out)]) == 0
    result = json.loads((tmp_path / "out" / "repo-answers.json").read_text())
    assert result["holes"] == 2 and result["not_kept"] == 0
    assert result["projects"]["proj"]["not_kept"] == []


def test_check_answers_reports_a_filter_that_rejects_right_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from repofill.bench import repo
    from repofill.lsp.postprocess import pipeline

    broken = (
        *pipeline.FILTERS,
        pipeline.Filter("reject_calls", lambda t, c: None if "(" in t else t),
    )
    monkeypatch.setattr(repo, "explain", lambda text, ctx: pipeline.explain(text, ctx, broken))
    project = _check_answers_project(tmp_path / "proj")
    out = tmp_path / "out" / "repo"
    argv = ["--repo", str(project), "--holes-kind", "crosscodeeval", "--check-answers"]
    assert repo.main([*argv, "--out", str(out)]) == 1
    result = json.loads((tmp_path / "out" / "repo-answers.json").read_text())
    assert result["not_kept"] == 2
    wrong = {w["path"]: w for w in result["projects"]["proj"]["not_kept"]}
    assert wrong["pkg/b.py"] == {
        "path": "pkg/b.py",
        "line": 3,
        "column": 9,
        "answer": "helper(2)",
        "result": None,
        "rejected_by": "reject_calls",
        "changed_by": [],
    }
    assert wrong["src/array.ts"]["answer"] == 'getNextId() : "ObservableArray",'
