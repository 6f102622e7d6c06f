"""The thread count follows the CPU load that other processes leave (models/threads.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from repofill.models.llama_backend import LlamaBackend, LlamaOptions
from repofill.models.threads import (
    MIN_INTERVAL_S,
    CpuTimes,
    ThreadPolicy,
    other_busy_cores,
    read_cpu_times,
    threads_for,
)
from repofill.models.types import CancelToken, InfillRequest

from tests.models.conftest import TinyGguf


@pytest.mark.parametrize(
    ("cores", "busy", "threads"),
    [(2, 0.0, 2), (2, 0.3, 2), (2, 0.6, 1), (2, 1.0, 1), (2, 3.0, 1), (8, 2.2, 6), (1, 0.9, 1)],
)
def test_one_thread_per_core_that_others_leave(cores: int, busy: float, threads: int) -> None:
    assert threads_for(cores, busy) == threads


def test_this_process_own_time_is_not_load() -> None:
    before = CpuTimes(busy_s=10.0, own_s=4.0, wall_s=100.0)
    after = CpuTimes(busy_s=12.0, own_s=5.5, wall_s=101.0)  # 2 cores' worth, 1.5 of it ours
    assert other_busy_cores(before, after) == pytest.approx(0.5)
    assert other_busy_cores(after, after) == 0.0


def _readings(*values: tuple[float, float, float]) -> Iterator[CpuTimes | None]:
    for busy, own, wall in values:
        yield CpuTimes(busy, own, wall)


def test_policy_follows_the_load_and_ignores_too_short_intervals() -> None:
    readings = _readings(
        (0.0, 0.0, 0.0),  # at start
        (1.5, 0.0, 1.0),  # 1.5 cores busy elsewhere: 1 thread
        (1.5, 0.0, 1.0 + MIN_INTERVAL_S / 2),  # too soon: keep 1
        (1.7, 0.1, 2.0),  # almost nothing else: 2 threads
    )
    policy = ThreadPolicy(2, read=lambda: next(readings))
    assert policy.choose() == 1
    assert policy.busy_elsewhere == pytest.approx(1.5)
    assert policy.choose() == 1
    assert policy.choose() == 2


def test_without_proc_every_core_is_used() -> None:
    policy = ThreadPolicy(4, read=lambda: None)
    assert policy.choose() == 4


def test_a_busy_process_is_seen_as_load() -> None:
    if read_cpu_times() is None:
        pytest.skip("no /proc here")
    policy = ThreadPolicy(2)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.0)
        policy.choose()
    finally:
        busy.kill()
        busy.wait()
    # At least most of one core went to the busy loop (anything else running only adds to it).
    assert policy.busy_elsewhere >= 0.5


def test_the_backend_runs_with_the_policy_threads(tiny_gguf: TinyGguf) -> None:
    tiny_gguf_path = tiny_gguf("qwen")
    backend = LlamaBackend(tiny_gguf_path, options=LlamaOptions(n_ctx=512, n_gpu_layers=0))
    try:
        readings = _readings((0.0, 0.0, 0.0), (1.6, 0.0, 1.0), (1.6, 0.0, 2.0))
        backend._thread_policy = ThreadPolicy(2, read=lambda: next(readings))
        request = InfillRequest(prefix="def f():\n    return ", suffix="", max_tokens=4)
        busy = backend.complete(request, CancelToken())
        assert busy[0].timings.threads == 1 and backend.threads == 1
        quiet = backend.complete(request, CancelToken())
        assert quiet[0].timings.threads == 2
        assert quiet[0].text == busy[0].text  # greedy: the thread count changes no tokens
    finally:
        backend.close()


def test_a_fixed_thread_count_is_kept(tiny_gguf: TinyGguf) -> None:
    tiny_gguf_path = tiny_gguf("qwen")
    options = LlamaOptions(n_ctx=512, n_gpu_layers=0, n_threads=1)
    backend = LlamaBackend(tiny_gguf_path, options=options)
    try:
        assert backend._thread_policy is None
        request = InfillRequest(prefix="x = ", suffix="", max_tokens=2)
        assert backend.complete(request, CancelToken())[0].timings.threads == 1
    finally:
        backend.close()
