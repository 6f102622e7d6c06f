"""How fast a model suggests here: measured for the embedded model, scaled for the others.

The yardstick is the embedded default model (Gemma 3 270M), measured here at doctor time in a
child process, or, without it, the speed `bench latency` measured for it on a 2-core x86 VM,
scaled by this machine's cores. Every registry model's speed is estimated from the yardstick by
the work a token costs:

- prompt tokens: ≈ 2 FLOPs per non-embedding parameter (Kaplan et al. 2020, "Scaling Laws for
  Neural Language Models", §2.1); embedding rows are looked up, not multiplied, and llama.cpp
  computes logits only for the last prompt position, so the vocabulary does not count;
- generated tokens: every weight is read and multiplied once per token, the output layer (the
  vocabulary) included, so the cost follows the total parameter count.

Both are first-order estimates for the CPU: they ignore quantization kernels and cache effects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .llama_backend import physical_cores
from .registry import RegistryEntry

TYPICAL_PROMPT_TOKENS = 1500
"""A first suggestion at a new place: context + file window (issue measurements: 700–1,800)."""
TYPICAL_GENERATED_TOKENS = 16
"""About one line of code."""
MAX_SLOWDOWN = 2.0
"""A recommended model's first suggestion may take this many times the embedded model's..."""
TYPING_BUDGET_MS = 2000.0
"""...or, where that is longer, this long: the default `deadlineMs` of a suggestion."""

# Gemma 3 270M: 270M parameters, 170M of them embeddings (Google's Gemma 3 270M announcement).
EMBEDDED_PARAMS_B = 0.27
EMBEDDED_NON_EMBEDDING_PARAMS_B = 0.10

# The embedded model on 2 cores of an x86 VM with no other load (`repofill bench latency`):
# 2.2 ms per prompt token, 16 ms per generated token.
_REFERENCE_CORES = 2
_REFERENCE_PROMPT_MS = 2.2
_REFERENCE_GENERATE_MS = 16.0


@dataclass(frozen=True)
class Speed:
    """Milliseconds per prompt token and per generated token on this machine."""

    prompt_ms_per_token: float
    generate_ms_per_token: float

    def first_suggestion_ms(
        self,
        prompt_tokens: int = TYPICAL_PROMPT_TOKENS,
        generated_tokens: int = TYPICAL_GENERATED_TOKENS,
    ) -> float:
        """A suggestion whose whole prompt is new (nothing reused from the KV cache), in ms."""
        return (
            prompt_tokens * self.prompt_ms_per_token + generated_tokens * self.generate_ms_per_token
        )

    def describe(self) -> str:
        return (
            f"{self.prompt_ms_per_token:.1f} ms/prompt token, "
            f"{self.generate_ms_per_token:.0f} ms/token, "
            f"first suggestion ~{self.first_suggestion_ms() / 1000:.1f} s"
        )


@dataclass(frozen=True)
class Yardstick:
    """The embedded model's speed here, and where that number came from."""

    speed: Speed
    source: str
    """`measured` (at doctor time) or `assumed` (the reference scaled by cores)."""

    def estimate(self, entry: RegistryEntry) -> Speed:
        """A registry model's speed, scaled from the embedded model's by parameter counts."""
        prompt_ratio = entry.compute_params_b / EMBEDDED_NON_EMBEDDING_PARAMS_B
        generate_ratio = entry.params_b / EMBEDDED_PARAMS_B
        return Speed(
            self.speed.prompt_ms_per_token * prompt_ratio,
            self.speed.generate_ms_per_token * generate_ratio,
        )

    def limit_ms(self) -> float:
        """The longest first suggestion a recommended model may take here, in ms."""
        return max(MAX_SLOWDOWN * self.speed.first_suggestion_ms(), TYPING_BUDGET_MS)

    def fast_enough(self, entry: RegistryEntry) -> bool:
        """Its estimated first suggestion takes at most `limit_ms()`."""
        return self.estimate(entry).first_suggestion_ms() <= self.limit_ms()


def assumed_yardstick(cores: int) -> Yardstick:
    """The reference measurement scaled to `cores` (one backend thread per physical core)."""
    scale = _REFERENCE_CORES / max(1, cores)
    return Yardstick(
        Speed(_REFERENCE_PROMPT_MS * scale, _REFERENCE_GENERATE_MS * scale),
        f"assumed from {cores} core(s)",
    )


_MEASURE_SCRIPT = """
import json, sys, time
from llama_cpp import Llama
threads = int(sys.argv[2])
llm = Llama(model_path=sys.argv[1], n_ctx=1024, n_threads=threads, n_threads_batch=threads,
            verbose=False)
text = b"def area(width: float, height: float) -> float:\\n    return width * height\\n" * 40
tokens = llm.tokenize(text, add_bos=True)[:512]
llm.eval(tokens[:8])  # warm-up: the first evaluation allocates buffers
llm.reset()
start = time.perf_counter()
llm.eval(tokens)
prompt_ms = (time.perf_counter() - start) * 1000 / len(tokens)
token = tokens[-1]
start = time.perf_counter()
for _ in range(16):
    llm.eval([token])
generate_ms = (time.perf_counter() - start) * 1000 / 16
print(json.dumps({"prompt_ms": prompt_ms, "generate_ms": generate_ms}))
"""


def measure_yardstick(model_path: Path, timeout_s: float = 120.0) -> Yardstick | None:
    """Time the embedded model here: 512 prompt tokens, then 16 single-token steps, with one
    thread per physical core as the backend runs it.

    Runs in a child process, so a broken llama.cpp build crashes there. None when it fails or
    takes over `timeout_s` seconds.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE_SCRIPT, str(model_path), str(physical_cores())],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        values = json.loads(done.stdout.strip().splitlines()[-1])
        speed = Speed(float(values["prompt_ms"]), float(values["generate_ms"]))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, IndexError):
        return None
    return Yardstick(speed, "measured")


def yardstick_here(measure: bool = True) -> Yardstick:
    """The embedded model measured here when installed and `measure`, else the assumed one."""
    if measure:
        from .embedded import embedded_model_path

        path = embedded_model_path()
        measured = measure_yardstick(path) if path is not None else None
        if measured is not None:
            return measured
    return assumed_yardstick(physical_cores())
