from __future__ import annotations

import pytest
from repofill.models import hardware
from repofill.models.hardware import Memory, parse_nvidia_smi, recommend
from repofill.models.registry import registry_entries

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
    rec = recommend(memory, gpu_offload=False)
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
    assert recommend(small_card, gpu_offload=False).entry.name == "qwen2.5-coder-7b"


def test_low_available_ram_limits_the_choice() -> None:
    busy = Memory(32 * GB, 3 * GB)
    rec = recommend(busy, gpu_offload=False)
    assert rec.budget == 3 * GB
    assert rec.entry is not None and rec.entry.memory_bytes() <= 3 * GB
