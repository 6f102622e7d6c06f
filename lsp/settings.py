"""User settings (docs/protocol.md), parsed leniently: a bad value falls back to its default."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

log = logging.getLogger(__name__)

Multiline = Literal["auto", "always", "never"]
# `_coerce` accepts only these values for the settings named here.


@dataclass(frozen=True)
class Settings:
    enabled: bool = True
    modelPath: str = ""
    model: str = ""
    maxLines: int = 8
    multiline: Multiline = "auto"
    maxTokens: int = 64
    deadlineMs: int = 2000
    languages: tuple[str, ...] = field(default=())
    contextBudget: int = 512
    candidates: int = 1
    strategy: str = "auto"
    """`auto`, `greedy`, `rerank` or `fim` (lsp/strategies.py)."""
    debounceMs: int = 20
    backend: str = "local"
    """`local` (llama.cpp in-process), `llama-server` or `openai` (remote, models/remote.py)."""
    remoteUrl: str = ""
    remoteApiKeyEnv: str = ""
    remoteModel: str = ""
    remoteTimeoutMs: int = 10_000
    remoteFimFormat: str = "auto"
    nGpuLayers: int = -1
    """-1: every layer when llama.cpp can offload; 0: CPU only; N: the first N layers."""
    flashAttn: bool = False
    kvCacheType: str = "f16"
    threads: str = "auto"
    """llama.cpp threads: `auto` (chosen per request from the CPU load, models/threads.py) or a
    number as a string ("4"); a JSON number is accepted too."""
    holeCandidates: int = 4
    """Fill this hole: candidates generated per request (the first greedy, the rest sampled)."""
    verify: bool = False
    """Fill this hole: run the tests that exercise the function against each candidate."""
    verifyTimeoutMs: int = 10_000

    def merged(self, raw: Any) -> Settings:
        """A copy with the valid keys of `raw` applied; unknown keys and bad values are logged."""
        if not isinstance(raw, dict):
            return self
        if isinstance(raw.get("repofill"), dict):
            raw = raw["repofill"]
        changes: dict[str, Any] = {}
        for f in fields(self):
            if f.name not in raw:
                continue
            value = _coerce(f.name, raw[f.name], getattr(self, f.name))
            if value is not None:
                changes[f.name] = value
        return replace(self, **changes)

    def language_enabled(self, language_id: str) -> bool:
        return not self.languages or language_id in self.languages


_CHOICES: dict[str, tuple[str, ...]] = {
    "multiline": ("auto", "always", "never"),
    "backend": ("local", "llama-server", "openai"),
    "kvCacheType": ("f16", "q8_0", "q4_0"),
    "strategy": ("auto", "greedy", "rerank", "fim"),
}


def _threads(value: Any) -> str | None:
    """`auto`, or a positive whole number of threads (as a number or a string)."""
    if value == "auto":
        return "auto"
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and value >= 1:
        return str(value)
    return None


def _coerce(name: str, value: Any, current: Any) -> Any:
    try:
        if isinstance(current, bool):
            if isinstance(value, bool):
                return value
        elif isinstance(current, int):
            floor = -1 if name == "nGpuLayers" else 0
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= floor:
                return int(value)
        elif isinstance(current, tuple):
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
        elif name == "threads":
            threads = _threads(value)
            if threads is not None:
                return threads
        elif name in _CHOICES:
            if value in _CHOICES[name]:
                return value
        elif isinstance(current, str) and isinstance(value, str):
            return value
    except (TypeError, ValueError):
        pass
    log.warning("ignoring setting repofill.%s=%r (invalid value)", name, value)
    return None
