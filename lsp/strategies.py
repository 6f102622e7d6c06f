"""Infill strategies: which one a request gets, what it asks the model for, and how candidates rank.

- `fim`: native fill-in-the-middle for models with FIM tokens (one greedy candidate; several
  samples when the client asks for several items, ranked as in the FIM paper: candidates that
  finished on their own — end-of-text, or the end of the hole's lines — first, then likelihood).
- `greedy`: left-to-right from the prefix, one greedy candidate. Cheap: every keystroke.
- `rerank`: InCoder-style left-to-right reranking (Fried et al. 2022): the greedy candidate
  plus `RERANK_SAMPLES` samples (T=0.8, top-p 0.95), each cut to the hole's line count, ranked
  by log P(left + candidate + right) = log P(candidate | left) + log P(right | left + candidate),
  the right side being the next few suffix lines. About 5-10x the model work of greedy, so
  `auto` keeps it for explicit requests (Invoked, fill-hole).

`auto`: fim for FIM models; for left-to-right models greedy on automatic requests and rerank on
explicit ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from repofill.models.types import Candidate

Strategy = Literal["fim", "greedy", "rerank"]

RERANK_SAMPLES = 4
"""Sampled candidates besides the greedy one (`bench infill` measures greedy + 4 samples against
greedy alone: bench/results/infill-single.md)."""
SAMPLE_TEMPERATURE = 0.8
SAMPLE_TOP_P = 0.95
SCORE_LINES = 3
"""Suffix lines after the cursor's line that the rerank scores (InCoder scores the whole right
side; `bench infill` measures the rerank with these 3: bench/results/infill-single.md)."""


@dataclass(frozen=True)
class Plan:
    """What the engine asks the backend for under one strategy."""

    strategy: Strategy
    n_candidates: int
    temperature: float
    top_p: float
    mode: Literal["auto", "fim", "ltr"]
    score_suffix: bool
    score_lines: int | None


def choose(setting: str, family: str, *, explicit: bool) -> Strategy:
    """The strategy for one request.

    `family` is the model's FIM family (`none` for left-to-right models); `explicit` is true for
    an Invoked inline request or fill-hole. A `fim` setting on a model without FIM tokens falls
    back to what `auto` would choose.
    """
    fim_model = family not in ("", "none")
    if setting == "greedy":
        return "greedy"
    if setting == "rerank":
        return "rerank"
    if fim_model:
        return "fim"
    return "rerank" if explicit else "greedy"


def plan(strategy: Strategy, *, items: int = 1, samples: int = RERANK_SAMPLES) -> Plan:
    """The backend request for a strategy that must yield `items` suggestions."""
    items = max(1, items)
    if strategy == "rerank":
        return Plan(
            strategy,
            n_candidates=max(items, 1 + samples),
            temperature=SAMPLE_TEMPERATURE,
            top_p=SAMPLE_TOP_P,
            mode="ltr",
            score_suffix=True,
            score_lines=SCORE_LINES,
        )
    sampled = items > 1
    return Plan(
        strategy,
        n_candidates=items,
        temperature=SAMPLE_TEMPERATURE if sampled else 0.0,
        top_p=SAMPLE_TOP_P,
        mode="auto" if strategy == "fim" else "ltr",
        score_suffix=False,
        score_lines=SCORE_LINES,
    )


def rerank_score(candidate: Candidate) -> float:
    """log P(candidate | left) + log P(right | left + candidate); unscored candidates rank last."""
    if candidate.suffix_logprob is None:
        return float("-inf")
    return candidate.logprob + candidate.suffix_logprob


def finished(candidate: Candidate, *, multiline: bool) -> bool:
    """The candidate ended on its own: end-of-text, a stop string, or (single-line) its line."""
    if candidate.ended_with_eot or candidate.finish_reason == "stop":
        return True
    return candidate.finish_reason == "lines" and not multiline


def rank(
    candidates: Sequence[Candidate], strategy: Strategy, *, multiline: bool
) -> list[Candidate]:
    """Candidates best first; cancelled ones are dropped. Ties keep generation order (greedy
    first), so the ranking is deterministic."""
    usable = [(i, c) for i, c in enumerate(candidates) if c.finish_reason != "cancelled"]
    if strategy == "rerank":
        usable.sort(key=lambda ic: (-rerank_score(ic[1]), ic[0]))
    elif strategy == "fim":
        usable.sort(
            key=lambda ic: (not finished(ic[1], multiline=multiline), -ic[1].logprob, ic[0])
        )
    else:
        # greedy: the greedy candidate (first) stays first; extra samples by mean likelihood.
        head, rest = usable[:1], usable[1:]
        rest.sort(key=lambda ic: (-_mean_logprob(ic[1]), ic[0]))
        usable = head + rest
    return [c for _, c in usable]


def _mean_logprob(candidate: Candidate) -> float:
    return candidate.logprob / max(1, candidate.timings.generated_tokens)
