"""How much of the previous prompt a keystroke's prompt shares (what the KV cache can keep).

Reuse is a property of the token sequences, so tiny GGUFs with the families' real FIM tokens
are enough to measure it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from repofill.models.llama_backend import LlamaBackend, LlamaOptions, heal_prefix
from repofill.models.types import CancelToken, InfillRequest

from tests.models.conftest import TinyGguf

BEFORE = "import os\n\n\ndef load(path):\n    "
LINE = "with open(path) as handle:"
AFTER = "\n        return handle.read()\n\n\ndef save(path, text):\n    pass\n" * 6


@pytest.fixture
def backends(tiny_gguf: TinyGguf) -> Iterator[dict[tuple[str, bool], LlamaBackend]]:
    made: dict[tuple[str, bool], LlamaBackend] = {}
    for family in ("starcoder", "codellama", "qwen"):
        path: Path = tiny_gguf(family)
        for spm in (False, True):
            options = LlamaOptions(n_ctx=512, n_threads=1, n_gpu_layers=0, spm=spm)
            made[(family, spm)] = LlamaBackend(path, options=options)
    yield made
    for backend in made.values():
        backend.close()


def new_tokens_while_typing(backend: LlamaBackend) -> list[int]:
    """Per keystroke on LINE: prompt tokens after the part shared with the previous prompt."""
    previous: list[int] = []
    fresh: list[int] = []
    for typed in range(1, len(LINE) + 1):
        prefix = BEFORE + LINE[:typed]
        tokens = backend.prompt_tokens(
            InfillRequest(prefix=prefix, suffix=AFTER), heal_prefix(prefix)[0]
        )
        common = 0
        for a, b in zip(previous, tokens, strict=False):
            if a != b:
                break
            common += 1
        if previous:
            fresh.append(len(tokens) - min(common, len(tokens) - 1))
        previous = tokens
    return fresh


@pytest.mark.parametrize("family", ["starcoder", "codellama"])
def test_suffix_first_order_reevaluates_only_the_end_of_the_prefix(
    backends: dict[tuple[str, bool], LlamaBackend], family: str
) -> None:
    psm = new_tokens_while_typing(backends[(family, False)])
    spm = new_tokens_while_typing(backends[(family, True)])
    suffix_tokens = backends[(family, True)].count_tokens(AFTER)
    # PSM: a prefix that changed forces the whole suffix through the model again.
    assert max(psm) > suffix_tokens
    # SPM: only the tokens at the cursor are new (at most the last word, healed).
    assert max(spm) < 20 and sum(spm) * 10 < sum(psm)


def test_families_without_suffix_first_training_keep_their_order(
    backends: dict[tuple[str, bool], LlamaBackend],
) -> None:
    request = InfillRequest(prefix="x = ", suffix="\ny = 2\n")
    with_spm = backends[("qwen", True)].render_prompt(request)
    assert with_spm == backends[("qwen", False)].render_prompt(request)
    assert with_spm.index("<|fim_prefix|>") < with_spm.index("<|fim_suffix|>")


def test_starcoder_is_prompted_suffix_first_by_default(tiny_gguf: TinyGguf) -> None:
    backend = LlamaBackend(tiny_gguf("starcoder"), options=LlamaOptions(n_ctx=512, n_threads=1))
    try:
        prompt = backend.render_prompt(InfillRequest(prefix="x = (", suffix=")\ny = 2\n"))
    finally:
        backend.close()
    assert prompt == "<fim_prefix><fim_suffix>)\ny = 2\n<fim_middle>x = ("


class CancelledAfterChecks(CancelToken):
    """Reads as cancelled from its `checks`-th look on: a cancel that lands mid-prompt."""

    def __init__(self, checks: int, *, finish_line_start: bool) -> None:
        super().__init__()
        self.reason = "superseded"
        self.finish_line_start = finish_line_start
        self._left = checks

    @property
    def cancelled(self) -> bool:
        self._left -= 1
        return self._left < 0


@pytest.mark.parametrize("finish", [True, False])
def test_a_prompt_cut_short_keeps_its_line_start_for_the_next_key_when_asked(
    tiny_gguf: TinyGguf, finish: bool
) -> None:
    options = LlamaOptions(n_ctx=2048, n_threads=1, n_gpu_layers=0)
    backend = LlamaBackend(tiny_gguf("qwen"), options=options)
    try:
        before = "import os\n" + "x = os.getcwd()\n" * 30 + "def load(path):\n    "
        first = InfillRequest(prefix=before + "with op", suffix=AFTER)
        tokens = backend.prompt_tokens(first, heal_prefix(first.prefix)[0])
        line_start = backend.line_start_tokens(tokens, first, heal_prefix(first.prefix)[0])
        assert 300 < line_start < len(tokens) - 2  # several evaluation chunks before the line

        # Cancelled after the first chunk of the prompt: no candidate comes back.
        cut = backend.complete(first, CancelledAfterChecks(2, finish_line_start=finish))
        assert [c.finish_reason for c in cut] == ["cancelled"]

        second = InfillRequest(prefix=before + "with ope", suffix=AFTER, max_tokens=1)
        [answer] = backend.complete(second, CancelToken())
        if finish:
            assert answer.timings.reused_tokens >= line_start
        else:
            assert answer.timings.reused_tokens < line_start
    finally:
        backend.close()
