"""Strategy choice, request plans and candidate ranking; the engine with a scripted backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from repofill.lsp.engine import Engine
from repofill.lsp.settings import Settings
from repofill.lsp.strategies import (
    FALLBACK_RANKS,
    RERANK_SAMPLES,
    SCORE_LINES,
    choose,
    fallback_plan,
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


# -- falling back to the next first tokens when post-processing rejects the greedy one ----------


class BranchingBackend(ScriptedBackend):
    """Greedy requests get the scripted candidate; branch requests (`branch_ranks`) get one
    scripted branch per rank."""

    def __init__(self, family: str, greedy: Candidate, branches: dict[int, Candidate]) -> None:
        super().__init__(family, [greedy])
        self.branches = branches

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        if not request.branch_ranks:
            return super().complete(request, cancel)
        self.requests.append(request)
        return [self.branches[r] for r in request.branch_ranks if r in self.branches]


CALL = "def area(width, height):\n    return width * height\n\n\ntotal = \n    2,\n    3,\n)\n"
CALL_CURSOR = Cursor(CALL, CALL.index("total = ") + 8, Path("/p/shapes.py"), "python")
"""The cursor where a call's first line lost its rest (`area(`): its arguments follow on the next
lines, so a whole statement there (`print("debug")`) breaks the code and post-processing
rejects it."""


def run_branching(backend: BranchingBackend, **kwargs: object) -> list[str]:
    """The items of one engine run; asserts its `fallback` flag says whether branches were
    asked for."""
    worker = ModelWorker(lambda: backend)
    try:
        engine = Engine(worker, Settings(contextBudget=0))
        result = engine.run(backend, CALL_CURSOR, CancelToken(), **kwargs)
    finally:
        worker.close()
    assert result.fallback == bool(backend.requests[-1].branch_ranks)
    return result.items


@pytest.mark.parametrize("family", ["none", "qwen"])
def test_a_rejected_greedy_candidate_falls_back_to_the_next_first_tokens(family: str) -> None:
    backend = BranchingBackend(
        family,
        cand('print("debug")'),
        {1: cand("area"), 2: cand("area("), 3: cand("never asked")},
    )
    items = run_branching(backend)
    assert [r.branch_ranks for r in backend.requests] == [(), FALLBACK_RANKS]
    assert FALLBACK_RANKS == (1, 2)
    # rank 1 breaks the code as well; rank 2 is the first that survives post-processing
    assert items == ["area("]


def test_a_kept_greedy_candidate_asks_for_nothing_more() -> None:
    backend = BranchingBackend("none", cand("area("), {1: cand("size(")})
    assert run_branching(backend) == ["area("]
    assert len(backend.requests) == 1


def test_no_fallback_when_the_model_wrote_nothing_or_ran_out_of_time() -> None:
    for greedy in (cand("  "), cand('print("debug")', finish="deadline")):
        backend = BranchingBackend("none", greedy, {1: cand("size(")})
        assert run_branching(backend) == []
        assert len(backend.requests) == 1


def test_no_fallback_for_the_rerank_or_raw_requests() -> None:
    backend = BranchingBackend("none", cand('print("debug")'), {1: cand("size(")})
    assert run_branching(backend, strategy="rerank") == []
    assert run_branching(backend, raw=True) == ['print("debug")']
    assert all(not r.branch_ranks for r in backend.requests)


def test_fallback_plan_is_for_single_greedy_strategies_only() -> None:
    greedy = fallback_plan("greedy")
    assert greedy is not None and greedy.branch_ranks == FALLBACK_RANKS
    assert greedy.temperature == 0.0 and greedy.mode == "ltr"
    fim = fallback_plan("fim")
    assert fim is not None and fim.mode == "auto"
    assert fallback_plan("rerank") is None and fallback_plan("hole") is None


class RecordingRetriever:
    """Records how the engine asks for context."""

    generation = 0
    root = Path("/p")

    def __init__(self) -> None:
        self.shows_suffix: list[bool] = []

    def select(self, cursor: Cursor, count_tokens: object, budget: int, *, shows_suffix: bool):
        self.shows_suffix.append(shows_suffix)
        from repofill.retrieval.types import Context

        return Context(budget=budget)


@pytest.mark.parametrize(
    ("family", "strategy", "shown"),
    [
        ("none", "auto", False),  # left-to-right: the prompt ends at the cursor
        ("qwen", "auto", True),  # native FIM shows the suffix
        ("qwen", "fim", True),
        ("qwen", "greedy", False),
        ("qwen", "rerank", False),
    ],
)
def test_context_is_told_whether_the_prompt_shows_the_suffix(
    family: str, strategy: str, shown: bool
) -> None:
    backend = ScriptedBackend(family, [cand("width")])
    retriever = RecordingRetriever()
    worker = ModelWorker(lambda: backend)
    try:
        settings = Settings().merged({"strategy": strategy})
        engine = Engine(worker, settings, retriever)  # type: ignore[arg-type]
        engine.run(backend, CURSOR, CancelToken())
    finally:
        worker.close()
    assert retriever.shows_suffix == [shown]


def test_the_fallback_adds_its_work_but_not_its_prompt_reuse() -> None:
    """The branches re-read the cached prompt: their tokens and time count, and the request's
    prompt reuse stays its first call's (once it was added again, over 100% of the prompt)."""

    class Timed(BranchingBackend):
        def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
            out = super().complete(request, cancel)
            reused = 100 if request.branch_ranks else 60
            for c in out:
                c.timings = Timings(prompt_tokens=100, reused_tokens=reused, generated_tokens=4)
            return out

    backend = Timed("none", cand('print("debug")'), {1: cand("area"), 2: cand("area(")})
    worker = ModelWorker(lambda: backend)
    try:
        result = Engine(worker, Settings(contextBudget=0)).run(backend, CALL_CURSOR, CancelToken())
    finally:
        worker.close()
    assert result.items == ["area("] and result.fallback
    assert result.timings.prompt_tokens == 100 and result.timings.reused_tokens == 60
    assert result.timings.generated_tokens == 3 * 4
