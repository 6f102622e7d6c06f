"""The engine's behaviour at typing speed (issue 4), with a scripted backend: not timed.

The backend "generates" one token per few milliseconds and checks cancellation between tokens,
as the llama.cpp backend does; it counts its calls and how many run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path
from typing import Any, cast

from repofill.lsp.engine import Engine
from repofill.lsp.settings import Settings
from repofill.models.types import (
    CancelToken,
    Candidate,
    FinishReason,
    InfillRequest,
    ModelInfo,
    Timings,
)
from repofill.models.worker import ModelWorker
from repofill.retrieval import Retriever
from repofill.retrieval.types import Context, Cursor

TOKEN_S = 0.002


class ScriptedBackend:
    """Answers `answer` one character per "token"; `slow` makes every answer `tokens` long."""

    def __init__(self, answer: str = "return value", tokens: int | None = None) -> None:
        self.answer = answer
        self.tokens = tokens if tokens is not None else len(answer)
        self.calls = 0
        self.running = 0
        self.max_running = 0
        self.started = threading.Event()
        self.finishes: list[str] = []
        self.requests: list[InfillRequest] = []
        self._lock = threading.Lock()

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("scripted", "", "none", 2048, False, "test")

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        self.requests.append(request)
        self.started.set()
        try:
            text, finish = "", cast(FinishReason, "length")
            for i in range(self.tokens):
                if cancel.cancelled:
                    finish = cast(FinishReason, "cancelled")
                    break
                time.sleep(TOKEN_S)
                text += self.answer[i] if i < len(self.answer) else ""
            self.finishes.append(finish)
            timings = Timings(prompt_tokens=10, reused_tokens=9, generated_tokens=len(text))
            return [Candidate(text=text, finish_reason=finish, timings=timings)]
        finally:
            with self._lock:
                self.running -= 1

    def close(self) -> None:
        pass


class CountingRetriever(Retriever):
    selects = 0

    def select(self, *args: Any, **kwargs: Any) -> Context:
        self.selects += 1
        return super().select(*args, **kwargs)


def make_engine(backend: ScriptedBackend, retriever: Retriever | None = None) -> Engine:
    settings = Settings(debounceMs=20, contextBudget=256 if retriever else 0, deadlineMs=0)
    return Engine(ModelWorker(lambda: backend), settings, retriever)


def cursor_at_end(text: str, path: Path = Path("/project/main.py")) -> Cursor:
    return Cursor(text, len(text), path, "python")


LINE = "def area(r):\n    "


async def test_a_burst_of_50_requests_runs_at_most_one_generation() -> None:
    backend = ScriptedBackend(tokens=40)
    engine = make_engine(backend)
    word = "result = compute_the_area_of_the_circle_with_radius_r_now_please"
    tasks = []
    for i in range(50):
        tasks.append(asyncio.create_task(engine.complete("doc", cursor_at_end(LINE + word[:i]))))
        await asyncio.sleep(0.001 if i % 10 else 0.03)  # some gaps longer than the debounce
    results = await asyncio.gather(*tasks)
    engine.worker.close()

    assert backend.max_running == 1
    assert engine.worker.max_active_jobs == 1
    assert backend.calls < 50  # coalesced: most never reached the model
    assert [r.status for r in results[:-1]].count("ok") == 0  # every older one was superseded
    assert results[-1].status in ("ok", "empty")
    assert engine.completed == 1
    assert engine.started == engine.completed + engine.cancelled
    assert all(f == "cancelled" for f in backend.finishes[:-1])


async def test_a_cancelled_request_frees_the_worker() -> None:
    backend = ScriptedBackend(tokens=100_000)  # would run for minutes unless cancelled
    engine = make_engine(backend)
    slow = asyncio.create_task(engine.complete("a.py", cursor_at_end(LINE)))
    assert await asyncio.to_thread(backend.started.wait, 5)
    slow.cancel()  # what pygls does on $/cancelRequest
    with contextlib.suppress(asyncio.CancelledError):
        await slow
    backend.tokens = 7  # "return " (cut by the token limit after a whole word: shown as "return")
    started = time.monotonic()
    answer = await asyncio.wait_for(engine.complete("b.py", cursor_at_end(LINE)), 5)
    engine.worker.close()

    assert answer.status == "ok" and answer.items == ["return"]
    assert time.monotonic() - started < 2
    assert backend.finishes[0] == "cancelled"
    assert engine.cancelled == 1 and engine.worker.active_jobs == 0
    statuses = [entry["status"] for entry in engine.history]
    assert statuses == ["cancelled", "ok"]  # the cancelled job is still recorded, with timings


async def test_typing_through_a_suggestion_does_not_call_the_model() -> None:
    # The script ends its line, so the token limit (its finish reason) cuts no name.
    backend = ScriptedBackend("return r * r\n")
    engine = make_engine(backend)
    first = await engine.complete("doc", cursor_at_end(LINE))
    assert first.items == ["return r * r"] and backend.calls == 1

    typed = await engine.complete("doc", cursor_at_end(LINE + "retu"))
    again = await engine.complete("doc", cursor_at_end(LINE))  # back again: the LRU answers
    engine.worker.close()

    assert typed.status == "cached" and typed.items == ["rn r * r"]
    assert again.status == "cached" and again.items == ["return r * r"]
    assert backend.calls == 1
    assert [e["status"] for e in engine.history] == ["ok", "cached", "cached"]


async def test_repository_context_stays_the_same_while_typing_in_one_block(
    tmp_path: Path,
) -> None:
    (tmp_path / "geometry.py").write_text("def circle_area(r):\n    return 3.14 * r * r\n")
    main = tmp_path / "main.py"
    head = "from geometry import circle_area\n\n\ndef report(r):\n    "
    main.write_text(head)
    retriever = CountingRetriever(tmp_path, use_cache=False)
    retriever.build()
    backend = ScriptedBackend("x", tokens=1)
    engine = make_engine(backend, retriever)
    for typed in ["a", "ar", "are", "area = c", "area = circle_area(r)"]:
        await engine.complete("doc", cursor_at_end(head + typed, main))
    far = head + "pass\n" * 40 + "    "  # another block of lines
    await engine.complete("doc", cursor_at_end(far, main))
    engine.worker.close()

    contexts = [r.context for r in backend.requests]
    assert contexts[0], "the test needs some repository context"
    assert all(c == contexts[0] for c in contexts[1:5])  # the keystrokes in the first block
    assert retriever.selects == 2  # once per block of lines, not once per keystroke


class RecordingBackend(ScriptedBackend):
    """Remembers each job's cancel token so a test can read what the engine told it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens_seen: list[CancelToken] = []

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        self.tokens_seen.append(cancel)
        return super().complete(request, cancel)


async def _superseded_token(second: Cursor) -> CancelToken:
    backend = RecordingBackend(tokens=100_000)
    engine = make_engine(backend)
    first = asyncio.create_task(engine.complete("doc", cursor_at_end(LINE + "x")))
    assert await asyncio.to_thread(backend.started.wait, 5)
    backend.tokens = 3
    await asyncio.wait_for(engine.complete("doc", second), 5)
    with contextlib.suppress(asyncio.CancelledError):
        await first
    engine.worker.close()
    return backend.tokens_seen[0]


async def test_a_job_replaced_by_a_key_on_its_line_is_told_to_finish_the_line_start() -> None:
    token = await _superseded_token(cursor_at_end(LINE + "xy"))
    assert token.cancelled and token.finish_line_start


async def test_a_job_replaced_by_a_request_elsewhere_stops_at_once() -> None:
    token = await _superseded_token(cursor_at_end(LINE + "x\n    y"))
    assert token.cancelled and not token.finish_line_start


async def test_a_suggestion_cut_by_the_token_limit_keeps_its_whole_lines() -> None:
    backend = ScriptedBackend(answer="total = 0\n    for x in xs:\n        total += weigh(x")
    engine = make_engine(backend)
    answer = await engine.complete("doc", cursor_at_end(LINE), multiline=True)
    engine.worker.close()
    assert backend.finishes == ["length"]
    assert answer.items == ["total = 0"]  # the for loop lost its only (unfinished) line


async def test_a_request_in_another_document_supersedes_the_running_one() -> None:
    backend = ScriptedBackend(tokens=100_000)  # would run for minutes unless superseded
    engine = make_engine(backend)
    left = asyncio.create_task(engine.complete("a.py", cursor_at_end(LINE)))
    assert await asyncio.to_thread(backend.started.wait, 5)
    backend.tokens = 7  # "return ": the token limit cuts after a whole word
    here = await asyncio.wait_for(engine.complete("b.py", cursor_at_end(LINE)), 5)
    behind = await asyncio.wait_for(left, 5)
    engine.worker.close()

    assert behind.status == "superseded" and not behind.items
    assert here.status == "ok" and here.items == ["return"]
    assert backend.finishes[0] == "cancelled"
