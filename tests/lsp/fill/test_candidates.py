"""The fill-hole feature: locating, checking, ranking and verifying candidates.

The model is replaced by a scripted backend (the real model runs in tests/e2e/test_fill_hole.py);
the worker, engine, post-processing, tree-sitter checks and test runs are the real ones.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path

import pytest
from repofill.lsp.engine import Engine
from repofill.lsp.fill.action import fill
from repofill.lsp.fill.candidates import (
    FillCandidate,
    FillOptions,
    FillTarget,
    drop_code_below,
    parses,
    passed_first,
    stop_strings,
)
from repofill.lsp.fill.verify import TestPlan, Verdict, plan_tests, run_tests
from repofill.lsp.settings import Settings
from repofill.lsp.strategies import hole_finished, hole_score, rank
from repofill.models.types import (
    CancelToken,
    Candidate,
    FinishReason,
    InfillRequest,
    ModelInfo,
    Timings,
)
from repofill.models.worker import ModelWorker

SOURCE = '''def add(a, b):
    """Sum of two numbers.

    >>> add(2, 3)
    5
    """
    pass


def other():
    return 1
'''


class ScriptedBackend:
    """Answers every request with the same candidates; remembers the requests."""

    def __init__(
        self, outputs: list[tuple[str, float, FinishReason]], delay_s: float = 0.0
    ) -> None:
        self.outputs = outputs
        self.delay_s = delay_s
        self.requests: list[InfillRequest] = []

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("scripted", "", "none", 2048, False, "test")

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        self.requests.append(request)
        out: list[Candidate] = []
        for text, logprob, finish in self.outputs[: request.n_candidates]:
            deadline = time.monotonic() + self.delay_s
            while time.monotonic() < deadline:
                if cancel.cancelled:
                    return [*out, Candidate("", "cancelled")]
                time.sleep(0.01)
            tokens = max(1, len(text.split()))
            out.append(
                Candidate(
                    text, finish, logprob, None, finish == "eos", Timings(generated_tokens=tokens)
                )
            )
        return out

    def close(self) -> None:
        pass


def _engine(backend: ScriptedBackend) -> Engine:
    return Engine(ModelWorker(lambda: backend), Settings(contextBudget=0))


def _target(tmp_path: Path, text: str = SOURCE, at: str = "pass") -> FillTarget:
    path = tmp_path / "calc.py"
    path.write_text(text)
    offset = text.index(at)
    return FillTarget(text, path, "python", offset, offset, tmp_path)


async def test_best_candidate_replaces_exactly_the_hole_and_parses(tmp_path: Path) -> None:
    backend = ScriptedBackend(
        [
            ("return a +", -0.1, "length"),  # does not parse: dropped
            ("return a + b", -2.0, "eos"),
            ("return b + a\n\n\ndef other():", -0.5, "lines"),  # cut at the next def: ended
        ]
    )
    target = _target(tmp_path)
    result = await fill(_engine(backend), target, FillOptions(candidates=3))
    assert result.status == "ok" and result.hole is not None
    assert [c.text for c in result.candidates] == ["return b + a", "return a + b"]
    # post-processing's local syntax check or the whole-file parse check drops it
    assert sum(result.dropped.values()) == 1 and set(result.dropped) <= {"parse", "postprocess"}
    best = result.candidates[0]
    filled = best.filled(target, result.hole)
    assert filled == SOURCE.replace("    pass\n", "    return b + a\n")
    assert parses(filled, "python")
    request = backend.requests[0]
    assert request.n_candidates == 3 and request.temperature > 0 and request.deadline is None
    assert request.score_suffix, "a left-to-right model scores the text after the hole"


async def test_no_valid_candidate_changes_nothing(tmp_path: Path) -> None:
    backend = ScriptedBackend([("return (a +", -0.1, "length"), ("   ", -0.1, "eos")])
    result = await fill(_engine(backend), _target(tmp_path), FillOptions(candidates=2))
    assert result.status == "no-candidate" and not result.candidates
    assert "nothing was changed" in result.message
    assert sum(result.dropped.values()) == 2


async def test_no_hole_and_unparsable_file_never_reach_the_model(tmp_path: Path) -> None:
    backend = ScriptedBackend([("return 1", -0.1, "eos")])
    engine = _engine(backend)
    result = await fill(engine, _target(tmp_path, at="return 1"), FillOptions())
    assert result.status == "no-hole"
    broken = SOURCE + "\ndef broken(:\n    pass\n"
    result = await fill(engine, _target(tmp_path, broken), FillOptions())
    assert result.status == "unparsable" and "line 13" in result.message
    assert backend.requests == []


async def test_cancelling_the_task_stops_generation(tmp_path: Path) -> None:
    backend = ScriptedBackend([("return a + b", -0.1, "eos")] * 4, delay_s=0.5)
    cancel = CancelToken()
    task = asyncio.create_task(
        fill(_engine(backend), _target(tmp_path), FillOptions(candidates=4), cancel=cancel)
    )
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancel.cancelled


async def test_cancel_token_ends_cleanly(tmp_path: Path) -> None:
    backend = ScriptedBackend([("return a + b", -0.1, "eos")] * 4, delay_s=0.3)
    cancel = CancelToken()
    threading.Timer(0.2, cancel.cancel).start()
    result = await fill(
        _engine(backend), _target(tmp_path), FillOptions(candidates=4), cancel=cancel
    )
    assert result.status == "cancelled" and not result.candidates


def _raw(text: str, logprob: float, finish: FinishReason) -> Candidate:
    return Candidate(text, finish, logprob, None, False, Timings(generated_tokens=1))


def test_rank_prefers_passed_then_ended_then_score() -> None:
    raws = [
        _raw("a", -0.1, "length"),
        _raw("b", -0.9, "eos"),
        _raw("c", -0.5, "length"),  # cut by post-processing where it ran past the hole: ended
        _raw("d", -3.0, "length"),
    ]
    cut = [False, False, True, False]
    ranked = rank(raws, "hole", multiline=True, cut=cut)
    fills = {
        r.text: FillCandidate(r.text, hole_score(r, 0), hole_finished(r, cut=cut[i]))
        for i, r in enumerate(raws)
    }
    fills["d"].verdict = "passed"
    assert [x.text for x in passed_first([fills[r.text] for r in ranked])] == ["d", "c", "b", "a"]
    assert [c.text for c in ranked] == ["c", "b", "a", "d"]
    assert [fills[t].ended for t in "abcd"] == [False, True, True, False]


def test_hole_score_is_per_token_plus_the_scored_suffix_per_token() -> None:
    raw = Candidate("x", "eos", -4.0, -6.0, True, Timings(generated_tokens=2))
    assert hole_score(raw, 3) == -2.0 + -2.0
    assert hole_score(raw, 0) == -2.0, "an unscored suffix adds nothing"
    assert hole_score(raw, 1000) == -2.0 + -6.0 / 64, "at most 64 suffix tokens were scored"


def test_parses_per_language() -> None:
    assert parses("fn f() -> i32 {\n    1 + 2\n}\n", "rust")
    assert not parses("fn f() -> i32 {\n    1 +\n}\n", "rust")
    assert not parses("class A { void f() { int x = } }", "java")
    assert parses("anything at all", "plaintext")


# -- markers inside expressions ------------------------------------------------------------------

PERIMETER = """import math


def circle(radius):
    area = math.pi * radius ** 2
    perim = <FILL>
    return area, perim
"""


async def test_marker_inside_an_expression_is_a_hole_not_a_syntax_error(tmp_path: Path) -> None:
    backend = ScriptedBackend([("2 * math.pi * radius", -0.1, "eos")])
    target = _target(tmp_path, PERIMETER, at="<FILL>")
    result = await fill(_engine(backend), target, FillOptions(candidates=1))
    assert result.status == "ok", result.message
    assert result.hole is not None
    assert result.candidates[0].filled(target, result.hole) == PERIMETER.replace(
        "<FILL>", "2 * math.pi * radius"
    )


async def test_marker_hole_still_refuses_a_real_error_elsewhere(tmp_path: Path) -> None:
    broken = PERIMETER + "\n\ndef broken(:\n    pass\n"
    backend = ScriptedBackend([("1", -0.1, "eos")])
    result = await fill(_engine(backend), _target(tmp_path, broken, at="<FILL>"), FillOptions())
    assert result.status == "unparsable" and "line 10" in result.message, result.message
    assert backend.requests == []


async def test_a_candidate_must_parse_with_the_text_after_the_hole(tmp_path: Path) -> None:
    text = "def total(nums):\n    return <FILL>x\n"
    backend = ScriptedBackend(
        [
            ("sum(x for x in nums)", -0.1, "eos"),  # tree-sitter accepts `...)x`; Python does not
            ("sum(nums) + ", -0.5, "eos"),
        ]
    )
    target = _target(tmp_path, text, at="<FILL>")
    result = await fill(_engine(backend), target, FillOptions(candidates=2))
    assert [c.text for c in result.candidates] == ["sum(nums) +"]
    # Post-processing's Python check (compiling the changed block) drops it before the parse gate,
    # which test_parses_uses_pythons_own_parser covers on its own.
    assert result.dropped == {"postprocess": 1}


def test_parses_uses_pythons_own_parser() -> None:
    assert not parses("def f(nums):\n    return sum(x for x in nums)x\n", "python")
    assert parses("def f(nums):\n    return sum(x for x in nums)\n", "python")


async def test_fill_above_existing_code_does_not_write_it_again(tmp_path: Path) -> None:
    text = (
        "def scale(r):\n    x = <FILL>\n    y = x * 2\n    return y\n\n\n"
        "def other():\n    return 1\n"
    )
    backend = ScriptedBackend(
        [
            ("r * r\n    y = x * 2\n    return y", -0.1, "eos"),
            ("r + r\n    z = 0\n    return y", -0.2, "eos"),
            ("\n    y = x * 2\n    print(y)", -0.3, "eos"),  # nothing before the repeat
        ]
    )
    target = _target(tmp_path, text, at="<FILL>")
    result = await fill(_engine(backend), target, FillOptions(candidates=3))
    assert [c.text for c in result.candidates] == ["r * r", "r + r\n    z = 0"]
    # The third is all repeat: post-processing's drop_repetition empties it before fill-hole's
    # own cut (drop_code_below, tested on its own below) sees it.
    assert result.dropped == {"postprocess": 1}


def test_code_below_means_the_rest_of_the_holes_block() -> None:
    prefix = "def total(prices):\n    result = 0\n"  # a whole-line hole (TODO comment)
    suffix = "\n    return result\n\n\ndef other(xs):\n    for x in xs:\n        print(x)\n"
    body = "    for x in prices:\n        print(x)\n        result += x\n    return result"
    # `print(x)` is in another function: kept; `return result` is below in this block: cut
    assert drop_code_below(body, prefix, suffix) == body.rsplit("\n", 1)[0]


# -- verified mode ------------------------------------------------------------------------------


class FakeRunner:
    """Passes the candidates whose file contains one of `passing`."""

    def __init__(self, passing: tuple[str, ...], status: str = "failed") -> None:
        self.passing = passing
        self.status = status
        self.files: list[str] = []

    def __call__(self, plan: TestPlan, filled: str, timeout_s: float, cancelled: object) -> Verdict:
        self.files.append(filled)
        ok = any(p in filled for p in self.passing)
        return Verdict("passed" if ok else self.status)


async def test_verified_mode_prefers_the_candidate_that_passes(tmp_path: Path) -> None:
    backend = ScriptedBackend(
        [
            ("return a - b", -0.1, "eos"),
            ("return a * b", -0.2, "eos"),
            ("return a + b", -3.0, "eos"),
        ]
    )
    runner = FakeRunner(("a + b",))
    result = await fill(
        _engine(backend), _target(tmp_path), FillOptions(candidates=3, verify=True), runner=runner
    )
    assert result.status == "ok"
    assert result.candidates[0].text == "return a + b"
    assert result.candidates[0].verdict == "passed"
    assert [c.verdict for c in result.rejected] == ["failed", "failed"]
    assert len(runner.files) == 3


async def test_verified_mode_with_every_candidate_failing_writes_nothing(tmp_path: Path) -> None:
    backend = ScriptedBackend([("return a - b", -0.1, "eos"), ("return 0", -0.2, "eos")])
    runner = FakeRunner((), status="timeout")
    result = await fill(
        _engine(backend), _target(tmp_path), FillOptions(candidates=2, verify=True), runner=runner
    )
    assert result.status == "failed-tests" and not result.candidates and result.best is None
    assert "2 timeout" in result.message


async def test_verified_mode_without_tests_keeps_the_model_ranking(tmp_path: Path) -> None:
    text = SOURCE.replace("    >>> add(2, 3)\n    5\n", "")
    backend = ScriptedBackend([("return a - b", -0.1, "eos"), ("return a + b", -0.2, "eos")])
    runner = FakeRunner(("a + b",))
    result = await fill(
        _engine(backend),
        _target(tmp_path, text),
        FillOptions(candidates=2, verify=True),
        runner=runner,
    )
    assert result.status == "ok" and result.candidates[0].text == "return a - b"
    assert "no tests exercise add" in result.message and runner.files == []


# -- the real test runner -----------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _never() -> bool:
    return False


def test_doctests_pass_and_fail_in_a_copy(tmp_path: Path) -> None:
    target = _target(tmp_path)
    before = _snapshot(tmp_path)
    plan = plan_tests(tmp_path, target.path, target.text, ("add",), "python")
    assert plan is not None and plan.doctest and plan.qualnames == ("add",)
    good = run_tests(plan, SOURCE.replace("pass", "return a + b"), 10, _never)
    bad = run_tests(plan, SOURCE.replace("pass", "return a - b"), 10, _never)
    assert (good.status, bad.status) == ("passed", "failed")
    assert _snapshot(tmp_path) == before, "the user's files were touched"


def test_pytest_files_that_use_the_function(tmp_path: Path) -> None:
    target = _target(tmp_path, SOURCE.replace("    >>> add(2, 3)\n    5\n", ""))
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_calc.py").write_text(
        "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    (tests / "test_unrelated.py").write_text("def test_x():\n    assert False\n")
    plan = plan_tests(tmp_path, target.path, target.text, ("add",), "python")
    assert plan is not None and plan.test_files == ("tests/test_calc.py",) and not plan.doctest
    assert (
        run_tests(plan, target.text.replace("pass", "return a + b"), 30, _never).status == "passed"
    )
    assert run_tests(plan, target.text.replace("pass", "return a"), 30, _never).status == "failed"


def test_a_hanging_test_is_killed_at_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    marker = tmp_path / "still-running"
    hang = SOURCE.replace(
        "pass",
        "import time, pathlib\n"
        "    time.sleep(1.5)\n"
        f"    pathlib.Path({str(marker)!r}).write_text('x')\n"
        "    while True: pass",
    )
    target = _target(tmp_path)
    plan = plan_tests(tmp_path, target.path, target.text, ("add",), "python")
    assert plan is not None
    started = time.monotonic()
    verdict = run_tests(plan, hang, 0.5, _never)
    assert verdict.status == "timeout" and time.monotonic() - started < 5
    time.sleep(1.5)
    assert not marker.exists(), "the test process outlived its timeout"
    assert list(scratch.iterdir()) == [], "the temporary copy was left behind"


def test_cancel_stops_a_test_run(tmp_path: Path) -> None:
    target = _target(tmp_path)
    plan = plan_tests(tmp_path, target.path, target.text, ("add",), "python")
    assert plan is not None
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    verdict = run_tests(plan, SOURCE.replace("pass", "while True: pass"), 30, stop.is_set)
    assert verdict.status == "cancelled" and time.monotonic() - started < 5


def test_no_plan_without_tests_or_outside_python(tmp_path: Path) -> None:
    text = SOURCE.replace("    >>> add(2, 3)\n    5\n", "")
    target = _target(tmp_path, text)
    assert plan_tests(tmp_path, target.path, text, ("add",), "python") is None
    assert plan_tests(tmp_path, target.path, SOURCE, ("add",), "rust") is None


def test_stop_strings_end_generation_where_the_block_ends() -> None:
    py = "class A:\n    def f(self):\n        \n"
    stops = stop_strings(py, py.index("        \n") + 8, "python")
    assert "\n    def " in stops and "\nclass " in stops and "\n        def " not in stops
    go = "func Min(a int) int {\n\t\n}\n"
    assert stop_strings(go, go.index("\t\n") + 1, "go") == ("\n}",)
    java = "class A {\n    int f() {\n        \n    }\n}\n"
    assert stop_strings(java, java.index("        \n") + 8, "java") == ("\n    }",)


async def test_the_hole_plan_sets_budget_stops_and_no_deadline(tmp_path: Path) -> None:
    backend = ScriptedBackend([("return a + b", -0.1, "eos")])
    engine = Engine(ModelWorker(lambda: backend), Settings(contextBudget=0, deadlineMs=500))
    result = await fill(engine, _target(tmp_path), FillOptions(candidates=1, max_tokens=77))
    assert result.status == "ok"
    request = backend.requests[0]
    assert request.deadline is None, "an explicit action is bounded by its budget, not deadlineMs"
    assert request.max_tokens == 77 and request.n_candidates == 1 and request.temperature == 0.0
    assert "\ndef " in request.stop, "a left-to-right model stops where the hole's block ends"
