"""Pre-warm where the cursor rests (`repofill/didMoveCursor`, docs/protocol.md).

When the cursor rests at a new place, the prompt there is almost all new to the KV cache: the
first suggestion pays for evaluating all of it (seconds on a CPU). The stable part of that prompt,
the repository context and the prefix up to the start of the cursor's line, is the same for
every request the user then makes on that line, so it is evaluated ahead, while the user reads:

- the context is selected exactly as a real request at that place selects it
  (`Engine.stable_context`, kept per block of lines), so the prompts match;
- the request is built with `Engine.build_request` for the strategy an automatic request uses;
- the backend evaluates it as a background job of the model worker (models/worker.py): lowest
  priority, at most one (a newer place replaces an older one), preempted by any real job at the
  end of its current chunk (about 135 ms of work for the in-process backend,
  models/timed_chunks.py). What it evaluated stays in the cache; the real request reuses it.

Backends without a `prewarm` method (and remote OpenAI-compatible servers) do nothing.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import asdict
from typing import Any, Protocol, runtime_checkable

from repofill.models.types import Backend, CancelToken, InfillRequest, PrewarmResult
from repofill.models.worker import JobSkipped, ModelWorker
from repofill.retrieval.exclusion import is_secret
from repofill.retrieval.types import Context, Cursor

from .postprocess import decide_multiline
from .settings import Settings
from .strategies import Plan, choose, plan

log = logging.getLogger(__name__)


@runtime_checkable
class Prewarmable(Protocol):
    """A backend that can evaluate a prompt's stable part ahead of a request."""

    def prewarm(self, request: InfillRequest, cancel: CancelToken) -> PrewarmResult: ...


class PromptBuilder(Protocol):
    """What pre-warming needs of the engine (`Engine` is one): its settings, its model worker,
    and the prompt it would build."""

    @property
    def settings(self) -> Settings: ...

    @property
    def worker(self) -> ModelWorker: ...

    def stable_context(self, cursor: Cursor, backend: Backend) -> Context: ...

    def build_request(
        self,
        cursor: Cursor,
        context: Context,
        *,
        multiline: bool,
        max_lines: int,
        plan: Plan,
        backend: Backend,
    ) -> InfillRequest: ...


class Prewarmer:
    """Queues pre-warm jobs for an engine and counts what they did (`repofill.stats`)."""

    def __init__(self, engine: PromptBuilder) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.requested = 0
        self.skipped = 0
        """Replaced or preempted before they started, or nothing to do (backend, settings)."""
        self.finished = 0
        """Ran to the end of the stable part (or found it cached)."""
        self.stopped = 0
        """Preempted or replaced midway: the real request reuses the part evaluated."""
        self.evaluated_tokens = 0
        self.last: PrewarmResult | None = None

    def request(self, cursor: Cursor) -> Future[PrewarmResult] | None:
        """Pre-warm the prompt for `cursor` (any thread); None when there is nothing to do.

        Nothing is done while completion is disabled or for a document that holds a secret
        (never sent to a model). The future raises JobSkipped when a newer job came first."""
        engine = self._engine
        with self._lock:
            self.requested += 1
        if not engine.settings.enabled or is_secret(cursor.path, cursor.text):
            self._skip()
            return None
        cancel = CancelToken()
        future = engine.worker.submit_background(lambda b: self._run(b, cursor, cancel), cancel)
        future.add_done_callback(self._done)
        return future

    def build(self, backend: Backend, cursor: Cursor) -> InfillRequest:
        """The request an automatic completion at `cursor` would send (worker thread only)."""
        engine = self._engine
        chosen = choose(engine.settings.strategy, backend.info.family, explicit=False)
        context = engine.stable_context(cursor, backend)
        multiline = decide_multiline(
            cursor.prefix, cursor.suffix, cursor.language, engine.settings.multiline
        )
        return engine.build_request(
            cursor,
            context,
            plan=plan(chosen, items=1),
            multiline=multiline,
            max_lines=max(1, engine.settings.maxLines),
            backend=backend,
        )

    def _run(self, backend: Backend, cursor: Cursor, cancel: CancelToken) -> PrewarmResult:
        if not isinstance(backend, Prewarmable):
            return PrewarmResult()
        request = self.build(backend, cursor)
        if cancel.cancelled:
            return PrewarmResult(stopped=True)
        return backend.prewarm(request, cancel)

    def _done(self, future: Future[PrewarmResult]) -> None:
        if future.cancelled():
            self._skip()
            return
        error = future.exception()
        if isinstance(error, JobSkipped):
            self._skip()
            return
        if error is not None:
            log.warning("pre-warm failed: %s", error)
            self._skip()
            return
        result = future.result()
        with self._lock:
            self.last = result
            self.evaluated_tokens += result.evaluated_tokens
            if result.stopped:
                self.stopped += 1
            elif result.stable_tokens:
                self.finished += 1
            else:
                self.skipped += 1

    def _skip(self) -> None:
        with self._lock:
            self.skipped += 1

    def summary(self) -> dict[str, Any]:
        """`repofill.stats`' `prewarm` object: counts, and the last pre-warm's token counts."""
        with self._lock:
            return {
                "requested": self.requested,
                "finished": self.finished,
                "stopped": self.stopped,
                "skipped": self.skipped,
                "evaluatedTokens": self.evaluated_tokens,
                "last": asdict(self.last) if self.last is not None else None,
            }
