from __future__ import annotations

import pytest
from repofill.models import hardware
from repofill.models.hardware import Memory, parse_nvidia_smi, recommend
from repofill.models.registry import registry_entries, registry_entry
from repofill.models.speed import (
    MAX_SLOWDOWN,
    TYPING_BUDGET_MS,
    Speed,
    Yardstick,
    assumed_yardstick,
)

GB = 1_000_000_000


def test_this_machine_has_ram() -> None:
    total, available = hardware.system_ram()
    assert total > 512 * 1024 * 1024
    assert 0 < available <= total


def test_nvidia_smi_output_picks_the_largest_card() -> None:
    text = "8192, NVIDIA GeForce RTX 3070\n24576, NVIDIA GeForce RTX 4090\n"
    size, name = parse_nvidia_smi(text)
    assert size == 24576 * 1024 * 1024 and name == "NVIDIA GeForce RTX 4090"
    assert parse_nvidia_smi("") == (0, "")
    assert parse_nvidia_smi("[N/A], weird\n") == (0, "")


# A CPU so fast that every registry model passes the speed rule: memory alone decides.
WORKSTATION = Yardstick(Speed(0.001, 0.01), "test: fast CPU")


@pytest.mark.parametrize(
    ("ram_gb", "expected"),
    [
        (1, None),
        (4, "starcoder2-3b"),
        (8, "qwen2.5-coder-3b"),
        (24, "qwen2.5-coder-7b"),
    ],
)
def test_cpu_machine_gets_the_largest_model_that_fits_its_ram(
    ram_gb: int, expected: str | None
) -> None:
    memory = Memory(ram_gb * GB, ram_gb * GB)
    rec = recommend(memory, gpu_offload=False, yardstick=WORKSTATION)
    assert (rec.entry.name if rec.entry else None) == expected
    if rec.entry is not None:
        assert rec.entry.memory_bytes() <= rec.budget
        bigger = [e for e in registry_entries() if e.params_b > rec.entry.params_b]
        assert all(e.memory_bytes() > rec.budget for e in bigger)
        assert f"repofill models pull {rec.entry.name}" in rec.line()
    else:
        assert "embedded" in rec.line()


def test_gpu_card_budget_is_vram_not_ram() -> None:
    small_card = Memory(64 * GB, 60 * GB, vram_total=4 * GB, gpu_name="card")
    rec = recommend(small_card, gpu_offload=True)
    assert rec.where == "GPU memory"
    assert rec.entry is not None and rec.entry.memory_bytes() <= 4 * GB * hardware.VRAM_SHARE
    # The same machine with a CPU-only llama.cpp build sizes by RAM instead.
    on_cpu = recommend(small_card, gpu_offload=False, yardstick=WORKSTATION)
    assert on_cpu.entry is not None and on_cpu.entry.name == "qwen2.5-coder-7b"


def test_low_available_ram_limits_the_choice() -> None:
    busy = Memory(32 * GB, 3 * GB)
    rec = recommend(busy, gpu_offload=False, yardstick=WORKSTATION)
    assert rec.budget == 3 * GB
    assert rec.entry is not None and rec.entry.memory_bytes() <= 3 * GB


def test_two_cores_without_a_gpu_keep_the_embedded_model() -> None:
    """This machine's kind (2 cores, 24 GB, no GPU): RAM fits the 7B models, speed does not."""
    laptop = Memory(24 * GB, 22 * GB)
    yardstick = assumed_yardstick(cores=2)
    embedded_s = yardstick.speed.first_suggestion_ms()
    rec = recommend(laptop, gpu_offload=False, yardstick=yardstick)
    assert rec.entry is None
    assert "qwen2.5-coder-7b" in rec.too_slow
    for entry in registry_entries():
        estimate = yardstick.estimate(entry).first_suggestion_ms()
        assert estimate > MAX_SLOWDOWN * embedded_s  # every one is over the 2x rule here
    assert "embedded default model" in rec.line() and "too slow" in rec.line()


@pytest.mark.parametrize("cores", [2, 4, 8, 16, 64])
def test_no_recommended_model_is_over_the_speed_limit(cores: int) -> None:
    yardstick = assumed_yardstick(cores)
    rec = recommend(Memory(64 * GB, 60 * GB), gpu_offload=False, yardstick=yardstick)
    limit = max(MAX_SLOWDOWN * yardstick.speed.first_suggestion_ms(), TYPING_BUDGET_MS)
    if rec.entry is not None:
        assert yardstick.estimate(rec.entry).first_suggestion_ms() <= limit
    fast = [e for e in registry_entries() if e.name not in rec.too_slow]
    assert all(yardstick.estimate(e).first_suggestion_ms() <= limit for e in fast)
    assert all(
        yardstick.estimate(registry_entry(n)).first_suggestion_ms() > limit for n in rec.too_slow
    )


def test_more_cores_allow_a_larger_model() -> None:
    memory = Memory(64 * GB, 60 * GB)
    small = recommend(memory, gpu_offload=False, yardstick=assumed_yardstick(16))
    large = recommend(memory, gpu_offload=False, yardstick=assumed_yardstick(64))
    assert small.entry is not None and large.entry is not None
    assert large.entry.params_b > small.entry.params_b


def test_a_gpu_that_holds_the_model_is_chosen_by_memory() -> None:
    card = Memory(16 * GB, 14 * GB, vram_total=24 * GB, gpu_name="card")
    rec = recommend(card, gpu_offload=True, yardstick=assumed_yardstick(2))
    assert rec.entry is not None and rec.entry.name == "qwen2.5-coder-7b"
    assert rec.yardstick is None and rec.speed_of(rec.entry) is None


def test_estimates_scale_with_the_parameters_a_token_costs() -> None:
    yardstick = Yardstick(Speed(2.0, 10.0), "test")
    small = yardstick.estimate(registry_entry("qwen2.5-coder-0.5b"))
    large = yardstick.estimate(registry_entry("qwen2.5-coder-7b"))
    # Prompt tokens follow non-embedding parameters (0.36B vs 6.53B), generated ones all of them.
    assert large.prompt_ms_per_token / small.prompt_ms_per_token == pytest.approx(6.53 / 0.36)
    assert large.generate_ms_per_token / small.generate_ms_per_token == pytest.approx(7.6 / 0.5)
