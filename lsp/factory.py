"""The one place that turns settings into a working engine: model backend, model worker, engine.

The server (`runtime.py`), the CLI (`cli_commands.py`) and the benchmarks (`repofill bench ...`) all
build their engine here, so a setting means the same thing in each of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, replace

from repofill.models.llama_backend import LlamaBackend, LlamaOptions
from repofill.models.remote import make_remote_backend
from repofill.models.resolve import resolve_model
from repofill.models.types import Backend
from repofill.models.worker import ModelWorker
from repofill.retrieval import Retriever

from .engine import Engine
from .settings import Settings

log = logging.getLogger(__name__)

Loader = Callable[[], Backend]
"""Loads (or connects) a model backend; the model worker calls it on its own thread."""


def llama_options(
    settings: Settings, *, seed: int = 0, n_ctx: int | None = None, reuse_kv: bool = True
) -> LlamaOptions:
    """llama.cpp options from the settings (GPU layers, flash attention, KV-cache type, threads).

    `seed`, `n_ctx` (tokens; None: LlamaOptions' default) and `reuse_kv` are not user settings:
    benchmarks set them to repeat a run or to measure a baseline.
    """
    options = LlamaOptions(
        n_gpu_layers=None if settings.nGpuLayers < 0 else settings.nGpuLayers,
        flash_attn=settings.flashAttn,
        kv_cache_type=settings.kvCacheType,
        n_threads=None if settings.threads == "auto" else int(settings.threads),
        seed=seed,
        reuse_kv=reuse_kv,
    )
    return options if n_ctx is None else replace(options, n_ctx=n_ctx)


def load_backend(settings: Settings, options: LlamaOptions | None = None) -> Backend:
    """The model the settings name, loaded: the remote server for `backend` other than `local`,
    else the GGUF that `modelPath` / `model` / the embedded default resolve to
    (models/resolve.py), with `options` (default: `llama_options(settings)`).

    Raises ModelError when the model cannot be found, loaded or configured.
    """
    if settings.backend != "local":
        return make_remote_backend(asdict(settings))
    resolved = resolve_model(settings.modelPath or None, settings.model or None)
    log.info("loading model %s (%s)", resolved.path, resolved.reason)
    return LlamaBackend(
        resolved.path, source=resolved.source, options=options or llama_options(settings)
    )


def backend_factory(settings: Settings, options: LlamaOptions | None = None) -> Loader:
    """`load_backend(settings, options)`, deferred: the model worker runs it on its thread."""
    return lambda: load_backend(settings, options)


def build_engine(
    settings: Settings,
    retriever: Retriever | None = None,
    *,
    load: Loader | None = None,
    options: LlamaOptions | None = None,
    worker: ModelWorker | None = None,
) -> Engine:
    """An engine for `settings`, with repository context from `retriever` (None: none).

    The model is loaded on a new model worker's thread by `load` (default:
    `backend_factory(settings, options)`); `engine.worker.backend()` waits for it. `worker`
    instead shares another engine's model worker (its model, already loaded or loading).
    """
    if worker is None:
        worker = ModelWorker(load or backend_factory(settings, options))
    elif load is not None or options is not None:
        raise ValueError("build_engine: a shared worker has its model already; no load/options")
    return Engine(worker, settings, retriever)
