from pathlib import Path

import pytest
from repofill.lsp.runtime import backend_factory, llama_options
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


def test_changed_settings_drop_cached_suggestions(tmp_path: Path) -> None:
    from repofill.lsp.runtime import Runtime

    runtime = Runtime(index=False, factory=lambda settings: lambda: _NoModel())
    runtime.start(None)
    engine = runtime.engine
    engine.cache.store("a.py", "x = ", "\n", ["1\n2"])
    runtime.apply_settings({"maxLines": 1})
    assert runtime.engine.cache.lookup("a.py", "x = ", "\n") is None
    runtime.engine.cache.store("a.py", "x = ", "\n", ["1"])
    runtime.apply_settings({"maxLines": 1})  # no change: the cache stays
    assert runtime.engine.cache.lookup("a.py", "x = ", "\n") == ["1"]
    runtime.shutdown()


class _NoModel:
    def __init__(self) -> None:
        raise ModelError("no model in this test")


def test_status_says_loading_until_the_model_is_loaded() -> None:
    """`repofill.status` tells a model still loading from no model (`modelState`)."""
    import threading

    from repofill.lsp.runtime import Runtime

    release = threading.Event()

    def slow_load() -> _NoModel:
        release.wait(10)
        return _NoModel()  # raises: the load fails once released

    runtime = Runtime(index=False, factory=lambda settings: slow_load)
    assert runtime.status()["modelState"] == "none"
    runtime.start(None)
    status = runtime.status()
    assert (status["state"], status["modelState"], status["model"]) == ("starting", "loading", "")
    release.set()
    runtime.engine.worker.wait_loaded(10)
    for _ in range(100):  # the state is set by the thread that awaits the load
        if runtime.state == "error":
            break
        threading.Event().wait(0.02)
    status = runtime.status()
    assert (status["state"], status["modelState"]) == ("error", "failed")
    assert "no model in this test" in status["message"]
    runtime.shutdown()
