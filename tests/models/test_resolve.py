from pathlib import Path

import pytest
from repofill.models import resolve
from repofill.models.types import ModelError


def test_explicit_path_wins(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    found = resolve.resolve_model(str(model), "qwen2.5-coder-1.5b")
    assert found.path == model and found.source == "explicit path"


def test_missing_explicit_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found"):
        resolve.resolve_model(str(tmp_path / "missing.gguf"))


def test_unknown_registry_name_says_how_to_use_a_path() -> None:
    with pytest.raises(ModelError, match="--model-path"):
        resolve.resolve_model(None, "no-such-model")


def test_registry_name_not_downloaded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="repofill models pull"):
        resolve.resolve_model(None, "qwen2.5-coder-1.5b")


def test_no_model_anywhere_names_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolve, "embedded_model_path", lambda: None)
    with pytest.raises(ModelError) as info:
        resolve.resolve_model()
    message = str(info.value)
    assert "--model-path" in message and "default-model" in message


def test_embedded_default(embedded_model: Path) -> None:
    found = resolve.resolve_model()
    assert found.source == "embedded default" and found.path == embedded_model
