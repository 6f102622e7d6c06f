"""lsp/factory.py: settings → model backend → model worker → engine."""

from pathlib import Path

import pytest
from repofill.lsp.factory import backend_factory, build_engine, llama_options
from repofill.lsp.settings import Settings
from repofill.models.remote import RemoteBackend
from repofill.models.types import ModelError


def test_remote_backend_is_chosen_by_settings() -> None:
    settings = Settings().merged({"backend": "openai", "remoteUrl": "http://127.0.0.1:9"})
    backend = backend_factory(settings)()
    assert isinstance(backend, RemoteBackend)
    backend.close()


def test_remote_backend_without_url_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="remoteUrl"):
        backend_factory(Settings().merged({"backend": "llama-server"}))()


def test_local_backend_with_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found"):
        backend_factory(Settings().merged({"modelPath": str(tmp_path / "x.gguf")}))()


def test_gpu_settings_become_llama_options() -> None:
    assert llama_options(Settings()).n_gpu_layers is None  # all layers when offload exists
    options = llama_options(
        Settings().merged({"nGpuLayers": 12, "flashAttn": True, "kvCacheType": "q8_0"})
    )
    assert (options.n_gpu_layers, options.flash_attn, options.kv_cache_type) == (12, True, "q8_0")
    assert llama_options(Settings().merged({"kvCacheType": "fp4"})).kv_cache_type == "f16"


def test_benchmark_options_beside_the_settings() -> None:
    settings = Settings().merged({"threads": "3"})
    options = llama_options(settings, seed=7, n_ctx=512, reuse_kv=False)
    assert (options.n_threads, options.seed, options.n_ctx, options.reuse_kv) == (3, 7, 512, False)
    assert llama_options(Settings()).n_threads is None  # `auto`: chosen per request
    assert llama_options(Settings()).n_ctx == 4096


def test_an_engine_loads_its_model_on_its_worker() -> None:
    settings = Settings().merged({"backend": "openai", "remoteUrl": "http://127.0.0.1:9"})
    engine = build_engine(settings)
    try:
        assert isinstance(engine.worker.backend(), RemoteBackend)
        assert engine.settings is settings and engine.retriever is None
    finally:
        engine.worker.close()


def test_a_missing_model_is_the_workers_error(tmp_path: Path) -> None:
    engine = build_engine(Settings().merged({"modelPath": str(tmp_path / "x.gguf")}))
    try:
        with pytest.raises(ModelError, match="model file not found"):
            engine.worker.backend()
    finally:
        engine.worker.close()


def test_engines_can_share_one_model_worker() -> None:
    settings = Settings().merged({"backend": "openai", "remoteUrl": "http://127.0.0.1:9"})
    first = build_engine(settings)
    try:
        second = build_engine(Settings(contextBudget=0), worker=first.worker)
        assert second.worker is first.worker and second.settings.contextBudget == 0
        with pytest.raises(ValueError, match="shared worker"):
            build_engine(settings, worker=first.worker, options=llama_options(settings))
    finally:
        first.worker.close()
