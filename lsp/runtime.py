"""What a running server owns: settings, the model worker, the engine and the repository index.

Kept apart from the protocol. The engine is built by `factory.build_engine`, as the CLI's and the
benchmarks' are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pygls.uris import to_fs_path
from repofill.models.types import Backend, ModelError
from repofill.models.worker import ModelWorker
from repofill.retrieval import Retriever

from .engine import Engine
from .factory import Loader, backend_factory, build_engine
from .settings import Settings
from .watch import is_ignore_rules_file

log = logging.getLogger(__name__)

StateCallback = Callable[[str, str], None]
Progress = Callable[[int, int], None]

# didChange arrives per keystroke; the index only needs the document once typing pauses.
INDEX_UPDATE_DELAY_S = 0.5


class Runtime:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        factory: Callable[[Settings], Loader] = backend_factory,
        index: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        self._settings = settings or Settings()
        self._factory = factory
        self._index_enabled = index
        self._cache_dir = cache_dir
        self._engine: Engine | None = None
        self.retriever: Retriever | None = None
        self.state = "starting"
        self.state_message = ""
        self._on_state: StateCallback = lambda state, message: None
        self._timers: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings in force; they change only through `apply_settings`."""
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise ModelError("the server is not initialized yet")
        return self._engine

    def start(self, root: Path | None, *, on_state: StateCallback | None = None) -> None:
        """Load the model in the background; `start_index` builds the index."""
        if on_state is not None:
            self._on_state = on_state
        if root is not None and self._index_enabled:
            self.retriever = Retriever(root, self._cache_dir)
        self._engine = build_engine(self.settings, self.retriever, load=self._loader())
        self._set_state("starting", "loading the model")
        threading.Thread(target=self._await_model, name="repofill-load", daemon=True).start()

    def start_index(self, progress: Progress | None = None) -> None:
        """Build the repository index in the background (after the client's `initialized`)."""
        if self.retriever is not None:
            threading.Thread(
                target=self._build_index, args=(progress,), name="repofill-index", daemon=True
            ).start()

    def apply_settings(self, raw: Any) -> None:
        """Merge client settings (`initializationOptions`, `didChangeConfiguration`); they apply
        to the next request, and a different model is loaded in the background."""
        old = self._settings
        self._settings = old.merged(raw)
        if self._engine is None:
            return
        self._engine.apply_settings(self._settings)
        if _model_key(old) != _model_key(self.settings):
            previous = self._engine.worker
            self._engine.cancel_all()
            self._engine.worker = ModelWorker(self._loader())
            previous.close(timeout=0)
            self._set_state("starting", "loading the model")
            threading.Thread(target=self._await_model, name="repofill-load", daemon=True).start()
        elif self.state in ("ready", "disabled"):
            self._set_state("ready" if self.settings.enabled else "disabled", self.state_message)

    def _loader(self) -> Loader:
        load = self._factory(self.settings)

        def load_and_warm() -> Backend:
            backend = load()
            warm_up = getattr(backend, "warm_up", None)
            if callable(warm_up):
                warm_up()
            return backend

        return load_and_warm

    def _await_model(self) -> None:
        assert self._engine is not None
        self._engine.worker.wait_loaded()
        error = self._engine.worker.error
        if error is not None:
            log.error("%s", error)
            self._set_state("error", str(error))
        else:
            info = self._engine.worker.info
            self._set_state(
                "ready" if self.settings.enabled else "disabled", info.name if info else ""
            )

    def _build_index(self, progress: Progress | None) -> None:
        assert self.retriever is not None
        try:
            self.retriever.build(progress=progress)
        except Exception:
            log.exception(
                "indexing %s failed; completions go on without repository context",
                self.retriever.root,
            )

    def _set_state(self, state: str, message: str = "") -> None:
        self.state, self.state_message = state, message
        self._on_state(state, message)

    def shutdown(self) -> None:
        for timer in list(self._timers.values()):
            timer.cancel()
        if self._engine is not None:
            self._engine.cancel_all()
            self._engine.worker.close()
        if self.retriever is not None:
            try:
                self.retriever.save_cache()  # edits since the build, for a fast next start
            except Exception:
                log.warning("could not save the index cache", exc_info=True)

    # -- documents ----------------------------------------------------------------------------

    def document_changed(self, uri: str, text: str, *, now: bool = False) -> None:
        path = _path(uri)
        if self.retriever is None or path is None:
            return
        with self._lock:
            old = self._timers.pop(uri, None)
            if old is not None:
                old.cancel()
            if now:
                self._update(path, text)
                return
            timer = threading.Timer(INDEX_UPDATE_DELAY_S, self._update, args=(path, text))
            timer.daemon = True
            self._timers[uri] = timer
            timer.start()

    def document_closed(self, uri: str) -> None:
        with self._lock:
            timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()

    def file_event(self, uri: str, *, deleted: bool) -> None:
        path = _path(uri)
        if self.retriever is None or path is None:
            return
        if is_ignore_rules_file(path):
            self._schedule("ignore-rules", self.retriever.refresh_ignored)
            return
        try:
            if deleted:
                self.retriever.remove_file(path)
            else:
                self.retriever.update_file(path)
        except Exception:
            log.exception("index update for %s failed", path)

    def _schedule(self, key: str, job: Callable[[], None]) -> None:
        """Run `job` on a timer thread once events for `key` pause (a `git add` of many files
        changes the index many times)."""

        def run() -> None:
            try:
                job()
            except Exception:
                log.exception("%s failed", key)

        with self._lock:
            old = self._timers.pop(key, None)
            if old is not None:
                old.cancel()
            timer = threading.Timer(INDEX_UPDATE_DELAY_S, run)
            timer.daemon = True
            self._timers[key] = timer
            timer.start()

    def _update(self, path: Path, text: str) -> None:
        try:
            assert self.retriever is not None
            self.retriever.update_file(path, text)
        except Exception:
            log.exception("index update for %s failed", path)

    def model_state(self) -> str:
        """`loading` (the model is being loaded or connected), `loaded`, `failed` (the message
        says why), or `none` (the server is not initialized yet)."""
        engine = self._engine
        if engine is None:
            return "none"
        worker = engine.worker
        if not worker.loaded:
            return "loading"
        return "failed" if worker.error is not None else "loaded"

    def stats(self) -> dict[str, Any]:
        """Recent requests with their timing breakdown (`repofill.stats`, used by benchmarks)."""
        engine = self._engine
        if engine is None:
            return {"requests": [], "cacheHits": 0, "maxActiveJobs": 0}
        return {
            "requests": list(engine.history),  # one C-level copy under the GIL
            "cacheHits": engine.cache.hits,
            "maxActiveJobs": engine.worker.max_active_jobs,
            "prewarm": engine.prewarmer.summary(),
        }

    def status(self) -> dict[str, Any]:
        engine = self._engine
        info = engine.worker.info if engine is not None else None
        return {
            "requests": {
                "started": engine.started if engine else 0,
                "completed": engine.completed if engine else 0,
                "cancelled": engine.cancelled if engine else 0,
            },
            "state": self.state,
            "message": self.state_message,
            "modelState": self.model_state(),
            "model": info.name if info else "",
            "family": info.family if info else "",
            "indexedFiles": self.retriever.file_count if self.retriever is not None else 0,
        }


def _model_key(settings: Settings) -> tuple[object, ...]:
    """The settings that need the model reloaded when they change."""
    s = settings
    return (
        s.backend,
        s.modelPath,
        s.model,
        s.remoteUrl,
        s.remoteApiKeyEnv,
        s.remoteModel,
        s.remoteFimFormat,
        s.remoteTimeoutMs,
        s.nGpuLayers,
        s.flashAttn,
        s.kvCacheType,
        s.threads,
    )


def _path(uri: str) -> Path | None:
    fs = to_fs_path(uri)
    return Path(fs) if fs else None
