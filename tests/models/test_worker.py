"""The model worker with a scripted backend: ordering, cancellation and load errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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


# -- background (pre-warm) jobs --------------------------------------------------------------


def _chunks(
    done: list[int], cancel: CancelToken, chunks: int = 100, step: float = 0.02
) -> Callable[[object], str]:
    """A background job: `chunks` chunks of `step` s, checking its token between chunks."""

    def run(_backend: object) -> str:
        for _ in range(chunks):
            if cancel.cancelled:
                return f"stopped: {cancel.reason}"
            time.sleep(step)
            done.append(1)
        return "finished"

    return run


def test_a_real_job_preempts_a_running_background_job_within_one_chunk() -> None:
    worker = ModelWorker(lambda: SlowBackend(tokens=1, step=0))
    worker.wait_loaded()
    done: list[int] = []
    cancel = CancelToken()
    background = worker.submit_background(_chunks(done, cancel, chunks=100, step=0.05), cancel)
    time.sleep(0.2)  # it is running
    waits: list[float] = []

    def real(_backend: object) -> int:
        waits.append(worker.background_wait_ms)
        return len(done)

    started = time.monotonic()
    chunks_before_real = worker.submit(real).result(5)
    assert background.result(5) == "stopped: preempted"
    assert time.monotonic() - started < 1.0  # one 50 ms chunk, not the 5 s job
    assert chunks_before_real < 100 and len(done) == chunks_before_real  # never resumed
    assert 0 < waits[0] <= 1000  # the real job's wait for the chunk end, in ms
    # A later real job, with no background job running, waited for none.
    worker.submit(real).result(5)
    assert waits[1] == 0
    worker.close()


def test_a_background_job_waits_for_every_queued_real_job() -> None:
    backend = SlowBackend(tokens=10, step=0.01)
    worker = ModelWorker(lambda: backend)
    order: list[str] = []
    reals = [worker.submit(lambda _b, i=i: order.append(f"real {i}")) for i in range(3)]
    cancel = CancelToken()
    background = worker.submit_background(lambda _b: order.append("background"), cancel)
    for future in reals:
        future.result(5)
    background.result(5)
    assert order == ["real 0", "real 1", "real 2", "background"]
    worker.close()


def test_a_newer_background_job_replaces_the_queued_and_the_running_one() -> None:
    worker = ModelWorker(lambda: SlowBackend(tokens=1, step=0))
    worker.wait_loaded()
    done: list[int] = []
    first_cancel, second_cancel, third_cancel = CancelToken(), CancelToken(), CancelToken()
    first = worker.submit_background(_chunks(done, first_cancel), first_cancel)
    time.sleep(0.1)  # running
    blocker = threading.Event()
    # a real job holds the worker, so the next background job stays queued
    real = worker.submit(lambda _b: blocker.wait(5))
    second = worker.submit_background(_chunks(done, second_cancel, chunks=1), second_cancel)
    third = worker.submit_background(_chunks(done, third_cancel, chunks=1), third_cancel)
    blocker.set()
    real.result(5)
    assert first.result(5) == "stopped: preempted"
    with pytest.raises(JobSkipped, match="replaced"):
        second.result(5)
    assert third.result(5) == "finished"
    fourth_cancel, fifth_cancel = CancelToken(), CancelToken()
    fourth = worker.submit_background(_chunks(done, fourth_cancel), fourth_cancel)
    time.sleep(0.1)
    fifth = worker.submit_background(_chunks(done, fifth_cancel, chunks=1), fifth_cancel)
    assert fourth.result(5) == "stopped: replaced"
    assert fifth.result(5) == "finished"
    assert worker.max_active_jobs == 1  # never two at once
    worker.close()
