"""Branch decoding with the embedded model (`InfillRequest.branch_ranks`): each branch starts
with the first token of its rank, as the model's logits at the end of the prompt order them, and
continues greedily."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from repofill.models.llama_backend import LlamaBackend, LlamaOptions, heal_prefix
from repofill.models.types import CancelToken, InfillRequest

REQUEST = InfillRequest(
    prefix="def mean(values):\n    total = sum(values)\n    return total / len(",
    suffix="\n",
    mode="ltr",
    max_tokens=12,
    max_lines=1,
)


@pytest.fixture(scope="module")
def backend(embedded_model: Path) -> Iterator[LlamaBackend]:
    made = LlamaBackend(embedded_model, options=LlamaOptions(n_ctx=2048, n_gpu_layers=0))
    yield made
    made.close()


def _first_tokens(backend: LlamaBackend, k: int) -> list[str]:
    """The texts of the `k` most likely first tokens after REQUEST's prompt."""
    prefix, removed = heal_prefix(REQUEST.prefix)
    assert removed == ""  # the prompt ends with `(`: nothing to heal, no token constrained
    tokens = backend.prompt_tokens(REQUEST, prefix)
    backend._llm.reset()
    assert backend._eval(tokens, CancelToken(), None)
    logits = backend._last_logits().copy()
    top = np.argsort(-logits, kind="stable")[:k]
    return [bytes(backend._llm.detokenize([int(t)])).decode("utf-8", "ignore") for t in top]


def test_each_branch_starts_with_the_token_of_its_rank(backend: LlamaBackend) -> None:
    greedy = backend.complete(REQUEST, CancelToken())
    branches = backend.complete(replace(REQUEST, branch_ranks=(0, 1, 2)), CancelToken())
    firsts = _first_tokens(backend, 3)

    assert len(branches) == 3
    assert branches[0].text == greedy[0].text  # rank 0 is the greedy candidate
    for branch, first in zip(branches, firsts, strict=True):
        assert branch.text.startswith(first), (branch.text, first)
    assert len({b.text for b in branches}) == 3


def test_branches_ask_only_for_their_ranks_in_order(backend: LlamaBackend) -> None:
    both = backend.complete(replace(REQUEST, branch_ranks=(1, 2)), CancelToken())
    second = backend.complete(replace(REQUEST, branch_ranks=(2,)), CancelToken())
    assert [b.finish_reason != "cancelled" for b in both] == [True, True]
    assert both[1].text == second[0].text
