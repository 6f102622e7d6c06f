"""Strategy choice, request plans and candidate ranking; the engine with a scripted backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from repofill.lsp.engine import Engine
from repofill.lsp.settings import Settings
from repofill.lsp.strategies import (
    RERANK_SAMPLES,
    SCORE_LINES,
    choose,
    finished,
    plan,
    rank,
)
from repofill.models.types import CancelToken, Candidate, InfillRequest, ModelInfo, Timings
from repofill.models.worker import ModelWorker
from repofill.retrieval.types import Cursor


def cand(
    text: str,
    logprob: float = 0.0,
    suffix: float | None = None,
    *,
    finish: str = "lines",
    eot: bool = False,
    tokens: int = 1,
) -> Candidate:
    return Candidate(
        text=text,
        finish_reason=finish,
        logprob=logprob,
        suffix_logprob=suffix,
        ended_with_eot=eot,
        timings=Timings(generated_tokens=tokens),
    )


@pytest.mark.parametrize(
    ("setting", "family", "explicit", "expected"),
    [
        ("auto", "qwen", False, "fim"),
        ("auto", "qwen", True, "fim"),
        ("auto", "none", False, "greedy"),
        ("auto", "none", True, "rerank"),
        ("greedy", "none", True, "greedy"),
        ("greedy", "qwen", False, "greedy"),
        ("rerank", "none", False, "rerank"),
        ("rerank", "starcoder", False, "rerank"),
        ("fim", "qwen", False, "fim"),
        ("fim", "none", False, "greedy"),  # no FIM tokens: what auto would choose
        ("fim", "none", True, "rerank"),
    ],
)
def test_choose(setting: str, family: str, explicit: bool, expected: str) -> None:
    assert choose(setting, family, explicit=explicit) == expected


def test_plans() -> None:
    rerank = plan("rerank")
    assert rerank.n_candidates == 1 + RERANK_SAMPLES
    assert (rerank.temperature, rerank.top_p) == (0.8, 0.95)
    assert rerank.score_suffix and rerank.mode == "ltr" and rerank.score_lines == SCORE_LINES
    assert plan("rerank", items=9).n_candidates == 9
    greedy = plan("greedy")
    assert (greedy.n_candidates, greedy.temperature, greedy.score_suffix) == (1, 0.0, False)
    assert greedy.mode == "ltr"
    several = plan("greedy", items=3)
    assert (several.n_candidates, several.temperature) == (3, 0.8)
    assert plan("fim").mode == "auto" and plan("fim").n_candidates == 1


def test_rerank_orders_by_total_log_probability() -> None:
    candidates = [
        cand("greedy", logprob=-1.0, suffix=-9.0),  # total -10
        cand("fits", logprob=-3.0, suffix=-2.0),  # total -5: best
        cand("unscored", logprob=-0.1, suffix=None),  # scoring was cancelled: last
        cand("cancelled", logprob=0.0, suffix=0.0, finish="cancelled"),  # dropped
        cand("middle", logprob=-4.0, suffix=-4.0),  # total -8
    ]
    ranked = [c.text for c in rank(candidates, "rerank", multiline=False)]
    assert ranked == ["fits", "middle", "greedy", "unscored"]


def test_rerank_ties_keep_generation_order() -> None:
    candidates = [cand("a", -1.0, -1.0), cand("b", -1.5, -0.5), cand("c", -0.5, -1.5)]
    assert [c.text for c in rank(candidates, "rerank", multiline=True)] == ["a", "b", "c"]


def test_fim_prefers_finished_candidates_then_likelihood() -> None:
    candidates = [
        cand("cut off", logprob=-0.5, finish="length"),
        cand("eot unlikely", logprob=-6.0, finish="eos", eot=True),
        cand("eot likely", logprob=-2.0, finish="eos", eot=True),
    ]
    ranked = [c.text for c in rank(candidates, "fim", multiline=True)]
    assert ranked == ["eot likely", "eot unlikely", "cut off"]


def test_a_line_cut_is_finished_only_for_single_line() -> None:
    line = cand("x", finish="lines")
    assert finished(line, multiline=False)
    assert not finished(line, multiline=True)
    assert not finished(cand("x", finish="deadline"), multiline=False)


def test_greedy_keeps_the_greedy_candidate_first() -> None:
    candidates = [
        cand("greedy", logprob=-9.0, tokens=3),
        cand("short", logprob=-2.0, tokens=1),  # mean -2
        cand("long", logprob=-3.0, tokens=6),  # mean -0.5
    ]
    assert [c.text for c in rank(candidates, "greedy", multiline=False)] == [
        "greedy",
        "long",
        "short",
    ]


# -- the engine with a scripted backend ---------------------------------------------------------


class ScriptedBackend:
    """Answers every request with the scripted candidates and records the requests."""

    def __init__(self, family: str, candidates: list[Candidate]) -> None:
        self.family = family
        self.candidates = candidates
        self.requests: list[InfillRequest] = []

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("scripted", "", self.family, 4096, False, "test")

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        self.requests.append(request)
        return [
            Candidate(c.text, c.finish_reason, c.logprob, c.suffix_logprob, c.ended_with_eot)
            for c in self.candidates[: request.n_candidates]
        ]

    def close(self) -> None:
        pass


CODE = "def area(width, height):\n    return \nprint(area(2, 3))\n"
CURSOR = Cursor(CODE, CODE.index("return ") + len("return "), Path("/p/shapes.py"), "python")


def run_engine(
    backend: ScriptedBackend, settings: Settings, **kwargs: object
) -> tuple[list[str], InfillRequest]:
    worker = ModelWorker(lambda: backend)
    try:
        engine = Engine(worker, settings)
        result = engine.run(backend, CURSOR, CancelToken(), **kwargs)
    finally:
        worker.close()
    return result.items, backend.requests[-1]


SCRIPT = [
    cand("width + height", logprob=-1.0, suffix=-12.0),  # greedy, total -13
    cand("width * height", logprob=-2.0, suffix=-3.0),  # total -5: the rerank winner
    cand("width - height", logprob=-2.5, suffix=-6.0),  # total -8.5
    cand("width * height", logprob=-2.0, suffix=-3.0),  # duplicate text
    cand("0", logprob=-4.0, suffix=-9.0),
]


def test_explicit_request_on_a_left_to_right_model_is_reranked() -> None:
    backend = ScriptedBackend("none", SCRIPT)
    items, request = run_engine(backend, Settings(contextBudget=0), explicit=True)
    assert items == ["width * height"]
    assert request.n_candidates == 1 + RERANK_SAMPLES
    assert request.score_suffix and request.mode == "ltr" and request.score_lines == SCORE_LINES
    assert request.temperature == 0.8


def test_several_items_when_asked_best_first_without_duplicates() -> None:
    backend = ScriptedBackend("none", SCRIPT)
    items, _ = run_engine(backend, Settings(contextBudget=0), explicit=True, n_candidates=3)
    assert items == ["width * height", "width - height", "width + height"]


def test_automatic_request_is_greedy() -> None:
    backend = ScriptedBackend("none", SCRIPT)
    items, request = run_engine(backend, Settings(contextBudget=0))
    assert items == ["width + height"]
    assert (request.n_candidates, request.temperature, request.score_suffix) == (1, 0.0, False)


def test_strategy_setting_and_override() -> None:
    backend = ScriptedBackend("none", SCRIPT)
    settings = Settings(contextBudget=0).merged({"strategy": "rerank"})
    items, request = run_engine(backend, settings)
    assert items == ["width * height"] and request.score_suffix
    items, request = run_engine(backend, settings, explicit=True, strategy="greedy")
    assert items == ["width + height"] and request.n_candidates == 1


def test_fim_model_uses_native_fim() -> None:
    backend = ScriptedBackend("qwen", SCRIPT)
    _, request = run_engine(backend, Settings(contextBudget=0), explicit=True)
    assert request.mode == "auto" and not request.score_suffix and request.n_candidates == 1


def test_strategy_setting_is_validated() -> None:
    assert Settings().strategy == "auto"
    assert Settings().merged({"strategy": "rerank"}).strategy == "rerank"
    assert Settings().merged({"strategy": "beam"}).strategy == "auto"


def test_raw_skips_post_processing() -> None:
    """The benchmarks' plain baseline: the model's text as written, where post-processing would
    trim the overlap with the suffix (here the repeated `)`)."""
    code = "print(area())\n"
    cursor = Cursor(code, len("print(area("), Path("/p/shapes.py"), "python")
    backend = ScriptedBackend("none", [cand("2, 3))", logprob=-1.0)])
    worker = ModelWorker(lambda: backend)
    try:
        engine = Engine(worker, Settings(contextBudget=0))
        cooked = engine.run(backend, cursor, CancelToken(), strategy="greedy").items
        raw = engine.run(backend, cursor, CancelToken(), strategy="greedy", raw=True).items
    finally:
        worker.close()
    assert raw == ["2, 3))"]
    assert cooked == ["2, 3"]
