"""Plain data exchanged between the engine and a model backend."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal, Protocol

FinishReason = Literal["stop", "eos", "length", "lines", "deadline", "cancelled", "error"]


class ModelError(RuntimeError):
    """A model could not be found, loaded or run; the message says what to do about it."""


@dataclass(frozen=True)
class RepoFile:
    """A piece of another file the model should see (rendered in the family's repo-level format)."""

    path: str
    text: str


MAX_SCORED_SUFFIX_TOKENS = 64
"""At most this many suffix tokens are scored for `InfillRequest.score_suffix` (tokens): the
rerank's right side is the next few lines (InCoder, Fried et al. 2022), and the bound keeps its
cost small. The llama backend cuts the suffix there; fill-hole divides by it to score per token."""


@dataclass(frozen=True)
class InfillRequest:
    prefix: str
    suffix: str
    path: str = ""
    language: str = ""
    repo_name: str = ""
    context: tuple[RepoFile, ...] = ()
    max_tokens: int = 64
    max_lines: int | None = 1
    stop: tuple[str, ...] = ()
    deadline: float | None = None
    """`time.monotonic()` by which generation should be done. The time left when the request
    starts is the generation budget: it starts counting once the prompt is evaluated."""
    n_candidates: int = 1
    temperature: float = 0.0
    top_p: float = 0.95
    seed: int | None = None
    mode: Literal["auto", "fim", "ltr"] = "auto"
    """`auto`: native FIM when the model has FIM tokens, left-to-right otherwise."""
    score_suffix: bool = False
    """Also score log P(suffix | prefix + candidate) (InCoder-style reranking)."""
    score_lines: int | None = 3
    """How much of the suffix is scored: the rest of the cursor's line plus this many lines
    (None: the whole suffix). `bench infill` measures the rerank with the next 3 lines."""
    branch_ranks: tuple[int, ...] = ()
    """Branch decoding: when set, one greedy candidate per rank, each forced to start with the
    first token of that rank (0: the most likely, 1: the second, …; among the tokens the
    prefix's healed fragment allows), in this order; `n_candidates` and `temperature` are then
    ignored. The branches at the first token of Wang & Zhou, "Chain-of-Thought Reasoning Without
    Prompting" (2024). A backend that cannot force a first token returns no candidates."""


@dataclass
class Timings:
    prompt_tokens: int = 0
    reused_tokens: int = 0
    generated_tokens: int = 0
    prompt_ms: float = 0.0
    generation_ms: float = 0.0
    threads: int = 0
    """llama.cpp threads the request ran with (0: not known, e.g. a remote backend)."""

    @property
    def model_ms(self) -> float:
        return self.prompt_ms + self.generation_ms


@dataclass
class Candidate:
    text: str
    finish_reason: FinishReason
    logprob: float = 0.0
    """Sum of the log-probabilities of the generated tokens."""
    suffix_logprob: float | None = None
    """log P(suffix lines | prefix + text), when the request asked for it."""
    ended_with_eot: bool = False
    timings: Timings = field(default_factory=Timings)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    family: str
    """FIM family (`qwen`, `starcoder`, …) or `none` for left-to-right models."""
    n_ctx: int
    gpu_offload: bool
    source: str
    """Why this model: `explicit path`, `registry`, `embedded default`."""


class CancelToken:
    """Set by the engine; checked by the backend between tokens."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""
        self.finish_line_start = False
        """Set by the engine when the request that replaces this one is on the same line: a
        prompt cut short still evaluates up to the start of the cursor's line, which the next
        prompt shares (its KV cache is then ready instead of half-filled)."""

    def cancel(self, reason: str = "cancelled") -> None:
        self.reason = self.reason or reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Backend(Protocol):
    """How to ask a model. Implementations are not assumed thread-safe: one worker calls them."""

    @property
    def info(self) -> ModelInfo: ...

    def count_tokens(self, text: str) -> int: ...

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]: ...

    def close(self) -> None: ...


@dataclass
class PrewarmResult:
    """What a backend's `prewarm` did (lsp/prewarm.py). Counts are tokens."""

    stable_tokens: int = 0
    """Length of the prompt's stable part: context and prefix up to the cursor's line start."""
    evaluated_tokens: int = 0
    """Evaluated by this pre-warm (the rest was in the cache already)."""
    cached_tokens: int = 0
    """Of the stable part, held in the KV cache when the pre-warm ended."""
    stopped: bool = False
    """Preempted or replaced before the whole stable part was cached."""
