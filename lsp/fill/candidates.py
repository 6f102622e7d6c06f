"""Fill this hole, steps 1-4: locate the hole, generate, check and rank candidates.

Each step is a small function so the benchmark and the tests can drive them one by one; the
whole action, with step 5 (verify), is action.py.

1. `locate`: find the hole (holes.py) and refuse a file that does not parse away from it.
2. `generate` (on the model worker): the engine's candidates under the `hole` plan
   (lsp/strategies.py): several multi-line candidates with repository context, the first
   greedy, the rest sampled. A left-to-right model also scores the text after the hole.
3. `check`: post-processing (multi-line), then the file with the candidate in place must parse
   (no tree-sitter ERROR or MISSING node anywhere).
4. rank: `strategies.rank` under the `hole` strategy (ended on their own first, then
   likelihood per token).

Nothing here writes to the user's files; the caller turns the best candidate into an edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from repofill.models.types import MAX_SCORED_SUFFIX_TOKENS, Backend, CancelToken, Candidate
from repofill.retrieval.types import Cursor

from ..engine import HOLE_MAX_LINES, Engine
from ..postprocess import Outcome, PostContext, explain
from ..settings import Settings
from ..strategies import MULTILINE_TOKEN_FACTOR, hole_finished, hole_plan, hole_score, rank
from .holes import Hole, error_outside, find_hole, placeholders, python_compiles, syntax_errors

# Filters that cut a candidate where it ran past the hole: the model had finished the hole.
_ENDING_FILTERS = frozenset({"limit_scope", "trim_suffix_overlap", "drop_repetition"})


@dataclass(frozen=True)
class FillOptions:
    candidates: int = 4
    verify: bool = False
    verify_timeout_s: float = 10.0
    max_lines: int = HOLE_MAX_LINES
    max_tokens: int = Settings.maxTokens * MULTILINE_TOKEN_FACTOR
    """The generation budget per candidate (tokens); by default the default settings' one."""

    @classmethod
    def from_settings(cls, settings: Settings) -> FillOptions:
        """The options the settings ask for: `holeCandidates`, `verify`, `verifyTimeoutMs`
        (ms), and the multi-line budget of `maxTokens` (MULTILINE_TOKEN_FACTOR times it)."""
        return cls(
            candidates=max(1, settings.holeCandidates),
            verify=settings.verify,
            verify_timeout_s=max(0.1, settings.verifyTimeoutMs / 1000),
            max_tokens=max(1, settings.maxTokens) * MULTILINE_TOKEN_FACTOR,
        )


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


def locate(target: FillTarget) -> Hole | FillResult:
    """The hole, or the result that explains why there is nothing to fill (`no-hole`, or
    `unparsable`: a syntax error away from the hole)."""
    hole = find_hole(target.text, target.start, target.end, target.language)
    if hole is None:
        return FillResult(
            "no-hole",
            "no hole at the cursor: select code, write <FILL>, or put the cursor in a function "
            "whose body is a placeholder",
        )
    line = error_outside(target.text, hole, target.language)
    if line is not None:
        return FillResult(
            "unparsable",
            f"the file does not parse (syntax error at line {line + 1}); fix it first",
            hole,
        )
    return hole


def hole_cursor(target: FillTarget, hole: Hole) -> Cursor:
    """The document as the model sees it: the hole removed, its lead/trail in place."""
    prefix = target.text[: hole.start] + hole.lead
    suffix = hole.trail + target.text[hole.end :]
    return Cursor(prefix + suffix, len(prefix), target.path, target.language)


# -- 2. generate --------------------------------------------------------------------------------


def generate(
    engine: Engine, backend: Backend, cursor: Cursor, options: FillOptions, cancel: CancelToken
) -> Generated:
    """Candidates from the model through `Engine.candidates`; runs on the model worker's thread."""
    left_to_right = backend.info.family == "none"
    plan = hole_plan(
        options.candidates,
        score_suffix=left_to_right and bool(cursor.suffix.strip()),
        max_tokens=options.max_tokens,
        stop=stop_strings(cursor.text, cursor.offset, cursor.language),
    )
    context = engine.select_context(cursor, backend)
    candidates = engine.candidates(
        backend, cursor, context, plan, cancel, multiline=True, max_lines=options.max_lines
    )
    suffix_tokens = backend.count_tokens(cursor.suffix) if plan.score_suffix else 0
    return Generated(candidates, min(suffix_tokens, MAX_SCORED_SUFFIX_TOKENS))


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
    """Post-processed candidates whose file parses, de-duplicated, ranked best first
    (`strategies.rank`, `hole`); and how many were dropped for which reason."""
    cursor = hole_cursor(target, hole)
    post = PostContext(
        prefix=cursor.prefix,
        suffix=cursor.suffix,
        language=target.language,
        multiline=True,
        max_lines=options.max_lines,
    )
    dropped: dict[str, int] = {}
    kept: dict[int, FillCandidate] = {}  # by id() of the model's candidate
    raws: list[Candidate] = []
    cut: list[bool] = []
    seen: set[str] = set()
    strict = _strict_parser(target, hole)
    for raw in generated.candidates:
        if raw.finish_reason in ("cancelled", "error"):
            continue
        outcome = explain(raw.text, post.for_finish(raw.finish_reason))
        text = _hole_text(outcome, cursor, hole, dropped)
        if text is None or _seen(text, seen, dropped):
            continue
        ended = bool(_ENDING_FILTERS.intersection(outcome.changed_by))
        score = hole_score(raw, generated.suffix_tokens)
        candidate = FillCandidate(text, score, hole_finished(raw, cut=ended))
        if not parses(candidate.filled(target, hole), target.language, strict=strict):
            count_dropped(dropped, "parse")
            continue
        kept[id(raw)] = candidate
        raws.append(raw)
        cut.append(ended)
    ranked = rank(raws, "hole", multiline=True, cut=cut, suffix_tokens=generated.suffix_tokens)
    return [kept[id(raw)] for raw in ranked], dropped


def _hole_text(outcome: Outcome, cursor: Cursor, hole: Hole, dropped: dict[str, int]) -> str | None:
    """The post-processed candidate as the hole's new text; None (counted) when nothing is left."""
    body = (outcome.text or "").rstrip()
    if body.strip():
        body = drop_code_below(body, cursor.prefix, cursor.suffix)
        if not body.strip():
            count_dropped(dropped, "repeats")
            return None
    if not body.strip():
        count_dropped(dropped, "postprocess")
        return None
    return hole.lead + body + hole.trail


def _seen(text: str, seen: set[str], dropped: dict[str, int]) -> bool:
    """Whether an earlier candidate had `text` (counted); remembers it otherwise."""
    if text in seen:
        count_dropped(dropped, "duplicate")
        return True
    seen.add(text)
    return False


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


def passed_first(candidates: list[FillCandidate]) -> list[FillCandidate]:
    """Verified mode: the candidate whose tests passed first, the others in their rank order."""
    return sorted(candidates, key=lambda c: c.verdict != "passed")


def count_dropped(counts: dict[str, int], reason: str) -> None:
    """One more candidate dropped for `reason`."""
    counts[reason] = counts.get(reason, 0) + 1
