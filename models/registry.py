"""Named models on the Hugging Face hub, resolved from the local HF cache only (no network here).

The table lives in `registry.json` beside this module (with where each fact came from).
Downloading (`repofill models pull`, models/download.py) is the only place that reaches the hub;
resolution never does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .types import ModelError

_DATA = Path(__file__).with_name("registry.json")
_GB = 1_000_000_000
# llama.cpp's compute buffers and runtime overhead on top of the weights and the KV cache.
_OVERHEAD_BYTES = 300 * 1024 * 1024
DEFAULT_N_CTX = 4096


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    repo_id: str
    filename: str
    family: str
    """FIM format name (models/fim.py FORMATS)."""
    context_length: int
    params_b: float = 0.0
    non_embedding_params_b: float = 0.0
    """Parameters outside the token embeddings (billions); 0 when unknown (registry.json says how
    each was found)."""
    quant: str = ""
    file_size_gb: float = 0.0
    """Size the hub displays (decimal GB, rounded)."""
    n_layer: int = 0
    n_kv_head: int = 0
    head_dim: int = 0
    source: str = ""

    @property
    def compute_params_b(self) -> float:
        """Billions of parameters a prompt token is multiplied by: non-embedding when known."""
        return self.non_embedding_params_b or self.params_b

    @property
    def file_size_bytes(self) -> int:
        return int(self.file_size_gb * _GB)

    def kv_cache_bytes(self, n_ctx: int = DEFAULT_N_CTX, bytes_per_value: float = 2.0) -> int:
        """K and V for every layer at `n_ctx` tokens (f16 by default; q8_0 ≈ 1.06, q4_0 ≈ 0.56)."""
        return int(2 * self.n_layer * self.n_kv_head * self.head_dim * n_ctx * bytes_per_value)

    def memory_bytes(self, n_ctx: int = DEFAULT_N_CTX) -> int:
        """Approximate memory to run it: weights + f16 KV cache at `n_ctx` + runtime overhead."""
        return self.file_size_bytes + self.kv_cache_bytes(n_ctx) + _OVERHEAD_BYTES


def _load(path: Path) -> dict[str, RegistryEntry]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    fields = set(RegistryEntry.__dataclass_fields__)
    entries = [
        RegistryEntry(**{k: v for k, v in item.items() if k in fields}) for item in raw["models"]
    ]
    return {entry.name: entry for entry in entries}


@lru_cache(maxsize=1)
def _registry() -> dict[str, RegistryEntry]:
    return _load(_DATA)


REGISTRY: dict[str, RegistryEntry] = _registry()


def registry_entries() -> list[RegistryEntry]:
    """Every entry, smallest model first."""
    return sorted(REGISTRY.values(), key=lambda e: (e.file_size_gb, e.name))


def registry_entry(name: str) -> RegistryEntry:
    entry = REGISTRY.get(name)
    if entry is None:
        known = ", ".join(sorted(REGISTRY)) or "none"
        raise ModelError(
            f"unknown model name {name!r} (known: {known}); "
            "use --model-path FILE.gguf for any other GGUF"
        )
    return entry


def hub_cache_dir() -> Path:
    """The HF hub cache, read from the environment now (huggingface_hub reads it once at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def cached_path(entry: RegistryEntry) -> Path | None:
    """The downloaded file for an entry, from the HF cache; None when it is not there."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        repo_id=entry.repo_id, filename=entry.filename, cache_dir=hub_cache_dir()
    )
    if isinstance(found, str) and Path(found).is_file():
        return Path(found)
    return None


def cached_registry_path(name: str) -> Path:
    """The downloaded file for a registry name, from the HF cache; never downloads."""
    entry = registry_entry(name)
    found = cached_path(entry)
    if found is not None:
        return found
    raise ModelError(
        f"model {name!r} is not downloaded: run `repofill models pull {name}`, "
        "or use --model-path FILE.gguf"
    )
