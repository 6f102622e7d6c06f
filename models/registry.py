"""Named models on the Hugging Face hub, resolved from the local HF cache only (no network here).

Downloading (`repofill models pull`) is the only place that reaches the hub; resolution never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .types import ModelError


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    repo_id: str
    filename: str
    family: str
    context_length: int


REGISTRY: dict[str, RegistryEntry] = {
    entry.name: entry
    for entry in (
        RegistryEntry(
            "qwen2.5-coder-1.5b",
            "ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF",
            "qwen2.5-coder-1.5b-q8_0.gguf",
            "qwen",
            32768,
        ),
    )
}


def registry_entry(name: str) -> RegistryEntry:
    entry = REGISTRY.get(name)
    if entry is None:
        known = ", ".join(sorted(REGISTRY)) or "none"
        raise ModelError(
            f"unknown model name {name!r} (known: {known}); use --model-path FILE.gguf for any other GGUF"
        )
    return entry


def cached_registry_path(name: str) -> Path:
    """The downloaded file for a registry name, from the HF cache; never downloads."""
    entry = registry_entry(name)
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id=entry.repo_id, filename=entry.filename)
    if isinstance(found, str) and Path(found).is_file():
        return Path(found)
    raise ModelError(
        f"model {name!r} is not downloaded: run `repofill models pull {name}`, "
        "or use --model-path FILE.gguf"
    )
