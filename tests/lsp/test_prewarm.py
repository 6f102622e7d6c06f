"""Pre-warm at a resting cursor (lsp/prewarm.py) with a scripted backend: not timed."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from repofill.lsp.engine import Engine
from repofill.lsp.settings import Settings
from repofill.models.types import CancelToken, InfillRequest, PrewarmResult
from repofill.models.worker import ModelWorker
from repofill.retrieval import Retriever

from .test_speed_behaviour import ScriptedBackend, cursor_at_end

CHUNK_S = 0.03


class PrewarmingBackend(ScriptedBackend):
    """Pre-warms `chunks` chunks of CHUNK_S seconds, checking its token between chunks."""

    def __init__(self, chunks: int = 10, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.chunks = chunks
        self.prewarmed: list[InfillRequest] = []
        self.prewarm_started = threading.Event()

    def prewarm(self, request: InfillRequest, cancel: CancelToken) -> PrewarmResult:
        self.prewarmed.append(request)
        self.prewarm_started.set()
        for done in range(self.chunks):
            if cancel.cancelled:
                return PrewarmResult(self.chunks, done, done, stopped=True)
            time.sleep(CHUNK_S)
        return PrewarmResult(self.chunks, self.chunks, self.chunks)


def make_engine(backend: ScriptedBackend, retriever: Retriever | None = None) -> Engine:
    settings = Settings(debounceMs=0, contextBudget=256 if retriever else 0, deadlineMs=0)
    return Engine(ModelWorker(lambda: backend), settings, retriever)


def _project(tmp_path: Path) -> tuple[Retriever, Path, str]:
    (tmp_path / "geometry.py").write_text("def circle_area(r):\n    return 3.14 * r * r\n")
    main = tmp_path / "main.py"
    head = "from geometry import circle_area\n\n\ndef report(r):\n    "
    main.write_text(head)
    retriever = Retriever(tmp_path, use_cache=False)
    retriever.build()
    return retriever, main, head


async def test_the_prewarmed_prompt_is_the_prompt_of_the_next_request_there(
    tmp_path: Path,
) -> None:
    retriever, main, head = _project(tmp_path)
    backend = PrewarmingBackend(chunks=1, answer="x", tokens=1)
    engine = make_engine(backend, retriever)
    future = engine.prewarm(cursor_at_end(head, main))
    assert future is not None
    result = await asyncio.wrap_future(future)
    await engine.complete("doc", cursor_at_end(head, main))
    engine.worker.close()

    [warm] = backend.prewarmed
    real, *fallback = backend.requests  # "x" is rejected here: the fallback branches follow
    assert all(r.branch_ranks for r in fallback)
    assert warm.context and warm.context == real.context  # the same repository context
    same = ("prefix", "suffix", "path", "repo_name", "language", "mode")
    assert [getattr(warm, f) for f in same] == [getattr(real, f) for f in same]
    assert result.stable_tokens == 1 and not result.stopped
    summary = engine.prewarmer.summary()
    assert summary["requested"] == 1 and summary["finished"] == 1


async def test_a_real_request_preempts_a_prewarm_and_reports_its_wait() -> None:
    backend = PrewarmingBackend(chunks=1000, answer="return r\n")  # 30 s unless preempted
    engine = make_engine(backend)
    warm = engine.prewarm(cursor_at_end("def f(r):\n    "))
    assert warm is not None
    assert await asyncio.to_thread(backend.prewarm_started.wait, 5)
    started = time.monotonic()
    answer = await asyncio.wait_for(engine.complete("doc", cursor_at_end("def f(r):\n    ")), 5)
    result = await asyncio.wrap_future(warm)
    engine.worker.close()

    assert answer.status == "ok" and answer.items == ["return r"]
    assert time.monotonic() - started < 2
    assert result.stopped and result.evaluated_tokens < 1000
    [entry] = engine.history
    assert entry["prewarm_wait_ms"] >= 0 and "prewarm_wait_ms" in entry
    assert engine.prewarmer.summary()["stopped"] == 1


async def test_a_newer_place_replaces_the_prewarm_of_the_older_one() -> None:
    backend = PrewarmingBackend(chunks=1000)
    engine = make_engine(backend)
    first = engine.prewarm(cursor_at_end("def f(r):\n    "))
    assert first is not None
    assert await asyncio.to_thread(backend.prewarm_started.wait, 5)
    backend.chunks = 1
    second = engine.prewarm(cursor_at_end("def g(s):\n    "))
    assert second is not None
    old, new = await asyncio.wrap_future(first), await asyncio.wrap_future(second)
    engine.worker.close()
    assert old.stopped and not new.stopped
    assert [r.prefix for r in backend.prewarmed] == ["def f(r):\n    ", "def g(s):\n    "]


async def test_no_prewarm_for_a_secrets_file_or_while_disabled() -> None:
    backend = PrewarmingBackend(chunks=1)
    engine = make_engine(backend)
    assert engine.prewarm(cursor_at_end("KEY=", Path("/project/.env"))) is None
    engine.apply_settings(Settings(enabled=False))
    assert engine.prewarm(cursor_at_end("def f():\n    ")) is None
    engine.worker.close()
    assert backend.prewarmed == []
    assert engine.prewarmer.summary()["skipped"] == 2
