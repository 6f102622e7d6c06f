"""`repofill bench holes`: multi-line HumanEval infilling through the "Fill this hole" path.

Tasks are the multi-line spans of InCoder's infilling benchmark (Fried et al. 2022; every
contiguous span of canonical-solution lines that starts and ends on a non-blank line: 5815),
built by bench/humaneval_tasks.py; a seeded random sample is run. Each task is a document (the
problem's prompt and canonical solution) with the span *selected*; the selection is removed from
what the model sees, and `fill.action.fill` (the code action's own function: candidates,
post-processing, parse check, ranking) answers it.

Verified mode re-ranks the same candidates with `fill.action.verify` (the code action's own
function) in a temporary project holding only the problem's file, so the only tests a candidate
can see are the examples in its docstring, run as doctests. Scoring always runs the problem's
own `check(entry_point)` in a fresh subprocess. Both modes therefore judge the same candidates
(a paired comparison); a task with no candidate left scores as a failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from repofill.lsp.engine import Engine
from repofill.lsp.factory import build_engine, llama_options
from repofill.lsp.fill.action import fill, test_plan, verify
from repofill.lsp.fill.candidates import FillOptions, FillResult, FillTarget
from repofill.lsp.strategies import SAMPLE_TEMPERATURE
from repofill.models.types import CancelToken

from .command import bench_settings
from .humaneval_tasks import Executor, InfillTask, build_tasks, load_problems
from .infill import select

RESULTS = Path(__file__).with_name("results")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-path", help="a GGUF model file (wins over --model)")
    parser.add_argument("--model", help="a registry model name")
    parser.add_argument("--limit", type=int, default=40, help="random tasks to run (0: all 5815)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=4, help="candidates per hole")
    parser.add_argument("--max-tokens", type=int, default=128, help="tokens per candidate")
    parser.add_argument(
        "--lines",
        choices=("blank", "free"),
        default="blank",
        help="blank: cut each candidate to the hole's line count, as in InCoder's left-to-right "
        "protocol (Fried et al. 2022); free: up to the code action's own limit",
    )
    parser.add_argument(
        "--verify-timeout", type=float, default=10.0, help="seconds per doctest run"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per scoring run")
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: default)")
    parser.add_argument(
        "--budget-min",
        type=float,
        default=0,
        help="stop starting new tasks after this many minutes",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "holes", help="results stem")


def document(task: InfillTask) -> tuple[str, int, int]:
    """The problem's program with the task's span selected: (text, start, end) offsets."""
    lines = task.problem.solution.split("\n")
    start = len(task.problem.prompt) + sum(len(x) + 1 for x in lines[: task.first])
    end = start + len(task.target)
    return task.problem.prompt + task.problem.solution, start, end


async def run_task(
    engine: Engine,
    task: InfillTask,
    options: FillOptions,
    executor: Executor,
    project: Path,
    *,
    cut_to_blank: bool = True,
) -> dict[str, Any]:
    text, start, end = document(task)
    path = project / "problem.py"
    path.write_text(text)
    target = FillTarget(text, path, "python", start, end, project)
    started = time.perf_counter()
    if cut_to_blank:
        options = replace(options, max_lines=task.lines)
    plain = await fill(engine, target, replace(options, verify=False))
    fill_s = time.perf_counter() - started
    row: dict[str, Any] = {
        "key": task.key,
        "lines": task.lines,
        "status": plain.status,
        "generated": plain.generated,
        "valid": len(plain.candidates),
        "dropped": plain.dropped,
        "fill_s": round(fill_s, 2),
    }
    row["plain"] = _score(task, target, plain, executor)
    verified = plain
    if plain.hole is not None and plain.candidates:
        plan = test_plan(target, plain.hole)
        row["doctests"] = plan is not None
        if plan is not None:
            copy = FillResult(
                plain.status,
                plain.message,
                plain.hole,
                [replace(c) for c in plain.candidates],
                [],
                dict(plain.dropped),
                plain.generated,
            )
            t0 = time.perf_counter()
            verified = await verify(
                target, plain.hole, copy, plan, options, CancelToken(), lambda m, p: None
            )
            row["verify_s"] = round(time.perf_counter() - t0, 2)
    row["verified"] = _score(task, target, verified, executor)
    row["verified_status"] = verified.status
    return row


def _score(
    task: InfillTask, target: FillTarget, result: FillResult, executor: Executor
) -> dict[str, Any]:
    best = result.best
    if best is None or result.hole is None:
        return {"passed": False, "text": ""}
    filled = best.filled(target, result.hole)
    solution = filled[len(task.problem.prompt) :]
    return {"passed": executor.passes(task.problem, solution), "text": best.text}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)

    def rate(key: str) -> float:
        return round(100 * sum(r[key]["passed"] for r in rows) / n, 1) if n else 0.0

    with_doctests = [r for r in rows if r.get("doctests")]
    return {
        "tasks": n,
        "pass@1": rate("plain"),
        "pass@1_verified": rate("verified"),
        "no_valid_candidate": sum(1 for r in rows if not r["valid"]),
        "tasks_with_doctests": len(with_doctests),
        "verified_dropped_all": sum(1 for r in rows if r["verified_status"] == "failed-tests"),
        "mean_fill_s": round(sum(r["fill_s"] for r in rows) / n, 1) if n else 0.0,
        "mean_verify_s": round(
            sum(r.get("verify_s", 0.0) for r in with_doctests) / max(1, len(with_doctests)), 1
        ),
        "mean_valid_candidates": round(sum(r["valid"] for r in rows) / n, 2) if n else 0.0,
    }


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    cfg = result["config"]
    return "\n".join(
        [
            "# Fill this hole: multi-line HumanEval infilling (`repofill bench holes`)",
            "",
            f"Model {result['model']}; {s['tasks']} tasks sampled (seed {cfg['seed']}) from the "
            f"{result['total_tasks']} multi-line spans; {cfg['candidates']} candidates per hole "
            f"(greedy + sampled at T={SAMPLE_TEMPERATURE}), at most {cfg['max_tokens']} tokens each"
            + (
                ", cut to the hole's line count (InCoder's left-to-right protocol). "
                if cfg.get("lines", "blank") == "blank"
                else ", up to the code action's own line limit. "
            )
            + f"Machine: {result['machine']} (shared with other work while measured).",
            "",
            "| mode | pass@1 |",
            "|---|---|",
            f"| code action (parse check + ranking) | {s['pass@1']}% |",
            f"| + verified mode (docstring doctests only) | {s['pass@1_verified']}% |",
            "",
            f"- tasks where no candidate survived post-processing and the parse check: "
            f"{s['no_valid_candidate']}",
            f"- tasks whose function has docstring examples: {s['tasks_with_doctests']}; "
            f"verified mode dropped every candidate on {s['verified_dropped_all']}",
            f"- mean time per fill {s['mean_fill_s']} s; mean doctest verification "
            f"{s['mean_verify_s']} s; mean valid candidates {s['mean_valid_candidates']}",
            "",
            "Both modes judge the same candidates per task. Verified mode only ever runs the "
            "docstring examples; the problem's own tests score both.",
            "",
            *(
                [
                    f"**{s['tasks']} tasks are far too few to compare the modes or to "
                    "quote pass@1**: "
                    "the run stopped at its time budget (`--budget-min`). Re-run on an idle "
                    "machine: `repofill bench holes --limit 40 --seed 0`.",
                    "",
                ]
                if s["tasks"] < 20
                else []
            ),
        ]
    )


def run(args: argparse.Namespace) -> int:
    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    settings = bench_settings(args, contextBudget=0)
    engine = build_engine(settings, options=llama_options(settings, seed=args.seed))
    backend = engine.worker.backend()
    options = FillOptions(
        candidates=args.candidates,
        max_tokens=args.max_tokens,
        verify=True,
        verify_timeout_s=args.verify_timeout,
    )
    executor = Executor(args.timeout)
    every = build_tasks(load_problems(), "multi")
    tasks = select(every, args.limit, args.seed)
    log(f"{len(tasks)} of {len(every)} multi-line tasks, {args.candidates} candidates each")
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="repofill-bench-holes-") as tmp:
            for n, task in enumerate(tasks, 1):
                if args.budget_min and time.monotonic() - started > args.budget_min * 60:
                    log(f"time budget reached after {len(rows)} tasks")
                    break
                project = Path(tmp) / f"task{n}"
                project.mkdir()
                row = asyncio.run(
                    run_task(
                        engine, task, options, executor, project, cut_to_blank=args.lines == "blank"
                    )
                )
                rows.append(row)
                s = summarise(rows)
                log(
                    f"[{n}/{len(tasks)}] {task.key}: plain {row['plain']['passed']} verified "
                    f"{row['verified']['passed']} ({row['fill_s']} s) | pass@1 {s['pass@1']}% "
                    f"verified {s['pass@1_verified']}%"
                )
    finally:
        engine.worker.close()
        backend.close()
    result = {
        "benchmark": "holes",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": backend.info.name,
        "machine": f"{platform.machine()}, {platform.system()}, 2 shared CPU cores",
        "total_tasks": len(every),
        "config": {
            "limit": args.limit,
            "seed": args.seed,
            "candidates": args.candidates,
            "max_tokens": args.max_tokens,
            "verify_timeout_s": args.verify_timeout,
            "budget_min": args.budget_min,
            "lines": args.lines,
        },
        "summary": summarise(rows),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    log(markdown(result))
    return 0
