from pathlib import Path

from repofill.models.speed import Speed, assumed_yardstick, measure_yardstick


def test_the_embedded_model_is_timed_here(embedded_model: Path) -> None:
    yardstick = measure_yardstick(embedded_model)
    assert yardstick is not None and yardstick.source == "measured"
    assert 0 < yardstick.speed.prompt_ms_per_token < yardstick.speed.generate_ms_per_token * 10
    assert yardstick.speed.first_suggestion_ms() > 0


def test_a_file_that_is_not_a_model_gives_no_yardstick(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 100)
    assert measure_yardstick(bogus) is None


def test_first_suggestion_counts_prompt_and_generated_tokens() -> None:
    assert Speed(2.0, 10.0).first_suggestion_ms(100, 5) == 250.0


def test_the_assumed_speed_halves_with_twice_the_cores() -> None:
    two, four = assumed_yardstick(2).speed, assumed_yardstick(4).speed
    assert two.prompt_ms_per_token == 2 * four.prompt_ms_per_token
    assert two.generate_ms_per_token == 2 * four.generate_ms_per_token
