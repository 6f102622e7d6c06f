from pathlib import Path

from repofill.lsp.runtime import Runtime
from repofill.models.types import ModelError


def test_changed_settings_drop_cached_suggestions(tmp_path: Path) -> None:
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


def test_an_engine_held_before_a_settings_change_sees_the_change() -> None:
    """Settings reach the engine when they change, not when `Runtime.engine` is next read."""
    runtime = Runtime(index=False, factory=lambda settings: lambda: _NoModel())
    runtime.start(None)
    engine = runtime.engine
    runtime.apply_settings({"maxLines": 3, "enabled": False})
    assert (engine.settings.maxLines, engine.settings.enabled) == (3, False)
    assert runtime.settings is engine.settings
    runtime.shutdown()


def test_settings_before_start_are_the_engines_settings() -> None:
    runtime = Runtime(index=False, factory=lambda settings: lambda: _NoModel())
    runtime.apply_settings({"repofill": {"maxTokens": 9}})  # initializationOptions
    runtime.start(None)
    assert runtime.engine.settings.maxTokens == 9
    runtime.shutdown()


class _NoModel:
    def __init__(self) -> None:
        raise ModelError("no model in this test")


def test_status_says_loading_until_the_model_is_loaded() -> None:
    """`repofill.status` tells a model still loading from no model (`modelState`)."""
    import threading

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
