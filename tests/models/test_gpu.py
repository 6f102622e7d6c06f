"""GPU offload: checked for real where llama.cpp was built with a GPU backend, skipped elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from repofill.models.gpu import gpu_backends, gpu_offload_supported
from repofill.models.llama_backend import LlamaBackend, LlamaOptions


def test_cpu_only_settings_never_offload(embedded_model: Path) -> None:
    backend = LlamaBackend(embedded_model, options=LlamaOptions(n_gpu_layers=0, n_ctx=256))
    try:
        assert backend.info.gpu_offload is False
    finally:
        backend.close()


@pytest.mark.skipif(not gpu_offload_supported(), reason="llama.cpp was built without GPU offload")
def test_all_layers_offload_by_default_on_a_gpu_build(embedded_model: Path) -> None:
    assert gpu_backends(), "a GPU build should name its backend"
    backend = LlamaBackend(embedded_model, options=LlamaOptions(n_ctx=256))
    try:
        assert backend.info.gpu_offload is True
    finally:
        backend.close()
