"""Fill this hole, the whole action: locate, generate, check and rank (candidates.py), then
step 5, verify (setting): run the tests that exercise the function against each candidate in a
temporary copy of the project (verify.py); those that fail or time out are dropped, the one that
passes goes first.

Nothing here writes to the user's files; the caller turns the best candidate into an edit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from repofill.models.types import CancelToken, ModelError
from repofill.models.worker import JobSkipped

from ..engine import Engine
from .candidates import (
    FillCandidate,
    FillOptions,
    FillResult,
    FillTarget,
    Generated,
    check,
    count_dropped,
    generate,
    hole_cursor,
    locate,
    passed_first,
)
from .holes import Hole
from .verify import Runner, TestPlan, plan_tests, run_tests

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int], None]
"""(message, percentage) for the editor's progress bar."""


# -- 5. verify ----------------------------------------------------------------------------------


def test_plan(target: FillTarget, hole: Hole) -> TestPlan | None:
    root = target.root or target.path.parent
    return plan_tests(root, target.path, target.text, hole.function, target.language)


async def verify(
    target: FillTarget,
    hole: Hole,
    result: FillResult,
    plan: TestPlan,
    options: FillOptions,
    cancel: CancelToken,
    progress: ProgressFn,
    runner: Runner = run_tests,
) -> FillResult:
    """Test candidates best first until one passes; drop those that fail or time out."""
    survivors: list[FillCandidate] = []
    rejected: list[FillCandidate] = list(result.rejected)
    found = False
    total = len(result.candidates)
    for i, candidate in enumerate(result.candidates):
        if found:
            survivors.append(candidate)  # not run: the best one already passed
            continue
        progress(f"testing candidate {i + 1}/{total} ({plan.describe()})", 50 + 45 * i // total)
        filled = candidate.filled(target, hole)
        verdict = await asyncio.to_thread(
            runner, plan, filled, options.verify_timeout_s, lambda: cancel.cancelled
        )
        if cancel.cancelled:
            return FillResult("cancelled", "cancelled", hole, generated=result.generated)
        candidate.verdict = verdict.status
        log.info("candidate %d: tests %s in %.1f s", i + 1, verdict.status, verdict.seconds)
        if verdict.status in ("passed", "no-tests"):
            survivors.append(candidate)
            found = found or verdict.status == "passed"
        else:
            rejected.append(candidate)
            count_dropped(result.dropped, "tests")
    return _verified(result, hole, survivors, rejected)


def _verified(
    result: FillResult, hole: Hole, survivors: list[FillCandidate], rejected: list[FillCandidate]
) -> FillResult:
    """The verified result: the survivors (the passing one first), or `failed-tests`."""
    if survivors:
        return FillResult(
            "ok",
            result.message,
            hole,
            passed_first(survivors),
            rejected,
            result.dropped,
            result.generated,
        )
    counts: dict[str, int] = {}
    for c in rejected:
        count_dropped(counts, c.verdict)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    message = f"no candidate passed the tests ({summary}); nothing was changed"
    return FillResult("failed-tests", message, hole, [], rejected, result.dropped, result.generated)


# -- all together -------------------------------------------------------------------------------


async def fill(
    engine: Engine,
    target: FillTarget,
    options: FillOptions,
    *,
    hole: Hole | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
    runner: Runner = run_tests,
) -> FillResult:
    """The whole action for one request. `hole`: the hole `locate` already found for `target`
    (None: locate it here). Cancelling the task or the token ends it cleanly."""
    started = time.monotonic()
    cancel = cancel or CancelToken()
    report = progress or (lambda message, percentage: None)
    located = hole or locate(target)
    if isinstance(located, FillResult):
        return located
    hole = located
    n = max(1, options.candidates)
    report(f"generating {n} candidate{'s' if n > 1 else ''}", 0)
    generated = await _generate(engine, target, hole, options, cancel)
    if isinstance(generated, FillResult):
        return generated
    report("checking candidates", 50)
    result = await _checked(target, hole, generated, options, cancel, report, runner)
    result.seconds = time.monotonic() - started
    _log(target, result)
    return result


async def _generate(
    engine: Engine, target: FillTarget, hole: Hole, options: FillOptions, cancel: CancelToken
) -> Generated | FillResult:
    """The model's candidates, or the result that says why there are none."""
    cursor = hole_cursor(target, hole)
    future = engine.worker.submit(
        lambda backend: generate(engine, backend, cursor, options, cancel), cancel
    )
    try:
        generated = await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        cancel.cancel("cancelled")
        raise
    except JobSkipped:
        return FillResult("cancelled", "cancelled", hole)
    except ModelError as exc:
        return FillResult("error", str(exc), hole)
    if cancel.cancelled:
        return FillResult("cancelled", "cancelled", hole)
    return generated


async def _checked(
    target: FillTarget,
    hole: Hole,
    generated: Generated,
    options: FillOptions,
    cancel: CancelToken,
    report: ProgressFn,
    runner: Runner,
) -> FillResult:
    """Steps 3-5 on the model's candidates."""
    candidates, dropped = check(target, hole, generated, options)
    result = FillResult("ok", "", hole, candidates, [], dropped, len(generated.candidates))
    if not candidates:
        result.status = "no-candidate"
        result.message = (
            f"none of the {result.generated} candidates fits the hole "
            f"({_describe(dropped)}); nothing was changed"
        )
    elif options.verify:
        plan = test_plan(target, hole)
        if plan is None:
            name = ".".join(hole.function) or "this code"
            result.message = f"no tests exercise {name}; the candidates are not verified"
        else:
            result = await verify(target, hole, result, plan, options, cancel, report, runner)
    return result


def _log(target: FillTarget, result: FillResult) -> None:
    log.info(
        "fill %s: %s, %d of %d candidates kept (%s) in %.1f s",
        target.path.name,
        result.status,
        len(result.candidates),
        result.generated,
        _describe(result.dropped) or "none dropped",
        result.seconds,
    )


def _describe(dropped: dict[str, int]) -> str:
    words = {
        "postprocess": "empty after clean-up",
        "parse": "do not parse",
        "duplicate": "duplicates",
        "repeats": "repeat the code below",
        "tests": "failed tests",
    }
    return ", ".join(f"{n} {words.get(reason, reason)}" for reason, n in dropped.items())
