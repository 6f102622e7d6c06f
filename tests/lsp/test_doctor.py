from pathlib import Path

import pytest
from repofill.lsp import doctor
from repofill.models.registry import registry_entries


def test_doctor_passes_on_a_complete_install(
    embedded_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert doctor.run() == 0
    out = capsys.readouterr().out
    assert "llama.cpp evaluates the model" in out and "embedded" in out


def test_doctor_fails_without_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.run(model_path=str(tmp_path / "missing.gguf")) == 1
    assert "model file not found" in capsys.readouterr().out


def test_a_file_llama_cannot_evaluate_is_reported(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 100)
    check = doctor.evaluation_check(str(bogus))
    assert not check.ok and check.required


def test_doctor_shows_every_registry_models_estimated_speed() -> None:
    found = {check.name: check for check in doctor.recommendation_checks(measure=False)}
    speeds = found["estimated speed"].detail
    assert "embedded default (assumed from" in speeds
    for entry in registry_entries():
        assert f"{entry.name}: " in speeds
    assert "ms/prompt token" in speeds and "first suggestion ~" in speeds
    assert "first suggestion here" in found["recommended model"].detail
