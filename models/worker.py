"""The model worker: one thread owns the backend (llama.cpp objects are not thread-safe).

Jobs run one at a time, in order. The engine cancels superseded jobs through their CancelToken; a
job cancelled before it starts is answered without touching the model.

Background jobs (pre-warm, lsp/prewarm.py) run at the lowest priority: only when no real job is
waiting, at most one at a time (a newer one replaces a queued or running older one), and a real
job submitted while one runs preempts it by cancelling its token, which the background job checks
between small chunks of work. How long a real job then waited for that chunk to end is kept in
`background_wait_ms` while the real job runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .types import Backend, CancelToken, Candidate, InfillRequest, ModelError, ModelInfo

log = logging.getLogger(__name__)

T = TypeVar("T")


class JobSkipped(Exception):
    """The job was cancelled before it started; the model never saw it."""


@dataclass
class _Job:
    run: Callable[[Backend], Any]
    cancel: CancelToken
    future: Future[Any] = field(default_factory=Future)
    background: bool = False
    preempted_at: float | None = None
    """When this real job preempted a running background job (`time.monotonic()`)."""


def _skip(job: _Job, reason: str) -> None:
    """Answer a queued job that will never run."""
    job.cancel.cancel(reason)
    if job.future.set_running_or_notify_cancel():
        job.future.set_exception(JobSkipped(reason))


class ModelWorker:
    """Loads the backend on its own thread, then serves jobs in order."""

    def __init__(self, factory: Callable[[], Backend], *, name: str = "repofill-model") -> None:
        self._factory = factory
        self._jobs: deque[_Job | None] = deque()
        self._cond = threading.Condition()
        self._background: _Job | None = None
        """The queued background job (at most one)."""
        self._running_background: _Job | None = None
        self._background_ended = 0.0
        self.background_wait_ms = 0.0
        """For the real job now running (read it on the worker thread): how long it waited for
        a preempted background job to reach the end of its chunk, in ms (0: it did not)."""
        self._backend: Backend | None = None
        self._error: ModelError | None = None
        self._loaded = threading.Event()
        self._busy = threading.Lock()
        self.active_jobs = 0
        self.max_active_jobs = 0
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    # -- state ------------------------------------------------------------------------------

    def wait_loaded(self, timeout: float | None = None) -> bool:
        return self._loaded.wait(timeout)

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    @property
    def error(self) -> ModelError | None:
        return self._error

    @property
    def info(self) -> ModelInfo | None:
        return self._backend.info if self._backend is not None else None

    def backend(self) -> Backend:
        """The loaded backend (for calls that are thread-safe, like counting tokens)."""
        self._loaded.wait()
        if self._backend is None:
            raise self._error or ModelError("the model is not loaded")
        return self._backend

    # -- jobs -------------------------------------------------------------------------------

    def submit(self, run: Callable[[Backend], T], cancel: CancelToken | None = None) -> Future[T]:
        """Queue a real job; it preempts any background job (queued or running)."""
        job = _Job(run=run, cancel=cancel or CancelToken())
        with self._cond:
            if self._preempt_locked():
                job.preempted_at = time.monotonic()
            self._jobs.append(job)
            self._cond.notify()
        return job.future

    def submit_background(
        self, run: Callable[[Backend], T], cancel: CancelToken | None = None
    ) -> Future[T]:
        """Queue a lowest-priority job that replaces the previous background job.

        It starts only when no real job is waiting. `run` must return soon after its token is
        cancelled (checked between chunks of work): a newer background job or a real one cancels
        it with reason `replaced` or `preempted`. A replaced job that had not started raises
        JobSkipped from its future.
        """
        job = _Job(run=run, cancel=cancel or CancelToken(), background=True)
        with self._cond:
            if self._background is not None:
                _skip(self._background, "replaced")
            if self._running_background is not None:
                self._running_background.cancel.cancel("replaced")
            self._background = job
            self._cond.notify()
        return job.future

    def preempt_background(self) -> bool:
        """Stop background work now, ahead of a real job about to be submitted.

        Returns whether a background job is still running (it stops at the end of its chunk)."""
        with self._cond:
            return self._preempt_locked()

    def _preempt_locked(self) -> bool:
        if self._background is not None:
            _skip(self._background, "preempted")
            self._background = None
        running = self._running_background
        if running is not None:
            running.cancel.cancel("preempted")
        return running is not None

    def complete(self, request: InfillRequest, cancel: CancelToken) -> Future[list[Candidate]]:
        return self.submit(lambda backend: backend.complete(request, cancel), cancel)

    def close(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._jobs.append(None)
            self._cond.notify()
        self._thread.join(timeout)

    def _next(self) -> _Job | None:
        """The next job: real ones first, in order; then the background job."""
        with self._cond:
            while not self._jobs and self._background is None:
                self._cond.wait()
            if self._jobs:
                return self._jobs.popleft()
            job, self._background = self._background, None
            self._running_background = job
            return job

    def _main(self) -> None:
        try:
            self._backend = self._factory()
        except ModelError as exc:
            self._error = exc
        except Exception as exc:  # a loader bug must still become a clear error
            log.exception("model failed to load")
            self._error = ModelError(f"the model failed to load: {exc}")
        finally:
            self._loaded.set()
        while True:
            job = self._next()
            if job is None:
                break
            try:
                self._run(job)
            finally:
                if job.background:
                    with self._cond:
                        self._running_background = None
                        self._background_ended = time.monotonic()
        if self._backend is not None:
            self._backend.close()

    def _run(self, job: _Job) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        if self._backend is None:
            job.future.set_exception(self._error or ModelError("the model is not loaded"))
            return
        if job.cancel.cancelled:
            job.future.set_exception(JobSkipped(job.cancel.reason))
            return
        if not job.background:
            waited = 0.0
            if job.preempted_at is not None:
                waited = max(0.0, self._background_ended - job.preempted_at)
            self.background_wait_ms = waited * 1000
        self.active_jobs += 1
        self.max_active_jobs = max(self.max_active_jobs, self.active_jobs)
        try:
            job.future.set_result(job.run(self._backend))
        except Exception as exc:
            log.exception("model job failed")
            job.future.set_exception(exc)
        finally:
            self.active_jobs -= 1
