"""`repofill bench infill`: HumanEval single- and multi-line infilling, pass@1 per strategy.

Every task goes through the editor's path: `Engine.run` with a cursor on the emptied line
(retrieval off, no deadline), the strategy forced per run (greedy / rerank / fim,
lsp/strategies.py), the hole's line count as the line limit. Every strategy is post-processed
except `plain`: greedy left-to-right with the model's text as written, the baseline. The filled
program runs the problem's tests in a subprocess (bench/humaneval_tasks.py). Per-task outcomes
are appended to a JSON-lines log as they come, so an interrupted run loses nothing and `--resume`
continues it, or adds strategies to a finished run.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from repofill.bench.charts import grouped_bars
from repofill.lsp.engine import Engine
from repofill.lsp.factory import build_engine, llama_options
from repofill.lsp.strategies import Strategy
from repofill.models.types import Backend, CancelToken
from repofill.retrieval.types import Cursor

from .command import bench_settings, reproduce_command
from .humaneval_tasks import Executor, InfillTask, Kind, build_tasks, load_problems

RESULTS = Path("bench/results")
STRATEGIES: tuple[str, ...] = ("plain", "greedy", "rerank", "fim")
"""`plain` is greedy without post-processing; the others are post-processed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-path", help="a GGUF model (default: the embedded model)")
    parser.add_argument("--model", help="a registry model name")
    parser.add_argument(
        "--kind", default="single", help="comma-separated task sets: single, multi (default single)"
    )
    parser.add_argument(
        "--strategies",
        default="plain,greedy,rerank",
        help="comma-separated: plain (greedy, not post-processed), greedy, rerank, fim",
    )
    parser.add_argument("--limit", type=int, default=0, help="random tasks per kind (0: all)")
    parser.add_argument("--multi-limit", type=int, default=0, help="override --limit for multi")
    parser.add_argument("--seed", type=int, default=0, help="seed for --limit and sampling")
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: cores)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per test run")
    parser.add_argument(
        "--log",
        type=Path,
        help="JSON-lines log of every task (default: $TMPDIR/repofill-bench/NAME.log.jsonl)",
    )
    parser.add_argument("--resume", action="store_true", help="skip tasks already in the log")
    parser.add_argument(
        "--report-only", action="store_true", help="write the results from the log; run nothing"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "infill", help="results stem: .json .md .png"
    )


def select(tasks: list[InfillTask], limit: int, seed: int) -> list[InfillTask]:
    """All tasks, or `limit` random ones, grouped by problem with the problems in a seeded random
    order: a problem's tasks share their prompt start (the KV cache is reused), and a run stopped
    early has measured a random sample of problems, not the first ones."""
    rng = random.Random(seed)
    chosen = tasks if limit <= 0 or limit >= len(tasks) else rng.sample(tasks, limit)
    problems = sorted({t.problem.task_id for t in tasks})
    rng.shuffle(problems)
    rank = {p: i for i, p in enumerate(problems)}
    position = {t.key: i for i, t in enumerate(tasks)}
    return sorted(chosen, key=lambda t: (rank[t.problem.task_id], position[t.key]))


def run_task(engine: Engine, backend: Backend, task: InfillTask, strategy: str) -> dict:
    text, offset = task.holed()
    name = task.problem.task_id.replace("/", "_") + ".py"
    cursor = Cursor(text=text, offset=offset, path=Path("/humaneval") / name, language="python")
    started = time.perf_counter()
    result = engine.run(
        backend,
        cursor,
        CancelToken(),
        multiline=task.lines > 1,
        max_lines=task.lines,
        strategy=cast(Strategy, "greedy" if strategy == "plain" else strategy),
        raw=strategy == "plain",
    )
    ms = (time.perf_counter() - started) * 1000
    completion = result.items[0] if result.items else ""
    return {
        "completion": completion,
        "ms": round(ms, 1),
        "generated_tokens": result.timings.generated_tokens,
    }


def summarise(rows: list[dict], strategies: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("single", "multi"):
        mine = [r for r in rows if r["kind"] == kind]
        if not mine:
            continue
        per: dict[str, Any] = {}
        for s in strategies:
            done = [r for r in mine if s in r["results"]]
            if not done:
                continue
            passed = sum(1 for r in done if r["results"][s]["passed"])
            ms = sorted(r["results"][s]["ms"] for r in done)
            per[s] = {
                "tasks": len(done),
                "passed": passed,
                "pass_at_1": round(100 * passed / len(done), 1),
                "ms_per_task_mean": round(sum(ms) / len(ms), 1),
                "ms_per_task_p50": ms[len(ms) // 2],
            }
        out[kind] = per
    return out


def markdown(result: dict) -> str:
    out = ["### HumanEval infilling (pass@1, %)", ""]
    out.append(
        f"Model: {result['model']}. Retrieval off, through `Engine.run`; every strategy is "
        "post-processed except `plain` (greedy, the model's text as written). "
        f"Machine: {result['machine']}."
    )
    out.append("")
    out.append("| task set | tasks | strategy | passed | pass@1 | mean ms / task |")
    out.append("|---|---:|---|---:|---:|---:|")
    for kind, per in result["summary"].items():
        total = result["tasks_total"][kind]
        for s, row in per.items():
            out.append(
                f"| {kind}-line ({row['tasks']} of {total}) | {row['tasks']} | {s} | "
                f"{row['passed']} | {row['pass_at_1']:.1f} | {row['ms_per_task_mean']:.0f} |"
            )
    out.append("")
    out.append(f"Command: `{result['command']}`")
    return "\n".join(out) + "\n"


def chart(result: dict, path: Path) -> bool:
    summary = result["summary"]
    kinds = list(summary)
    strategies = sorted({s for per in summary.values() for s in per})
    labels = []
    for k in kinds:
        measured = max(v["tasks"] for v in summary[k].values())
        labels.append(f"{k}-line ({measured} of {result['tasks_total'].get(k, '?')} tasks)")
    series = {s: [summary[k].get(s, {}).get("pass_at_1", 0.0) for k in kinds] for s in strategies}
    return grouped_bars(
        path,
        labels,
        series,
        title=f"HumanEval infilling, {result['model']}",
        ylabel="pass@1 (%)",
        size=(6, 3.5),
    )


def read_log(path: Path) -> list[dict]:
    """The log's tasks, in first-seen order; a task's later lines (a resumed run that added
    strategies) add to its results."""
    if not path.exists():
        return []
    rows: dict[str, dict] = {}
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by an interruption
        if row["key"] in rows:
            rows[row["key"]]["results"].update(row["results"])
        else:
            rows[row["key"]] = row
    return list(rows.values())


def run(args: argparse.Namespace) -> int:
    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    kinds = [k.strip() for k in args.kind.split(",") if k.strip()]
    for s in strategies:
        if s not in STRATEGIES:
            raise ValueError(f"unknown strategy {s!r} ({', '.join(STRATEGIES)})")
    for k in kinds:
        if k not in ("single", "multi"):
            raise ValueError(f"unknown task set {k!r} (single, multi)")
    settings = bench_settings(args, contextBudget=0)
    engine = build_engine(settings, options=llama_options(settings, seed=args.seed))
    backend = engine.worker.backend()
    if "fim" in strategies and backend.info.family == "none":
        log("the model has no FIM tokens: the fim strategy is skipped")
        strategies.remove("fim")
    executor = Executor(args.timeout)
    log_path: Path = args.log or Path(tempfile.gettempdir()) / "repofill-bench" / (
        args.out.name + ".log.jsonl"
    )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    rows = read_log(log_path) if args.resume or args.report_only else []
    by_key = {r["key"]: r for r in rows}
    if not (args.resume or args.report_only):
        log_path.write_text("")
    problems = load_problems()
    totals: dict[str, int] = {}
    started = time.perf_counter()
    try:
        for kind in kinds:
            every = build_tasks(problems, cast(Kind, kind))
            totals[kind] = len(every)
            limit = args.multi_limit if kind == "multi" and args.multi_limit else args.limit
            tasks = select(every, limit, args.seed)
            log(f"{kind}-line: {len(tasks)} of {len(every)} tasks, strategies {strategies}")
            for n, task in enumerate(tasks, 1):
                row = by_key.get(task.key) or {"key": task.key, "kind": kind, "results": {}}
                # --resume runs what the log lacks: new tasks, and strategies added to a run
                missing = [s for s in strategies if s not in row["results"]]
                if not missing or args.report_only:
                    continue
                for s in missing:
                    outcome = run_task(engine, backend, task, s)
                    outcome["passed"] = executor.passes(
                        task.problem, task.filled(outcome["completion"])
                    )
                    row["results"][s] = outcome
                if task.key not in by_key:
                    by_key[task.key] = row
                    rows.append(row)
                with log_path.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                if n % 10 == 0 or n == len(tasks):
                    _progress(log, kind, n, len(tasks), rows, strategies, started)
    finally:
        engine.worker.close()
        backend.close()
    result = report(args, rows, strategies, totals, backend.info.name)
    log(markdown(result))
    return 0


def _progress(
    log: Callable[[str], None],
    kind: str,
    n: int,
    total: int,
    rows: list[dict],
    strategies: list[str],
    started: float,
) -> None:
    per = summarise(rows, strategies).get(kind, {})
    scores = ", ".join(f"{s} {v['pass_at_1']:.1f}" for s, v in per.items())
    log(f"  {kind} {n}/{total} ({time.perf_counter() - started:.0f} s): {scores}")


def report(
    args: argparse.Namespace,
    rows: list[dict],
    strategies: list[str],
    totals: dict[str, int],
    model: str,
) -> dict:
    command = reproduce_command("infill")
    result: dict[str, Any] = {
        "benchmark": "HumanEval infilling (InCoder single-/multi-line), pass@1",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": model,
        "machine": f"{platform.machine()}, CPU only, shared with other jobs",
        "command": command,
        "strategies": strategies,
        "tasks_total": totals,
        "summary": summarise(rows, strategies),
        "tasks": {r["key"]: {s: int(v["passed"]) for s, v in r["results"].items()} for r in rows},
    }
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    chart(result, out.with_suffix(".png"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="repofill bench infill")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
