"""The rerank score: which suffix part is scored, and the batched scoring (embedded model)."""

from __future__ import annotations

from pathlib import Path

import pytest
from repofill.models.llama_backend import LlamaBackend, LlamaOptions, scored_suffix
from repofill.models.types import CancelToken, InfillRequest


def test_scored_suffix_keeps_the_cursor_line_rest_and_n_lines() -> None:
    suffix = ")\n    b = 2\n    c = 3\n    d = 4\n    e = 5\n"
    assert scored_suffix(suffix, 0) == ")"
    assert scored_suffix(suffix, 2) == ")\n    b = 2\n    c = 3"
    assert scored_suffix(suffix, None) == suffix
    assert scored_suffix("\nx\n", 3) == "\nx\n"


@pytest.fixture(scope="module")
def backend(embedded_model: Path) -> LlamaBackend:
    b = LlamaBackend(embedded_model, options=LlamaOptions(n_ctx=512, n_threads=1))
    yield b
    b.close()


def test_batched_suffix_score_equals_token_by_token(backend: LlamaBackend) -> None:
    prefix = "def add(a, b):\n"
    prompt = backend.prompt_tokens(InfillRequest(prefix=prefix, suffix=""), prefix)
    suffix = "\n\ndef sub(a, b):\n    return a - b\n"
    batched = backend._score_continuation(prompt, "    return a + b", suffix, CancelToken())
    llm = backend._llm
    cand = llm.tokenize(b"    return a + b", add_bos=False, special=False)
    follow = llm.tokenize(suffix.encode(), add_bos=False, special=False)
    llm.reset()
    llm.eval(prompt + cand)
    one_by_one = 0.0
    for token in follow:
        one_by_one += backend._logprob(backend._last_logits(), token)
        llm.eval([token])
    assert batched is not None
    assert batched == pytest.approx(one_by_one, abs=0.1 * len(follow))
    # A fitting candidate makes the suffix likelier than a wrong one.
    wrong = backend._score_continuation(prompt, "    print(  )", suffix, CancelToken())
    assert wrong is not None and batched > wrong
