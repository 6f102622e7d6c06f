"""The prompt window: bounded in lines and characters, its start anchored while the user types,
and bounded in tokens (issue 16 kind 5): a long or token-dense file is trimmed from its far ends,
never turned into an error.

`StrictBackend` refuses a prompt that does not fit its context window exactly as the llama.cpp
backend does; one test runs the llama.cpp backend itself with a small context window.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repofill.lsp.engine import Engine
from repofill.lsp.prompt_window import ANCHOR_LINES, fit_tokens, prompt_window
from repofill.lsp.settings import Settings
from repofill.models.types import CancelToken, Candidate, InfillRequest, ModelError, ModelInfo
from repofill.models.worker import ModelWorker
from repofill.retrieval.types import Cursor

CJK = "中文字符测试数据"


def dense_tokens(text: str) -> int:
    """A tokenizer's count for dense text: one token per non-ASCII character, per 4 ASCII."""
    ascii_chars = sum(1 for c in text if ord(c) < 128)
    return (len(text) - ascii_chars) + (ascii_chars + 3) // 4


class StrictBackend:
    def __init__(self, n_ctx: int = 2048) -> None:
        self.n_ctx = n_ctx
        self.requests: list[InfillRequest] = []

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("strict", "", "none", self.n_ctx, False, "test")

    def count_tokens(self, text: str) -> int:
        return dense_tokens(text)

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        self.requests.append(request)
        files = sum(dense_tokens(f.path) + dense_tokens(f.text) for f in request.context)
        prompt = dense_tokens(request.prefix) + dense_tokens(request.suffix) + files + 8
        if prompt > self.n_ctx - request.max_tokens - 1:
            raise ModelError(f"prompt of {prompt} tokens does not fit the context window")
        return [Candidate(text="1", finish_reason="stop")]

    def close(self) -> None:
        pass


def _engine(backend: StrictBackend) -> Engine:
    settings = Settings(debounceMs=0, contextBudget=0, deadlineMs=0)
    return Engine(ModelWorker(lambda: backend), settings)


def _cursor(text: str, offset: int | None = None) -> Cursor:
    at = len(text) if offset is None else offset
    return Cursor(text, at, Path("/project/dense.py"), "python")


@pytest.mark.parametrize(
    "text",
    [
        # issue 16's input: a comment of 4,200 CJK characters, then `value = `
        "# " + (CJK * 525) + "\nvalue = ",
        # many dense lines
        "".join(f"# {CJK * 5}\n" for _ in range(300)) + "value = ",
        # one dense line with the cursor in its middle
        "x = '" + CJK * 600 + "' + '" + CJK * 600 + "'\n",
    ],
    ids=["issue-16", "dense-lines", "mid-line"],
)
def test_a_token_dense_file_gets_a_prompt_that_fits(text: str) -> None:
    backend = StrictBackend()
    cursor = _cursor(text, text.find("' + '") if "' + '" in text else None)
    result = _engine(backend).complete_blocking(cursor)
    assert result.status == "ok", result
    [request] = backend.requests
    assert cursor.prefix.endswith(request.prefix)  # trimmed from the far end only
    assert cursor.suffix.startswith(request.suffix)
    assert request.prefix  # the text nearest the cursor is kept


def test_an_ordinary_file_keeps_its_whole_window() -> None:
    backend = StrictBackend()
    text = "def f(x):\n    return x\n\n\nvalue = "
    assert _engine(backend).complete_blocking(_cursor(text)).status == "ok"
    assert backend.requests[0].prefix == text


def test_fit_tokens_trims_each_side_from_its_far_end() -> None:
    prefix = "".join(f"line {i} {CJK}\n" for i in range(100)) + "value = "
    suffix = "\n" + "".join(f"after {i} {CJK}\n" for i in range(100))
    p, s = fit_tokens(prefix, suffix, 200, dense_tokens)
    assert dense_tokens(p) + dense_tokens(s) <= 200
    assert prefix.endswith(p) and p.endswith("value = ") and p.startswith("line ")
    assert suffix.startswith(s) and dense_tokens(s) >= 200 // 4 - 20
    assert fit_tokens(prefix, suffix, 0, dense_tokens) == ("", "")
    assert fit_tokens("ab", "cd", 10, dense_tokens) == ("ab", "cd")


def test_the_llama_backend_answers_for_a_dense_file(embedded_model: Path) -> None:
    from repofill.models.llama_backend import LlamaBackend, LlamaOptions

    backend = LlamaBackend(embedded_model, options=LlamaOptions(n_ctx=512))
    engine = Engine(ModelWorker(lambda: backend), Settings(contextBudget=0, deadlineMs=0))
    text = "# " + CJK * 120 + "\nvalue = "  # far more than 512 tokens
    try:
        result = engine.complete_blocking(_cursor(text))
        assert result.status in ("ok", "empty"), result
    finally:
        engine.worker.close()


def test_prefix_window_start_is_anchored_while_typing() -> None:
    text = "".join(f"line {i}\n" for i in range(300))
    offset = text.index("line 200")
    starts = set()
    for typed in range(8):
        cur = text[:offset] + "x" * typed + text[offset:]
        w = prompt_window(cur, offset + typed, prefix_lines=64, suffix_lines=10, max_chars=100_000)
        starts.add(w.prefix_start_line)
        assert w.prefix.endswith("x" * typed)
    assert len(starts) == 1
    (start,) = starts
    assert start % ANCHOR_LINES == 0 and 200 - 64 - ANCHOR_LINES < start <= 200 - 64


def test_suffix_is_bounded_in_lines_and_chars() -> None:
    text = "a\n" * 100
    w = prompt_window(text, 10, prefix_lines=8, suffix_lines=5, max_chars=1000)
    assert w.suffix.count("\n") == 5
    long_line = "x" * 10_000
    w = prompt_window(long_line, 5000, prefix_lines=8, suffix_lines=5, max_chars=1000)
    assert len(w.prefix) <= 1000 and len(w.suffix) <= 500
