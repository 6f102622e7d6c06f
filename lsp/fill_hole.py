"""Fill this hole: candidates for a hole, checked, ranked and (optionally) tested.

Steps, each a small function so the benchmark and the tests can drive them one by one:

1. `locate`: find the hole (holes.py) and refuse a file that does not parse away from it.
2. `generate` (on the model worker): several multi-line candidates with repository context; the
   first greedy, the rest sampled. A left-to-right model also scores the text after the hole.
3. `check`: post-processing (multi-line), then the file with the candidate in place must parse
   (no tree-sitter ERROR or MISSING node anywhere).
4. `rank`: candidates that ended on their own first (end of text, or the post-processing cut
   them where they ran past the hole; FIM paper), then by length-normalised log-likelihood
   (plus the suffix's log-likelihood per token for left-to-right models; InCoder rerank).
5. `verify` (setting): run the tests that exercise the function against each candidate in a
   temporary copy of the project (verify.py); those that fail or time out are dropped, those
   that pass go first.

Nothing here writes to the user's files; the caller turns the best candidate into an edit.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from repofill.models.types import Backend, CancelToken, Candidate, ModelError
from repofill.models.worker import JobSkipped
from repofill.retrieval.types import Cursor

from .engine import HOLE_MAX_LINES, Engine
from .holes import Hole, error_outside, find_hole, placeholders, python_compiles, syntax_errors
from .postprocess import Outcome, PostContext, explain
from .verify import Runner, TestPlan, plan_tests, run_tests

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int], None]
"""(message, percentage) for the editor's progress bar."""

# Filters that cut a candidate where it ran past the hole: the model had finished the hole.
_ENDING_FILTERS = frozenset({"limit_scope", "trim_suffix_overlap", "drop_repetition"})
SAMPLE_TEMPERATURE = 0.8


@dataclass(frozen=True)
class FillOptions:
    candidates: int = 4
    verify: bool = False
    verify_timeout_s: float = 10.0
    max_lines: int = HOLE_MAX_LINES
    max_tokens: int = 256


@dataclass(frozen=True)
class FillTarget:
    """The document and where the user asked for a fill (character offsets)."""

    text: str
    path: Path
    language: str
    start: int
    end: int
    root: Path | None = None


@dataclass
class FillCandidate:
    text: str
    """Replaces the hole exactly (the hole's `lead` and `trail` included)."""
    score: float
    ended: bool
    verdict: str = ""
    """Verified mode: `passed`, `failed`, `timeout`, `error`, `no-tests`; "" when not run."""

    def filled(self, target: FillTarget, hole: Hole) -> str:
        return target.text[: hole.start] + self.text + target.text[hole.end :]


@dataclass
class FillResult:
    status: str
    """`ok`, `no-hole`, `unparsable`, `no-candidate`, `failed-tests`, `cancelled`, `error`."""
    message: str = ""
    hole: Hole | None = None
    candidates: list[FillCandidate] = field(default_factory=list)
    """Valid candidates, best first."""
    rejected: list[FillCandidate] = field(default_factory=list)
    """Candidates that parse but failed their tests (verified mode)."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Why the other model outputs were dropped: `postprocess`, `parse`, `duplicate`, `tests`."""
    generated: int = 0
    seconds: float = 0.0

    @property
    def best(self) -> FillCandidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class Generated:
    candidates: list[Candidate]
    suffix_tokens: int


# -- 1. locate ----------------------------------------------------------------------------------


def locate(target: FillTarget) -> tuple[Hole | None, FillResult | None]:
    """The hole, or the result that explains why there is nothing to fill."""
    hole = find_hole(target.text, target.start, target.end, target.language)
    if hole is None:
        return None, FillResult(
            "no-hole",
            "no hole at the cursor: select code, write <FILL>, or put the cursor in a function "
            "whose body is a placeholder",
        )
    line = error_outside(target.text, hole, target.language)
    if line is not None:
        return hole, FillResult(
            "unparsable",
            f"the file does not parse (syntax error at line {line + 1}); fix it first",
            hole,
        )
    return hole, None


def hole_cursor(target: FillTarget, hole: Hole) -> Cursor:
    """The document as the model sees it: the hole removed, its lead/trail in place."""
    prefix = target.text[: hole.start] + hole.lead
    suffix = hole.trail + target.text[hole.end :]
    return Cursor(prefix + suffix, len(prefix), target.path, target.language)


# -- 2. generate --------------------------------------------------------------------------------


def generate(
    engine: Engine, backend: Backend, cursor: Cursor, options: FillOptions, cancel: CancelToken
) -> Generated:
    """Candidates from the model; runs on the model worker's thread."""
    context = engine.select_context(cursor, backend)
    n = max(1, options.candidates)
    request = engine.build_request(
        cursor, context, multiline=True, max_lines=options.max_lines, n_candidates=n
    )
    left_to_right = backend.info.family == "none"
    request = replace(
        request,
        deadline=None,  # an explicit action: bounded by max_tokens and cancellable instead
        max_tokens=options.max_tokens,
        temperature=SAMPLE_TEMPERATURE if n > 1 else 0.0,
        score_suffix=left_to_right and bool(cursor.suffix.strip()),
        stop=(*request.stop, *stop_strings(cursor.text, cursor.offset, cursor.language)),
    )
    candidates = backend.complete(request, cancel)
    suffix_tokens = backend.count_tokens(cursor.suffix) if request.score_suffix else 0
    return Generated(candidates, min(suffix_tokens, _SCORED_SUFFIX_TOKENS))


_SCORED_SUFFIX_TOKENS = 64  # the llama backend scores at most this many suffix tokens
_PY_BLOCKS = ("def ", "class ", "async def ", "@")


def stop_strings(text: str, offset: int, language: str) -> tuple[str, ...]:
    """Where a left-to-right model has left the hole's block: stop generating there.

    Python: a new definition at a shallower indentation than the hole's line. Braced languages:
    the closing brace of the block around the hole (the first later line that starts with `}`).
    """
    line_start = text.rfind("\n", 0, offset) + 1
    line = text[line_start:offset]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    if language == "python":
        unit = "\t" if indent.startswith("\t") else " "
        shallower = [unit * n for n in range(0, len(indent), 4 if unit == " " else 1)]
        return tuple("\n" + ind + word for ind in shallower for word in _PY_BLOCKS)
    for rest in text[offset:].split("\n")[1:]:
        stripped = rest.lstrip(" \t")
        if stripped.startswith("}"):
            return ("\n" + rest[: len(rest) - len(stripped)] + "}",)
        if stripped:
            break
    return ()


# -- 3. check and 4. rank -----------------------------------------------------------------------


def check(
    target: FillTarget, hole: Hole, generated: Generated, options: FillOptions
) -> tuple[list[FillCandidate], dict[str, int]]:
    """Post-processed candidates whose file parses, de-duplicated, ranked best first."""
    cursor = hole_cursor(target, hole)
    post = PostContext(
        prefix=cursor.prefix,
        suffix=cursor.suffix,
        language=target.language,
        multiline=True,
        max_lines=options.max_lines,
    )
    dropped: dict[str, int] = {}
    kept: list[FillCandidate] = []
    seen: set[str] = set()
    strict = _strict_parser(target, hole)
    for raw in generated.candidates:
        if raw.finish_reason in ("cancelled", "error"):
            continue
        outcome = explain(raw.text, post.for_finish(raw.finish_reason))
        body = (outcome.text or "").rstrip()
        if body.strip():
            body = drop_code_below(body, cursor.prefix, cursor.suffix)
            if not body.strip():
                _count(dropped, "repeats")
                continue
        if not body.strip():
            _count(dropped, "postprocess")
            continue
        text = hole.lead + body + hole.trail
        if text in seen:
            _count(dropped, "duplicate")
            continue
        seen.add(text)
        candidate = FillCandidate(text, _score(raw, generated.suffix_tokens), _ended(raw, outcome))
        if not parses(candidate.filled(target, hole), target.language, strict=strict):
            _count(dropped, "parse")
            continue
        kept.append(candidate)
    return rank(kept), dropped


def parses(text: str, language: str, *, strict: bool = True) -> bool:
    """No ERROR or MISSING node anywhere (languages without a grammar pass); Python also
    compiles with CPython's parser when `strict`."""
    if syntax_errors(text, language):
        return False
    return not (strict and language == "python") or python_compiles(text)


def _strict_parser(target: FillTarget, hole: Hole) -> bool:
    """Whether CPython's parser may judge the candidates: it accepts the file with the hole as an
    identifier or a statement (a file in newer syntax than this Python is judged by tree-sitter)."""
    if target.language != "python":
        return False
    return any(
        python_compiles(target.text[: hole.start] + stand_in + target.text[hole.end :])
        for stand_in in placeholders(target.language)
    )


_TRIVIAL_LINE = re.compile(
    r"[\W_]*(pass|break|continue|return|else|elif|try|finally|end|do)?[\W_]*"
)


def drop_code_below(body: str, prefix: str, suffix: str) -> str:
    """`body` cut before its first later line that is already a line of the code below the hole.

    A fill above existing code must not write that code again. The code below is the suffix's
    lines down to where its indentation drops below the hole's line (the rest of the hole's
    block); lines without a name or value of their own (`}`, `else:`, `pass`) never count. The
    first line continues the hole's own line and is always kept.
    """
    line = prefix[prefix.rfind("\n") + 1 :] + body.split("\n", 1)[0]  # the hole's line, filled
    below = _block_lines(suffix, len(line) - len(line.lstrip(" \t")))
    if not below:
        return body
    lines = body.split("\n")
    for i in range(1, len(lines)):
        stripped = lines[i].strip()
        if stripped in below and not _TRIVIAL_LINE.fullmatch(stripped):
            return "\n".join(lines[:i]).rstrip()
    return body


def _block_lines(suffix: str, floor: int) -> set[str]:
    """The stripped non-blank lines after the hole's line, down to the end of its block."""
    out: set[str] = set()
    for line in suffix.split("\n")[1:]:
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        if indent < floor or (indent == floor and stripped[0] in ")]}"):
            break
        out.add(stripped)
    return out


def rank(candidates: list[FillCandidate]) -> list[FillCandidate]:
    """Passed tests first, then ended on their own, then by score (stable for ties)."""
    tier = {"passed": 0, "": 1, "no-tests": 1}
    return sorted(candidates, key=lambda c: (tier.get(c.verdict, 2), not c.ended, -c.score))


def _score(raw: Candidate, suffix_tokens: int) -> float:
    score = raw.logprob / max(1, raw.timings.generated_tokens)
    if raw.suffix_logprob is not None and suffix_tokens:
        score += raw.suffix_logprob / suffix_tokens
    return score


def _ended(raw: Candidate, outcome: Outcome) -> bool:
    return (
        raw.ended_with_eot
        or raw.finish_reason in ("eos", "stop")
        or bool(_ENDING_FILTERS.intersection(outcome.changed_by))
    )


def _count(counts: dict[str, int], reason: str) -> None:
    counts[reason] = counts.get(reason, 0) + 1


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
            _count(result.dropped, "tests")
    if not survivors:
        counts: dict[str, int] = {}
        for c in rejected:
            _count(counts, c.verdict)
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        return FillResult(
            "failed-tests",
            f"no candidate passed the tests ({summary}); nothing was changed",
            hole,
            [],
            rejected,
            result.dropped,
            result.generated,
        )
    return FillResult(
        "ok", result.message, hole, rank(survivors), rejected, result.dropped, result.generated
    )


# -- all together -------------------------------------------------------------------------------


async def fill(
    engine: Engine,
    target: FillTarget,
    options: FillOptions,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
    runner: Runner = run_tests,
) -> FillResult:
    """The whole action for one request. Cancelling the task or the token ends it cleanly."""
    started = time.monotonic()
    cancel = cancel or CancelToken()
    report = progress or (lambda message, percentage: None)
    hole, refusal = locate(target)
    if refusal is not None or hole is None:
        assert refusal is not None
        return refusal
    n = max(1, options.candidates)
    report(f"generating {n} candidate{'s' if n > 1 else ''}", 0)
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
    report("checking candidates", 50)
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
    result.seconds = time.monotonic() - started
    log.info(
        "fill %s: %s, %d of %d candidates kept (%s) in %.1f s",
        target.path.name,
        result.status,
        len(result.candidates),
        result.generated,
        _describe(result.dropped) or "none dropped",
        result.seconds,
    )
    return result


def _describe(dropped: dict[str, int]) -> str:
    words = {
        "postprocess": "empty after clean-up",
        "parse": "do not parse",
        "duplicate": "duplicates",
        "repeats": "repeat the code below",
        "tests": "failed tests",
    }
    return ", ".join(f"{n} {words.get(reason, reason)}" for reason, n in dropped.items())
