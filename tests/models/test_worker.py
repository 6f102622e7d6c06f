"""The model worker with a scripted backend: ordering, cancellation and load errors."""

from __future__ import annotations

import threading
import time

import pytest
from repofill.models.types import CancelToken, Candidate, InfillRequest, ModelError, ModelInfo
from repofill.models.worker import JobSkipped, ModelWorker


class SlowBackend:
    """Generates one token per `step` seconds, checking the cancel flag between tokens."""

    def __init__(self, tokens: int = 50, step: float = 0.01) -> None:
        self.tokens, self.step = tokens, step
        self.calls = 0
        self.thread_ids: set[int] = set()

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("slow", "", "none", 128, False, "test")

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        self.calls += 1
        self.thread_ids.add(threading.get_ident())
        text = ""
        for _ in range(self.tokens):
            if cancel.cancelled:
                return [Candidate(text, "cancelled")]
            time.sleep(self.step)
            text += "x"
        return [Candidate(text, "length")]

    def close(self) -> None:
        pass


def test_jobs_run_on_one_thread_in_order() -> None:
    backend = SlowBackend(tokens=2, step=0)
    worker = ModelWorker(lambda: backend)
    futures = [worker.complete(InfillRequest("a", ""), CancelToken()) for _ in range(5)]
    assert [f.result(5)[0].text for f in futures] == ["xx"] * 5
    assert len(backend.thread_ids) == 1 and threading.get_ident() not in backend.thread_ids
    assert worker.max_active_jobs == 1
    worker.close()


def test_cancel_stops_a_running_job_between_tokens_and_frees_the_worker() -> None:
    backend = SlowBackend(tokens=1000, step=0.01)  # 10 s if not stopped
    worker = ModelWorker(lambda: backend)
    worker.wait_loaded()
    cancel = CancelToken()
    running = worker.complete(InfillRequest("a", ""), cancel)
    time.sleep(0.1)
    cancel.cancel()
    result = running.result(5)
    assert result[0].finish_reason == "cancelled" and len(result[0].text) < 1000
    quick = SlowBackend(tokens=1, step=0)
    backend.tokens, backend.step = quick.tokens, quick.step
    assert worker.complete(InfillRequest("b", ""), CancelToken()).result(5)[0].text == "x"
    worker.close()


def test_a_job_cancelled_before_it_starts_never_reaches_the_model() -> None:
    backend = SlowBackend(tokens=30, step=0.01)
    worker = ModelWorker(lambda: backend)
    first = worker.complete(InfillRequest("a", ""), CancelToken())
    stale = CancelToken()
    second = worker.complete(InfillRequest("b", ""), stale)
    stale.cancel("superseded")
    assert first.result(5)[0].finish_reason == "length"
    with pytest.raises(JobSkipped, match="superseded"):
        second.result(5)
    assert backend.calls == 1
    worker.close()


def test_a_model_that_fails_to_load_answers_every_job_with_its_error() -> None:
    def broken() -> SlowBackend:
        raise ModelError("model file not found: /nope.gguf")

    worker = ModelWorker(broken)
    assert worker.wait_loaded(5)
    assert "not found" in str(worker.error)
    with pytest.raises(ModelError, match="not found"):
        worker.complete(InfillRequest("a", ""), CancelToken()).result(5)
    worker.close()
