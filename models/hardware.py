"""How much memory this machine has for a model, and the largest registry model that fits."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass

from .registry import DEFAULT_N_CTX, RegistryEntry, registry_entries

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
    entry: RegistryEntry | None
    budget: int
    where: str
    """`GPU` (dedicated memory), `unified memory`, or `RAM`."""

    def line(self) -> str:
        gb = self.budget / 1e9
        if self.entry is None:
            return (
                f"no registry model fits the {gb:.1f} GB of {self.where} this machine can spare; "
                "use the embedded default model or a remote server (backend setting)"
            )
        need = self.entry.memory_bytes() / 1e9
        return (
            f"{self.entry.name} (needs ~{need:.1f} GB at {DEFAULT_N_CTX} tokens of context; "
            f"{gb:.1f} GB of {self.where} available): `repofill models pull {self.entry.name}`"
        )


def recommend(memory: Memory, gpu_offload: bool, n_ctx: int = DEFAULT_N_CTX) -> Recommendation:
    """The largest registry model whose estimated memory fits what the machine can spare.

    With a GPU build and a dedicated card the model should fit in VRAM (all layers offloaded);
    otherwise it runs from RAM (Apple's unified memory counts as RAM).
    """
    if gpu_offload and memory.vram_total > 0:
        budget, where = int(memory.vram_total * VRAM_SHARE), "GPU memory"
    elif memory.unified:
        budget, where = int(memory.ram_total * RAM_SHARE), "unified memory"
    else:
        budget, where = int(min(memory.ram_available, memory.ram_total * RAM_SHARE)), "RAM"
    fitting = [e for e in registry_entries() if e.memory_bytes(n_ctx) <= budget]
    best = max(fitting, key=lambda e: (e.params_b, e.file_size_gb), default=None)
    return Recommendation(best, budget, where)
