"""The jump and busy scenarios' pure parts: options, places, cut detection, verdicts, report."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from bench.latency import parse_scenarios, render_markdown
from bench.latency_scenarios import (
    choose_places,
    cut_inside_identifier,
    verdicts,
)
from bench.typist import plan_line


def test_scenarios_are_chosen_by_name_in_a_fixed_order() -> None:
    assert parse_scenarios("busy,typing") == ["typing", "busy"]
    assert parse_scenarios(" jump ") == ["jump"]
    with pytest.raises(ValueError, match="typo"):
        parse_scenarios("jump,typo")
    with pytest.raises(ValueError):
        parse_scenarios(",")


def test_a_cut_suggestion_is_counted_when_it_ends_inside_a_word_of_the_model_text() -> None:
    cut = {"finish_reason": "deadline", "model_text": "BaseTargetsLoader(path)"}
    assert cut_inside_identifier("Base", cut)
    assert cut_inside_identifier("BaseTarg", {**cut, "finish_reason": "length"})
    assert cut_inside_identifier(
        "RandomNumber", {"finish_reason": "length", "model_text": "RandomNumber"}
    )
    # ends at a boundary, was not cut, or is not where the model's text starts: not counted
    assert not cut_inside_identifier("BaseTargetsLoader(", cut)
    assert not cut_inside_identifier("BaseTargetsLoader", cut)  # "(" follows: the name is whole
    assert not cut_inside_identifier("Base", {**cut, "finish_reason": "lines"})
    assert not cut_inside_identifier("Other", cut)
    assert not cut_inside_identifier("", cut)


def test_places_alternate_between_files(tmp_path: Path) -> None:
    rng = random.Random(0)
    plans = []
    for name in ("a.py", "b.py"):
        path = tmp_path / name
        text = "".join(f"value_{i} = compute_value({i})\n" for i in range(8))
        path.write_text(text)
        plans += [plan_line(path, text, i, rng) for i in range(8)]
    places = choose_places(plans, 6, random.Random(1))
    assert len(places) == 6
    assert all(a.path != b.path for a, b in itertools.pairwise(places))
    assert choose_places([], 3, random.Random(0)) == []


def _side(p50: float, wait_p95: float, cut: int = 0) -> dict[str, object]:
    return {
        "first_suggestion_ms": {"n": 2, "p50": p50, "p95": p50},
        "without_suggestion": 0,
        "prewarm_wait_ms": {"n": 6, "p50": 0.0, "p95": wait_p95},
        "cut_inside_identifier": cut,
        "prewarm": {"finished": 1, "stopped": 1, "evaluated_tokens": 900},
    }


def _replay_side(p50: float, cut: int) -> dict[str, object]:
    return {
        "answered_ms": {"n": 9, "p50": 3.0, "p95": 300.0},
        "from_model_ms": {"n": 4, "p50": p50, "p95": p50 * 2},
        "answered": 9,
        "sent": 20,
        "prewarm_wait_ms": {"n": 4, "p50": 0.0, "p95": 40.0},
        "cut_inside_identifier": cut,
    }


def test_verdicts_and_report_of_the_jump_and_busy_scenarios() -> None:
    row = {
        "model": "m.gguf",
        "family": "none",
        "jump": {
            "places": 2,
            "rest_s": 2.0,
            "keys_per_place": 3,
            "off": _side(3000.0, 0.0),
            "on": _side(900.0, 120.0),
            "ratio_p50": 0.3,
            "load_average_1m": {"before": 0.1, "after": 1.2},
        },
        "busy": {
            "quiet": _replay_side(200.0, 0),
            "busy": _replay_side(400.0, 1),
            "ratio_p50": 2.0,
            "load_average_1m": {"before": 0.1, "after_quiet": 1.0, "after_busy": 2.0},
        },
    }
    assert verdicts(row) == {
        "jump_ratio_p50": True,
        "jump_prewarm_wait_p95": True,
        "busy_ratio_p50": False,
        "busy_no_cut_inside_identifier": False,
    }
    report = {"date": "d", "machine": "x", "cores": 2, "seed": 0, "lines": 1, "models": [row]}
    text = render_markdown(report)
    assert "on/off p50 **0.3×** ≤ 0.4× (met)" in text
    assert "busy/quiet p50 **2.0×** ≤ 1.5× (**missed**)" in text
    assert (
        "| shown suggestions cut inside an identifier | 0 | 1 | 0 when busy (**missed**) |" in text
    )
