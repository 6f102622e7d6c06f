"""Chunk sizes for preemptible prompt evaluation, chosen to fit a time budget.

A pre-warm (lsp/prewarm.py) evaluates a prompt in chunks so that a real request can preempt it at
the end of the current chunk. Larger chunks evaluate faster per token, smaller ones make the real
request wait less. Measured with the embedded Gemma 3 270M on 2 CPU cores (a 1,024-token prompt,
llama.cpp, no other load): 2.52 ms a token in chunks of 32, 2.15 in chunks of 64, 2.01 in chunks
of 128, each chunk computing its last token's logits; without logits, as pre-warm chunks now run
(`LlamaBackend._decode`), 2.08, 1.98 (chunks of 55) and 1.86. A fixed size is wrong elsewhere:
64 tokens take about 135 ms there, but 220 ms at the 3.5 ms a token that the pre-warm of an
earlier latency run averaged on the same machine. So the size is the number of tokens that fit
the budget at the speed measured on the last chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

CHUNK_BUDGET_MS = 135.0
"""Target time of one chunk: 10% below the 150 ms a real request may wait for one at p95 (the
latency target in docs/benchmarks.md), for a chunk that runs slower than the ones before it."""


@dataclass
class TimedChunks:
    """Chunk sizes (tokens) that take about `budget_ms` each at the measured speed.

    `size()` gives the next chunk's size, `record()` takes how long a chunk took. The speed is an
    exponential moving average of ms per token (weight `smoothing` for the newest chunk), so a
    busier machine shrinks the chunks within a few of them. Before any measurement the size is
    `first`; it is always within [`smallest`, `largest`].
    """

    budget_ms: float = CHUNK_BUDGET_MS
    first: int = 32
    smallest: int = 8
    largest: int = 128
    smoothing: float = 0.5
    ms_per_token: float | None = None

    def size(self) -> int:
        if self.ms_per_token is None or self.ms_per_token <= 0:
            return max(self.smallest, min(self.largest, self.first))
        fits = int(self.budget_ms / self.ms_per_token)
        return max(self.smallest, min(self.largest, fits))

    def record(self, tokens: int, elapsed_ms: float) -> None:
        """Take one chunk's measurement: `tokens` evaluated in `elapsed_ms` (wall clock)."""
        if tokens <= 0 or elapsed_ms <= 0:
            return
        rate = elapsed_ms / tokens
        if self.ms_per_token is None:
            self.ms_per_token = rate
        else:
            self.ms_per_token += self.smoothing * (rate - self.ms_per_token)
