"""How many threads llama.cpp should use for the next request, from what else keeps the CPU busy.

llama.cpp's threads meet at a barrier after every matrix multiply and spin while they wait, so a
thread that shares its core with another busy process stalls all of them. Measured on 2 cores
with one other CPU-bound process: 2 threads ran 48 ms per generated token and 4.9 ms per prompt
token, 1 thread 21 ms and 4.1 ms (quiet: 16 ms and 2.2 ms with 2 threads). So the policy is one
thread per core that other processes leave free, and never fewer than one.

The load is read from Linux's `/proc/stat` (all CPUs' busy time) minus `/proc/self/stat` (this
process's own time, its llama.cpp threads included) between two requests. Elsewhere, or when
`/proc` cannot be read, every core is used.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
MIN_INTERVAL_S = 0.2
"""Shorter intervals say too little (the kernel counts in clock ticks, 10 ms each)."""


@dataclass(frozen=True)
class CpuTimes:
    """Seconds of CPU time: all CPUs busy, this process, and the wall clock when read."""

    busy_s: float
    own_s: float
    wall_s: float


def read_cpu_times() -> CpuTimes | None:
    """The counters now; None where `/proc` is not there (macOS, Windows)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
        with open("/proc/self/stat", encoding="ascii") as f:
            own = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # cpu user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    values = [int(v) for v in fields[1:9]]
    busy = sum(values) - values[3] - values[4]
    # After the command name: state(0) ... utime(11) stime(12), in clock ticks.
    own_ticks = int(own[11]) + int(own[12])
    return CpuTimes(busy / _CLOCK_TICKS, own_ticks / _CLOCK_TICKS, time.monotonic())


def other_busy_cores(before: CpuTimes, after: CpuTimes) -> float:
    """Cores' worth of CPU that other processes used between two readings."""
    wall = after.wall_s - before.wall_s
    if wall <= 0:
        return 0.0
    others = (after.busy_s - before.busy_s) - (after.own_s - before.own_s)
    return max(0.0, others / wall)


def threads_for(cores: int, busy_elsewhere: float) -> int:
    """One thread per core that others leave free (a core counts as taken from half busy)."""
    return max(1, min(cores, cores - int(busy_elsewhere + 0.5)))


class ThreadPolicy:
    """Picks the thread count before each request (`Settings.threads` = `auto`).

    `choose()` compares the CPU counters with those of the previous call; calls closer together
    than MIN_INTERVAL_S keep the previous answer. `read` is injectable for tests.
    """

    def __init__(self, cores: int, read: Callable[[], CpuTimes | None] = read_cpu_times) -> None:
        self.cores = max(1, cores)
        self._read = read
        self._last = read()
        self._threads = self.cores
        self.busy_elsewhere = 0.0
        """Cores' worth used by other processes over the last interval measured."""

    def choose(self) -> int:
        now = self._read()
        if now is None or self._last is None:
            return self._threads
        if now.wall_s - self._last.wall_s >= MIN_INTERVAL_S:
            self.busy_elsewhere = other_busy_cores(self._last, now)
            self._threads = threads_for(self.cores, self.busy_elsewhere)
            self._last = now
        return self._threads
