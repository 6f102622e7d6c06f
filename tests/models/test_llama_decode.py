"""LlamaBackend._decode with the embedded model: chunks evaluated without logits leave the KV
cache, and so the logits read at the end, exactly as `Llama.eval` (which computes the last
token's logits of every chunk) leaves them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from repofill.models.llama_backend import LlamaBackend, LlamaOptions
from repofill.models.types import CancelToken

TEXT = "".join(f"def step_{i}(values):\n    return sum(values) * {i}\n\n\n" for i in range(30))


@pytest.fixture(scope="module")
def backend(embedded_model: Path) -> Iterator[LlamaBackend]:
    made = LlamaBackend(embedded_model, options=LlamaOptions(n_ctx=2048, n_gpu_layers=0))
    yield made
    made.close()


def _tokens(backend: LlamaBackend) -> list[int]:
    tokens: list[int] = backend._llm.tokenize(TEXT.encode("utf-8"), add_bos=True, special=False)
    assert len(tokens) > 300  # more than two of _eval's chunks
    return tokens


def _eval_with_logits(backend: LlamaBackend, tokens: list[int], cuts: list[int]) -> np.ndarray:
    """The last token's logits after `Llama.eval` of `tokens` cut at `cuts` (logits every chunk).

    The same cuts matter: llama.cpp's numbers change slightly with the batch size."""
    llm = backend._llm
    llm.reset()
    for start, end in zip([0, *cuts], [*cuts, len(tokens)], strict=True):
        llm.eval(tokens[start:end])
    expected = backend._last_logits().copy()
    # Leave other logits in llama.cpp's buffer: positions without outputs do not overwrite it.
    llm.reset()
    llm.eval(tokens[:7])
    assert not np.array_equal(backend._last_logits(), expected)
    return expected


def test_evaluating_a_prompt_reads_logits_only_at_its_end(backend: LlamaBackend) -> None:
    tokens = _tokens(backend)
    expected = _eval_with_logits(backend, tokens, list(range(128, len(tokens), 128)))

    llm = backend._llm
    llm.reset()
    assert backend._eval(tokens, CancelToken(), None)
    assert llm.n_tokens == len(tokens) and list(llm.input_ids[: len(tokens)]) == tokens
    np.testing.assert_array_equal(backend._last_logits(), expected)


def test_a_prewarmed_prefix_then_the_rest_matches_evaluation_with_logits(
    backend: LlamaBackend,
) -> None:
    tokens = _tokens(backend)
    expected = _eval_with_logits(backend, tokens, [100, 150, *range(278, len(tokens), 128)])

    llm = backend._llm
    llm.reset()
    assert backend._decode(tokens[:100], "none") is None
    backend._decode(tokens[100:150], "none")
    assert llm.n_tokens == 150
    assert backend._eval(tokens[150:], CancelToken(), None)
    np.testing.assert_array_equal(backend._last_logits(), expected)


def test_all_outputs_give_one_row_per_token(backend: LlamaBackend) -> None:
    tokens = _tokens(backend)[:40]
    backend._llm.reset()
    rows = backend._decode(tokens, "all")
    assert rows is not None and rows.shape == (40, backend._n_vocab)
    assert backend._decode(tokens[:1], "none") is None
