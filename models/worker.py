"""The model worker: one thread owns the backend (llama.cpp objects are not thread-safe).

Jobs run one at a time. The engine cancels superseded jobs through their CancelToken; a job
cancelled before it starts is answered without touching the model.
"""

from __future__ import annotations

import logging
import queue
import threading
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


class ModelWorker:
    """Loads the backend on its own thread, then serves jobs in order."""

    def __init__(self, factory: Callable[[], Backend], *, name: str = "repofill-model") -> None:
        self._factory = factory
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
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
        job = _Job(run=run, cancel=cancel or CancelToken())
        self._jobs.put(job)
        return job.future

    def complete(self, request: InfillRequest, cancel: CancelToken) -> Future[list[Candidate]]:
        return self.submit(lambda backend: backend.complete(request, cancel), cancel)

    def close(self, timeout: float = 5.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

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
            job = self._jobs.get()
            if job is None:
                break
            if not job.future.set_running_or_notify_cancel():
                continue
            if self._backend is None:
                job.future.set_exception(self._error or ModelError("the model is not loaded"))
                continue
            if job.cancel.cancelled:
                job.future.set_exception(JobSkipped(job.cancel.reason))
                continue
            self.active_jobs += 1
            self.max_active_jobs = max(self.max_active_jobs, self.active_jobs)
            try:
                job.future.set_result(job.run(self._backend))
            except Exception as exc:
                log.exception("model job failed")
                job.future.set_exception(exc)
            finally:
                self.active_jobs -= 1
        if self._backend is not None:
            self._backend.close()
