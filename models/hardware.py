"""How much memory this machine has for a model, and the registry model to recommend for it."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass

from .llama_backend import physical_cores
from .registry import DEFAULT_N_CTX, RegistryEntry, registry_entries
from .speed import (
    MAX_SLOWDOWN,
    TYPICAL_PROMPT_TOKENS,
    TYPING_BUDGET_MS,
    Speed,
    Yardstick,
    assumed_yardstick,
)

# Leave room for the OS, the editor and the language server itself.
RAM_SHARE = 0.6
VRAM_SHARE = 0.9


@dataclass(frozen=True)
class Memory:
    ram_total: int
    ram_available: int
    vram_total: int = 0
    """Dedicated GPU memory (largest card); 0 when none was found or memory is unified (Apple)."""
    gpu_name: str = ""
    unified: bool = False
    """Apple silicon: the GPU uses system RAM."""


def _meminfo() -> tuple[int, int]:
    values: dict[str, int] = {}
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            values[key] = int(rest.split()[0]) * 1024
    total = values.get("MemTotal", 0)
    return total, values.get("MemAvailable", total)


def _sysconf_ram() -> tuple[int, int]:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0, 0
    total = int(pages * size)
    try:
        available = int(os.sysconf("SC_AVPHYS_PAGES") * size)
    except (ValueError, OSError):
        available = total
    return total, available or total


def system_ram() -> tuple[int, int]:
    """(total, available) bytes of RAM."""
    if os.path.exists("/proc/meminfo"):
        try:
            return _meminfo()
        except (OSError, ValueError):
            pass
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "hw.memsize"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            )
            total = int(out.stdout.strip())
            # macOS reclaims file cache on demand: most of the RAM is usable by a model.
            return total, int(total * 0.75)
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    return _sysconf_ram()


def nvidia_vram() -> tuple[int, str]:
    """(bytes, name) of the largest NVIDIA GPU, from nvidia-smi; (0, "") without one."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0, ""
    try:
        out = subprocess.run(
            [smi, "--query-gpu=memory.total,name", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return 0, ""
    return parse_nvidia_smi(out.stdout)


def parse_nvidia_smi(text: str) -> tuple[int, str]:
    best = (0, "")
    for line in text.strip().splitlines():
        mib, _, name = line.partition(",")
        try:
            size = int(float(mib.strip()) * 1024 * 1024)
        except ValueError:
            continue
        if size > best[0]:
            best = (size, name.strip())
    return best


def detect() -> Memory:
    total, available = system_ram()
    unified = platform.system() == "Darwin" and platform.machine() == "arm64"
    vram, name = (0, "") if unified else nvidia_vram()
    return Memory(total, available, vram, name, unified)


@dataclass(frozen=True)
class Recommendation:
    """The registry model to pull on this machine (None: keep the embedded one), and why."""

    entry: RegistryEntry | None
    budget: int
    """Bytes of memory the model may use."""
    where: str
    """`GPU` (dedicated memory), `unified memory`, or `RAM`."""
    yardstick: Yardstick | None = None
    """The speed rule's yardstick; None when the model runs on a GPU (chosen by memory alone)."""
    too_slow: tuple[str, ...] = ()
    """Models that fit the memory but whose first suggestion would exceed the speed rule."""

    def speed_of(self, entry: RegistryEntry) -> Speed | None:
        """The estimated CPU speed of a registry model; None on a GPU."""
        return self.yardstick.estimate(entry) if self.yardstick is not None else None

    def line(self) -> str:
        gb = self.budget / 1e9
        why_speed = ""
        if self.yardstick is not None:
            why_speed = (
                f"; the embedded model's first suggestion here ~"
                f"{self.yardstick.speed.first_suggestion_ms() / 1000:.1f} s "
                f"({self.yardstick.source}), so at most ~{self.yardstick.limit_ms() / 1000:.1f} s"
                f" (the larger of {MAX_SLOWDOWN:g}x that and {TYPING_BUDGET_MS / 1000:g} s) for a "
                f"{TYPICAL_PROMPT_TOKENS}-token prompt"
            )
            if self.too_slow:
                why_speed += f"; too slow here: {', '.join(self.too_slow)}"
        if self.entry is None:
            if self.too_slow:
                return (
                    f"the embedded default model: every registry model that fits the {gb:.1f} GB "
                    f"of {self.where} would be too slow here{why_speed}; "
                    "a GPU or a remote server (backend setting) runs larger models at typing speed"
                )
            return (
                f"no registry model fits the {gb:.1f} GB of {self.where} this machine can spare; "
                "use the embedded default model or a remote server (backend setting)"
            )
        need = self.entry.memory_bytes() / 1e9
        speed = self.speed_of(self.entry)
        estimate = f", estimated {speed.describe()}" if speed is not None else ""
        return (
            f"{self.entry.name}, the largest that fits and is fast enough "
            f"(needs ~{need:.1f} GB at {DEFAULT_N_CTX} tokens of context; {gb:.1f} GB of "
            f"{self.where} available{estimate}{why_speed}): "
            f"`repofill models pull {self.entry.name}`"
        )


def recommend(
    memory: Memory,
    gpu_offload: bool,
    n_ctx: int = DEFAULT_N_CTX,
    yardstick: Yardstick | None = None,
) -> Recommendation:
    """The largest registry model that fits what the machine can spare and suggests fast enough.

    With a GPU build and a dedicated card the model should fit in VRAM (all layers offloaded) and
    is chosen by memory alone. Otherwise it runs from RAM (Apple's unified memory counts as RAM)
    on the CPU, and must also pass the speed rule: its estimated first suggestion (a
    TYPICAL_PROMPT_TOKENS prompt) at most MAX_SLOWDOWN × the embedded model's or
    TYPING_BUDGET_MS, whichever is longer (`Yardstick.limit_ms`), with the embedded model measured
    or assumed by `yardstick` (default: assumed from this machine's cores; models/speed.py).
    """
    on_gpu = gpu_offload and memory.vram_total > 0
    if on_gpu:
        budget, where = int(memory.vram_total * VRAM_SHARE), "GPU memory"
    elif memory.unified:
        budget, where = int(memory.ram_total * RAM_SHARE), "unified memory"
    else:
        budget, where = int(min(memory.ram_available, memory.ram_total * RAM_SHARE)), "RAM"
    fitting = [e for e in registry_entries() if e.memory_bytes(n_ctx) <= budget]
    rule: Yardstick | None = None
    too_slow: list[str] = []
    if not on_gpu:
        rule = yardstick if yardstick is not None else assumed_yardstick(physical_cores())
        too_slow = [e.name for e in fitting if not rule.fast_enough(e)]
        fitting = [e for e in fitting if e.name not in too_slow]
    best = max(fitting, key=lambda e: (e.params_b, e.file_size_gb), default=None)
    return Recommendation(best, budget, where, rule, tuple(too_slow))
