"""TimedChunks: chunk sizes that fit the time budget at the measured speed."""

from __future__ import annotations

from repofill.models.timed_chunks import TimedChunks


def test_the_first_chunk_is_the_configured_size() -> None:
    assert TimedChunks(first=32).size() == 32
    assert TimedChunks(first=500, largest=128).size() == 128


def test_the_size_fits_the_budget_at_the_measured_speed() -> None:
    chunks = TimedChunks(budget_ms=120.0)
    chunks.record(32, 80.0)  # 2.5 ms a token, as on 2 quiet cores
    assert chunks.size() == 48
    assert chunks.size() * chunks.ms_per_token <= 120.0  # type: ignore[operator]


def test_a_busier_machine_shrinks_the_chunks_within_a_few() -> None:
    chunks = TimedChunks(budget_ms=120.0, smoothing=0.5)
    chunks.record(48, 48 * 2.5)
    quiet = chunks.size()
    for _ in range(4):  # a build starts: prompt tokens now cost 5 ms
        chunks.record(chunks.size(), chunks.size() * 5.0)
    busy = chunks.size()
    assert busy < quiet and busy * 5.0 <= 120.0 * 1.1


def test_sizes_stay_within_bounds_and_bad_measurements_are_ignored() -> None:
    chunks = TimedChunks(budget_ms=120.0, smallest=8, largest=128)
    chunks.record(0, 10.0)
    chunks.record(10, 0.0)
    assert chunks.ms_per_token is None
    chunks.record(100, 10.0)  # a GPU: 0.1 ms a token
    assert chunks.size() == 128
    chunks = TimedChunks(budget_ms=120.0, smallest=8)
    chunks.record(10, 1000.0)  # 100 ms a token
    assert chunks.size() == 8
