"""llama.cpp's log goes to Python logging, not to stderr, and a failed load says why."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from repofill.models import llama_log
from repofill.models.llama_backend import LlamaBackend, LlamaOptions
from repofill.models.types import ModelError


def test_loading_the_embedded_model_writes_nothing_to_stderr(
    embedded_model: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="repofill.llama_cpp")
    backend = LlamaBackend(embedded_model, options=LlamaOptions(n_ctx=1024, n_gpu_layers=0))
    backend.close()
    assert capfd.readouterr().err == ""
    records = [r for r in caplog.records if r.name == "repofill.llama_cpp"]
    assert records, "llama.cpp logged nothing while loading a model"
    # Gemma 3's sliding-window cache note is a llama.cpp warning: INFO here, not an error.
    swa = [r for r in records if "SWA cache" in r.getMessage()]
    assert swa and all(r.levelno == logging.INFO for r in swa)
    assert not [r for r in records if r.levelno >= logging.ERROR]


def test_a_corrupt_model_fails_with_llama_cpp_s_reason(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file at all\n" * 64)
    with pytest.raises(ModelError, match=r"could not load the model.*llama.cpp: gguf.*magic"):
        LlamaBackend(bad, options=LlamaOptions(n_ctx=256, n_gpu_layers=0))
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("ggml_level", "expected"),
    [
        (llama_log.GGML_DEBUG, logging.DEBUG),
        (llama_log.GGML_INFO, logging.DEBUG),
        (llama_log.GGML_WARN, logging.INFO),
        (llama_log.GGML_ERROR, logging.ERROR),
    ],
)
def test_ggml_levels_map_to_logging_levels_and_continuations_keep_theirs(
    ggml_level: int, expected: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="repofill.llama_cpp")
    llama_log._handle(ggml_level, b"first part\n")
    llama_log._handle(llama_log.GGML_CONT, b"...continued\n")
    llama_log._handle(llama_log.GGML_CONT, b"\n")  # an empty continuation logs nothing
    got = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "repofill.llama_cpp"]
    assert got == [(expected, "first part"), (expected, "...continued")]


def test_errors_inside_capture_errors_are_kept_for_the_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="repofill.llama_cpp")
    with llama_log.capture_errors() as errors:
        llama_log._handle(llama_log.GGML_ERROR, b"gguf_init_from_reader: invalid magic\n")
        llama_log._handle(llama_log.GGML_WARN, b"a warning\n")
    llama_log._handle(llama_log.GGML_ERROR, b"after the block\n")
    assert errors == ["gguf_init_from_reader: invalid magic"]
    levels = {r.getMessage(): r.levelno for r in caplog.records}
    assert levels["gguf_init_from_reader: invalid magic"] == logging.DEBUG
    assert levels["after the block"] == logging.ERROR
