"""LlamaBackend.prewarm with the embedded model: what it caches, and that it never changes what a
request returns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from repofill.models.llama_backend import LlamaBackend, LlamaOptions, heal_prefix
from repofill.models.timed_chunks import TimedChunks
from repofill.models.types import CancelToken, InfillRequest, RepoFile

BODY = "".join(f"def step_{i}(values):\n    return sum(values) * {i}\n\n\n" for i in range(20))
HERE = InfillRequest(
    prefix=BODY + "def mean(values):\n    total = su",
    suffix="\n\n\ndef median(values):\n    pass\n",
    path="stats.py",
    language="python",
    context=(RepoFile("util.py", "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"),),
    max_tokens=16,
    max_lines=1,
    seed=0,
)
ELSEWHERE = InfillRequest(prefix="import os\n\nprint(os.getcwd(", suffix=")\n", max_tokens=8)


@pytest.fixture(scope="module")
def backend(embedded_model: Path) -> Iterator[LlamaBackend]:
    made = LlamaBackend(embedded_model, options=LlamaOptions(n_ctx=2048, n_gpu_layers=0))
    yield made
    made.close()


def _stable(backend: LlamaBackend, request: InfillRequest) -> int:
    """Context and prefix up to the cursor's line, less the last prompt token (the request
    evaluates that one itself, for its logits)."""
    prefix = heal_prefix(request.prefix)[0]
    tokens = backend.prompt_tokens(request, prefix)
    return min(backend.line_start_tokens(tokens, request, prefix), len(tokens) - 1)


def test_prewarm_caches_the_stable_part_and_the_request_reuses_it(backend: LlamaBackend) -> None:
    backend.complete(ELSEWHERE, CancelToken())
    [cold] = backend.complete(HERE, CancelToken())
    backend.complete(ELSEWHERE, CancelToken())
    warm = backend.prewarm(HERE, CancelToken())
    [after] = backend.complete(HERE, CancelToken())

    stable = _stable(backend, HERE)
    assert warm.stable_tokens == stable > 200 and warm.cached_tokens == stable
    assert not warm.stopped and warm.evaluated_tokens > 0
    assert cold.timings.reused_tokens < stable <= after.timings.reused_tokens
    # the same tokens as without the pre-warm
    assert (after.text, after.finish_reason) == (cold.text, cold.finish_reason)
    # a second pre-warm at the same place finds it all cached
    again = backend.prewarm(HERE, CancelToken())
    assert again.evaluated_tokens == 0 and again.cached_tokens == stable


def test_a_cancelled_prewarm_stops_at_a_chunk_boundary_and_keeps_what_it_did(
    backend: LlamaBackend,
) -> None:
    backend.complete(ELSEWHERE, CancelToken())
    cancel = CancelToken()
    cancel.cancel("preempted")
    stopped = backend.prewarm(HERE, cancel)
    assert stopped.stopped and stopped.evaluated_tokens == 0

    class AfterOneChunk(CancelToken):
        checks = 0

        @property
        def cancelled(self) -> bool:
            self.checks += 1
            return self.checks > 1

    part = backend.prewarm(HERE, AfterOneChunk())
    assert part.stopped and 0 < part.evaluated_tokens <= TimedChunks().largest
    [answer] = backend.complete(HERE, CancelToken())
    assert answer.timings.reused_tokens >= part.cached_tokens
