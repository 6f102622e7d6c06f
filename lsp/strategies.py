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

- `hole` (fill-this-hole, never chosen by the setting): several multi-line candidates, the first
  greedy, the rest sampled; ranked candidates that ended on their own first (end of text, a stop
  string, or post-processing cut them where they ran past the hole; FIM paper), then by mean
  log-likelihood per token plus, for left-to-right models, the suffix's per token (InCoder).

`auto`: fim for FIM models; for left-to-right models greedy on automatic requests and rerank on
explicit ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from repofill.models.types import MAX_SCORED_SUFFIX_TOKENS, Candidate

Strategy = Literal["fim", "greedy", "rerank", "hole"]

RERANK_SAMPLES = 4
"""Sampled candidates besides the greedy one (`bench infill` measures greedy + 4 samples against
greedy alone: bench/results/infill-single.md)."""
SAMPLE_TEMPERATURE = 0.8
"""Softmax temperature of the sampled candidates (every candidate but the first, greedy one);
InCoder and Codex sampled at 0.8 for pass@k and reranking."""
SAMPLE_TOP_P = 0.95
"""Nucleus (top-p) mass of the sampled candidates (probability), as InCoder sampled."""
SCORE_LINES = 3
"""Suffix lines after the cursor's line that the rerank scores (InCoder scores the whole right
side; `bench infill` measures the rerank with these 3: bench/results/infill-single.md)."""
MULTILINE_TOKEN_FACTOR = 4
"""A multi-line request may generate this many times the `maxTokens` setting (tokens): one
line's budget times a few lines, the post-processing cuts the rest."""


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
    max_tokens: int | None = None
    """The generation budget (tokens); None: the `maxTokens` setting, times
    MULTILINE_TOKEN_FACTOR for a multi-line request."""
    stop: tuple[str, ...] = ()
    """Strings that end generation (besides the backend's own)."""
    deadline: bool = True
    """Whether the `deadlineMs` setting bounds the request; an explicit action (fill-hole) is
    bounded by its token budget and cancellable instead."""
    branch_ranks: tuple[int, ...] = ()
    """Branch decoding (`InfillRequest.branch_ranks`): greedy candidates forced to start with
    the first token of these ranks; empty: the strategy's own candidates."""


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


FALLBACK_RANKS = (1, 2)
"""First-token ranks of the fallback candidates (`fallback_plan`)."""


def fallback_plan(strategy: Strategy) -> Plan | None:
    """What to ask when the single greedy candidate of `strategy` had text but post-processing
    rejected it: greedy candidates starting with the second and third most likely first token
    (branch decoding, Wang & Zhou 2024), tried in that order. None for strategies that already
    ask for several candidates (rerank, hole)."""
    if strategy not in ("greedy", "fim"):
        return None
    return replace(plan(strategy), branch_ranks=FALLBACK_RANKS)


def hole_plan(
    items: int, *, score_suffix: bool, max_tokens: int, stop: tuple[str, ...] = ()
) -> Plan:
    """The backend request for fill-this-hole: `items` multi-line candidates (the first greedy,
    the rest sampled), in the model's own format, with no deadline. `score_suffix`: a
    left-to-right model also scores the text after the hole."""
    items = max(1, items)
    return Plan(
        "hole",
        n_candidates=items,
        temperature=SAMPLE_TEMPERATURE if items > 1 else 0.0,
        top_p=SAMPLE_TOP_P,
        mode="auto",
        score_suffix=score_suffix,
        score_lines=SCORE_LINES,
        max_tokens=max_tokens,
        stop=stop,
        deadline=False,
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


def hole_score(candidate: Candidate, suffix_tokens: int) -> float:
    """Mean log-likelihood per generated token, plus the suffix's per token when it was scored
    (`suffix_tokens`: how many suffix tokens were, at most MAX_SCORED_SUFFIX_TOKENS)."""
    score = _mean_logprob(candidate)
    suffix_tokens = min(suffix_tokens, MAX_SCORED_SUFFIX_TOKENS)
    if candidate.suffix_logprob is not None and suffix_tokens:
        score += candidate.suffix_logprob / suffix_tokens
    return score


def hole_finished(candidate: Candidate, *, cut: bool) -> bool:
    """A hole's candidate ended on its own: end of text, a stop string, or `cut` (the
    post-processing cut it where it ran past the hole: the model had finished the hole)."""
    return candidate.ended_with_eot or candidate.finish_reason in ("eos", "stop") or cut


def rank(
    candidates: Sequence[Candidate],
    strategy: Strategy,
    *,
    multiline: bool,
    cut: Sequence[bool] = (),
    suffix_tokens: int = 0,
) -> list[Candidate]:
    """Candidates best first; cancelled ones are dropped. Ties keep generation order (greedy
    first), so the ranking is deterministic.

    `hole` only: `cut[i]` says post-processing cut candidate i where it ran past the hole (missing
    entries: False); `suffix_tokens` is how many suffix tokens were scored (hole_score)."""
    usable = [(i, c) for i, c in enumerate(candidates) if c.finish_reason != "cancelled"]
    if strategy == "hole":
        usable.sort(
            key=lambda ic: (
                not hole_finished(ic[1], cut=ic[0] < len(cut) and cut[ic[0]]),
                -hole_score(ic[1], suffix_tokens),
                ic[0],
            )
        )
    elif strategy == "rerank":
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
