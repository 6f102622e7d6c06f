"""`repofill bench repo`: repository-level line completion with the model, per context strategy.

Projects are real open-source sources (bench/sources.py): `--source` specs, `--repo` folders, or
one side of the dev/test split in bench/repo_split.json (`--split`). Holes (bench/repo_holes.py,
`--holes-kind`): lines that use a name imported from another file of the project, the cursor
before that name, the rest of the line as the target, the whole file otherwise visible (the engine
builds its prefix and suffix windows from it, as in an editor). Every context strategy gets the
same model, the same token budget (counted with the model's tokenizer) and the same engine path
(`Engine.run`, greedy, single line, post-processing on; a baseline's snippets stand in for the
Retriever's through `FixedContext`); only the repository context differs:

- none: no repository context (in-file prefix window only);
- recent: llama.vim-style ring buffer of chunks around previously visited cursors;
- jaccard: Copilot-style 60-line windows ranked by Jaccard similarity;
- bm25 / bm25_sub: 20-line windows (step 10) ranked by BM25 (`rank-bm25`) with the last 10 lines
  before the cursor, whole-identifier / sub-word tokens;
- repocoder / repocoder_sub: RepoCoder's 20-line windows (step 10) ranked by Jaccard similarity
  with the last 20 lines before the cursor, whole-identifier / sub-word tokens;
- rlpg: RepoFill's Retriever (similar windows and RLPG proposals);
- rlpg_iter: RepoFill's Retriever asked again with rlpg's draft written at the cursor
  (RepoCoder's iterative retrieval), the model run again with that context.

Metrics: CrossCodeEval's code EM, edit similarity, identifier EM and F1 (bench/repo_metrics.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import asdict, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from repofill.bench.charts import grouped_bars
from repofill.bench.infill import read_log
from repofill.lsp.engine import Engine, post_context
from repofill.lsp.factory import build_engine, llama_options
from repofill.lsp.postprocess.pipeline import explain
from repofill.models.types import Backend, CancelToken
from repofill.retrieval import Retriever
from repofill.retrieval.proposals import Params
from repofill.retrieval.types import Context, CountTokens, Cursor, Snippet

from . import repo_metrics as metrics
from . import retrieval_baselines as base
from .command import bench_settings, reproduce_command
from .paired import paired_em
from .repo_holes import HOLE_KINDS, holes_of_kind
from .retrieval import Hole, holed_cursor
from .sources import (
    DEFAULT_SOURCES,
    SPEC_FORMS,
    SPLIT_FILE,
    SPLITS,
    SourceSpec,
    cache_dir,
    fetch,
    load_split,
    parse_spec,
)

RESULTS = Path("bench/results")
METHODS: tuple[str, ...] = ("none", "bm25", "bm25_sub", "repocoder", "repocoder_sub", "rlpg")
LABELS = {
    "none": "none (in-file prefix only)",
    "in_file": "in-file only (more of the current file)",
    "recent": "recent chunks (llama.vim)",
    "jaccard": "Jaccard 60-line windows (Copilot)",
    "bm25": "BM25 windows, identifiers (rank-bm25)",
    "bm25_sub": "BM25 windows, sub-words (rank-bm25)",
    "repocoder": "Jaccard 20-line windows, identifiers (RepoCoder)",
    "repocoder_sub": "Jaccard 20-line windows, sub-words (RepoCoder)",
    "rlpg": "RLPG (RepoFill)",
    "rlpg_iter": "RepoFill, selected again with its draft (RepoCoder iteration)",
}
# The windowed baselines of bench/retrieval_baselines.py: class and token kind per method.
WINDOWED: dict[str, tuple[type[base.RankedWindows], base.Tokenize]] = {
    "bm25": (base.BM25Windows, base.identifier_tokens),
    "bm25_sub": (base.BM25Windows, base.subword_tokens),
    "repocoder": (base.JaccardWindowsRepoCoder, base.identifier_tokens),
    "repocoder_sub": (base.JaccardWindowsRepoCoder, base.subword_tokens),
}
METRICS = ("em", "es", "id_em", "id_f1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-path", help="a GGUF model (default: the embedded model)")
    parser.add_argument("--model", help="a registry model name")
    parser.add_argument("--repo", type=Path, nargs="+", action="extend", default=[])
    parser.add_argument(
        "--source",
        nargs="+",
        action="extend",
        default=[],
        help=f"{SPEC_FORMS} (default: the retrieval benchmark's list)",
    )
    parser.add_argument(
        "--split",
        choices=SPLITS,
        help=f"the projects of one side of the dev/test split ({SPLIT_FILE.name})",
    )
    parser.add_argument(
        "--holes-kind",
        choices=HOLE_KINDS,
        default="current",
        help="which holes (bench/repo_holes.py): current (any use of a name defined once at top "
        "level) or crosscodeeval (first use of any name an import binds to a project file)",
    )
    parser.add_argument(
        "--count-holes",
        action="store_true",
        help="fetch and index the projects, write their file and hole counts; no model",
    )
    parser.add_argument(
        "--check-answers",
        action="store_true",
        help="put every hole's own answer through the post-processing as a suggestion; write "
        "how many it rejects or changes (a filter that rejects right answers); no model",
    )
    parser.add_argument("--holes", type=int, default=30, help="holes per project")
    parser.add_argument("--budget", type=int, default=512, help="repository-context tokens")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated strategies")
    parser.add_argument(
        "--rlpg-params",
        default="",
        help="RepoFill's selection parameters for this run, as key=value pairs separated by "
        "commas (retrieval/proposals.Params, e.g. window_share=0.75); for tuning on dev",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: cores)")
    parser.add_argument(
        "--log", type=Path, help="JSON-lines log (default: $TMPDIR/repofill-bench/NAME.log.jsonl)"
    )
    parser.add_argument("--resume", action="store_true", help="skip holes already in the log")
    parser.add_argument(
        "--report-only", action="store_true", help="write the results from the log; run nothing"
    )
    parser.add_argument(
        "--coverage-only",
        action="store_true",
        help="select every strategy's context and measure whether it shows the answer "
        "(repo_metrics.context_coverage); no generation, about a minute per split",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "repo", help="results stem")


class FixedContext:
    """Stands in for the Retriever so a baseline's context goes through the same engine path."""

    def __init__(self, root: Path, context: Context) -> None:
        self.root = root
        self.context = context
        self.generation = 0  # the engine keeps a block's context until this changes: never

    def select(
        self, cursor: Cursor, count_tokens: CountTokens, budget: int, *, shows_suffix: bool = True
    ) -> Context:
        """The baseline's context, whatever the prompt shows (the baselines use other files)."""
        return self.context


def iterated_context(
    retriever: Retriever, cursor: Cursor, draft: str, count: CountTokens, budget: int
) -> Context:
    """RepoCoder's iterative retrieval (Zhang et al., EMNLP 2023): the context selected again
    with the first draft written at the cursor, so the query holds the code it will complete."""
    drafted = replace(
        cursor,
        text=cursor.text[: cursor.offset] + draft + cursor.text[cursor.offset :],
        offset=cursor.offset + len(draft),
    )
    return retriever.select(drafted, count, budget)


def as_context(method: str, chunks: list[base.Chunk], count: CountTokens, budget: int) -> Context:
    """Baseline chunks (best first) as a Context ordered like RLPG's: best nearest the cursor."""
    snippets = tuple(
        Snippet(c.text, c.path, method, "window", float(len(chunks) - i), count(c.text))
        for i, c in enumerate(chunks)
    )
    return Context(tuple(reversed(snippets)), budget)


def score(prediction: str, target: str, language: str) -> dict[str, float]:
    id_em, id_f1 = metrics.identifier_match(prediction, target, language)
    return {
        "em": float(metrics.exact_match(prediction, target)),
        "es": metrics.edit_similarity(prediction, target),
        "id_em": float(id_em),
        "id_f1": 100.0 * id_f1,
    }


def rlpg_params(text: str) -> Params:
    """`Params` with the `key=value,…` overrides of `text` (values parsed as their field's type).
    ValueError for an unknown key or a value of the wrong type."""
    params = Params()
    kinds = {f.name: type(getattr(params, f.name)) for f in fields(Params)}
    changes: dict[str, Any] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in kinds:
            raise ValueError(f"--rlpg-params: {pair!r} is not key=value of {', '.join(kinds)}")
        kind = kinds[key]
        if kind is bool:
            if value.strip().lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"--rlpg-params: {key} takes true or false, not {value!r}")
            changes[key] = value.strip().lower() in ("true", "1")
        else:
            changes[key] = kind(value)
    return replace(params, **changes)


def project_holes(
    label: str, root: Path, args: argparse.Namespace
) -> tuple[Retriever, list[Hole], random.Random]:
    """The project's index, its holes (`--holes-kind`, `--holes`, `--seed`) and the random
    generator that drew them (it goes on to order the visits)."""
    rng = random.Random(args.seed)
    retriever = Retriever(root, use_cache=False, params=rlpg_params(args.rlpg_params))
    retriever.build()
    holes = holes_of_kind(args.holes_kind, retriever, args.holes, rng)
    print(f"{label}: {retriever.file_count} files, {len(holes)} holes", file=sys.stderr)
    return retriever, holes, rng


def measure_project(
    label: str,
    root: Path,
    args: argparse.Namespace,
    base_engine: Engine,
    backend: Backend,
    methods: list[str],
    log_path: Path,
    done: set[str],
    inventory: dict[str, dict[str, Any]],
) -> list[dict]:
    retriever, holes, rng = project_holes(label, root, args)
    inventory.setdefault(label, {}).update(files=retriever.file_count, holes=len(holes))
    files = {p: e.lines for p, e in retriever.index.entries.items()}
    jaccard = base.JaccardWindows(files) if "jaccard" in methods else None
    windowed = {m: cls(files, tokenize) for m, (cls, tokenize) in WINDOWED.items() if m in methods}
    recent = base.RecentChunks()
    count = backend.count_tokens
    budget = args.budget
    rows: list[dict] = []
    visit_order = holes[:]
    rng.shuffle(visit_order)  # a user jumps between files; `recent` sees the previous visits
    for n, hole in enumerate(visit_order, 1):
        key = f"{label}:{hole.path}:{hole.line}"
        if args.holes_kind != "current":  # two names' first uses may share a line
            key += f":{hole.column}"
        cursor, lines = holed_cursor(retriever, hole)
        target = files[hole.path][hole.line][hole.column :].rstrip()
        head = lines[hole.line]
        if key not in done and not args.report_only:
            row: dict[str, Any] = {"key": key, "project": label, "target": target, "results": {}}
            for method in methods:
                selector: Retriever | None = None
                if method == "rlpg":
                    selector = retriever
                elif method == "rlpg_iter":
                    draft = row["results"]["rlpg"]["prediction"]
                    context = iterated_context(retriever, cursor, draft, count, budget)
                    selector = cast(Retriever, FixedContext(retriever.root, context))
                elif method != "none":
                    if method == "in_file":
                        chunks = base.in_file(hole.path, lines, hole.line, count, budget)
                    elif method == "recent":
                        chunks = recent.select(hole.path, count, budget)
                    elif method == "jaccard" and jaccard is not None:
                        chunks = jaccard.select(hole.path, lines, hole.line, head, count, budget)
                    else:
                        ranker = windowed[method]
                        chunks = ranker.select(hole.path, lines, hole.line, head, count, budget)
                    context = as_context(method, chunks, count, budget)
                    selector = cast(Retriever, FixedContext(retriever.root, context))
                # A fresh engine per strategy: the engine keeps a block's context between requests.
                engine = build_engine(base_engine.settings, selector, worker=base_engine.worker)
                if args.coverage_only:
                    shown = engine.stable_context(cursor, backend)
                    row["results"][method] = {
                        "context_tokens": sum(s.tokens for s in shown.snippets),
                        **metrics.context_coverage(_context_text(shown), target),
                    }
                    continue
                started = time.perf_counter()
                result = engine.run(
                    backend, cursor, CancelToken(), multiline=False, strategy="greedy"
                )
                prediction = result.items[0] if result.items else ""
                row["results"][method] = {
                    "prediction": prediction,
                    "ms": round((time.perf_counter() - started) * 1000),
                    "prompt_tokens": result.timings.prompt_tokens,
                    "context_tokens": sum(s.tokens for s in result.context.snippets),
                    **score(prediction, target, cursor.language),
                    **metrics.context_coverage(_context_text(result.context), target),
                }
            rows.append(row)
            with log_path.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            if n % 5 == 0 or n == len(visit_order):
                _progress(label, n, len(visit_order), rows, methods)
        recent.visit(hole.path, files[hole.path], hole.line)
    return rows


def _context_text(context: Context) -> str:
    return "\n".join(s.text for s in context.snippets)


def _progress(label: str, n: int, total: int, rows: list[dict], methods: list[str]) -> None:
    summary = summarise(rows, methods)
    if all("em" in summary[m] for m in methods):
        text = ", ".join(f"{m} {summary[m]['em']:.1f}/{summary[m]['id_f1']:.1f}" for m in methods)
        print(f"  {label} {n}/{total} EM/idF1: {text}", file=sys.stderr, flush=True)
    else:
        text = ", ".join(f"{m} {summary[m].get('ctx_lead', 0.0):.1f}" for m in methods)
        print(f"  {label} {n}/{total} context shows the lead: {text}", file=sys.stderr, flush=True)


def summarise(rows: list[dict], methods: list[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for m in methods:
        done = [r["results"][m] for r in rows if m in r["results"]]
        n = max(1, len(done))
        percent = ("em", "id_em", *metrics.COVERAGE)
        out[m] = {
            k: round(sum(d[k] for d in done) * (100 if k in percent else 1) / n, 1)
            for k in (*METRICS, *metrics.COVERAGE, "ms")
            if done and all(k in d for d in done)
        }
        out[m]["holes"] = len(done)
        if "ms" in out[m]:
            out[m]["ms_mean"] = round(out[m].pop("ms"))
    return out


def paired_against(
    rows: list[dict], methods: list[str], product: str = "rlpg"
) -> dict[str, dict[str, float]]:
    """RepoFill against each other strategy, hole by hole (bench/paired.py): code EM on the
    holes both have. Empty without RepoFill among `methods`."""
    if product not in methods:
        return {}
    out: dict[str, dict[str, float]] = {}
    for other in methods:
        both = [
            r["results"]
            for r in rows
            if "em" in r["results"].get(product, {}) and "em" in r["results"].get(other, {})
        ]
        if other == product or not both:
            continue
        out[other] = paired_em([b[product]["em"] for b in both], [b[other]["em"] for b in both])
    return out


def write_predictions(rows: list[dict], methods: list[str], path: Path) -> None:
    """Each hole's target and every strategy's prediction, one JSON object per line, so a run
    can be compared hole by hole later (a few dozen kB)."""
    with path.open("w") as fh:
        for r in rows:
            results = r["results"]
            predictions = {
                m: results[m]["prediction"] for m in methods if "prediction" in results.get(m, {})
            }
            fh.write(json.dumps({"key": r["key"], "target": r["target"], **predictions}) + "\n")


def markdown(result: dict) -> str:
    methods = result["methods"]
    out = ["### Repository-level line completion (CrossCodeEval metrics)", ""]
    out.append(
        f"Model: {result['model']}, greedy, single line, {result['budget']}-token repository "
        f"context budget, through `Engine.run`. Machine: {result['machine']}"
        + (
            f", 1-minute load average {result['load_at_start']} when it started."
            if "load_at_start" in result
            else "."
        )
    )
    if result.get("rlpg_params"):
        pairs = ", ".join(f"{k}={v}" for k, v in result["rlpg_params"].items())
        out += ["", f"RepoFill's selection parameters: {pairs}."]
    if result.get("split") or result.get("holes_kind"):
        out.append("")
        out.append(
            f"Split: {result.get('split') or 'none'}; holes: {result.get('holes_kind', 'current')}."
        )
    out.append("")
    generated = all("em" in result["pooled"][m] for m in methods)
    if generated:
        out.append(f"All projects pooled ({result['holes']} holes):")
        out.append("")
        out.append("| context | code EM | edit sim. | identifier EM | identifier F1 | mean ms |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for m in methods:
            r = result["pooled"][m]
            out.append(
                f"| {LABELS.get(m, m)} | {r['em']:.1f} | {r['es']:.1f} | {r['id_em']:.1f} | "
                f"{r['id_f1']:.1f} | {r['ms_mean']:.0f} |"
            )
        out.append("")
        out.append("Per project (code EM / identifier F1):")
        out.append("")
        out.append("| project | holes | " + " | ".join(methods) + " |")
        out.append("|---|---:|" + "---:|" * len(methods))
        for p, summary in result["projects"].items():
            holes = summary[methods[0]]["holes"]
            cells = [f"{summary[m]['em']:.1f} / {summary[m]['id_f1']:.1f}" for m in methods]
            out.append(f"| {p} | {holes:.0f} | " + " | ".join(cells) + " |")
        out.append("")
    if all("ctx_lead" in result["pooled"][m] for m in methods):
        out += [
            f"Does the context show the answer? Share of the {result['holes']} holes whose "
            "repository context holds the target's first name, its lead (the name, the chain "
            "after it and the bracket it opens: `bytesconv.StringToBytes(`) and the whole line "
            "(bench/repo_metrics.context_coverage), %; per project, the lead:",
            "",
            "| context | first name | lead | whole line | " + " | ".join(result["projects"]) + " |",
            "|---|---:|---:|---:|" + "---:|" * len(result["projects"]),
        ]
        for m in methods:
            r = result["pooled"][m]
            cells = [f"{s[m]['ctx_lead']:.1f}" for s in result["projects"].values()]
            out.append(
                f"| {LABELS.get(m, m)} | {r['ctx_name']:.1f} | {r['ctx_lead']:.1f} | "
                f"{r['ctx_line']:.1f} | " + " | ".join(cells) + " |"
            )
        out.append("")
    if result.get("paired"):
        out += [
            "RepoFill against each other context, hole by hole (code EM; bench/paired.py): holes "
            "only RepoFill got right, holes only the other got right, the EM difference "
            "(RepoFill − other, points) with its 95% bootstrap interval, and the exact sign "
            "test's two-sided p on the holes where they differ:",
            "",
            "| against | RepoFill only | other only | EM difference | 95% interval | sign test p |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for m, c in result["paired"].items():
            out.append(
                f"| {LABELS.get(m, m)} | {c['wins']} | {c['losses']} | {c['em_diff']:+.1f} | "
                f"{c['ci_low']:+.1f} … {c['ci_high']:+.1f} | {c['p_sign']:.3f} |"
            )
        out.append("")
    out.append(f"Command: `{result['command']}`")
    return "\n".join(out) + "\n"


def chart(result: dict, path: Path) -> bool:
    shown = ("em", "es", "id_em", "id_f1")
    names = {"em": "code EM", "es": "edit sim.", "id_em": "identifier EM", "id_f1": "identifier F1"}
    series = {m: [result["pooled"][m][k] for k in shown] for m in result["methods"]}
    return grouped_bars(
        path,
        [names[k] for k in shown],
        series,
        title=f"Repository line completion, {result['holes']} holes, {result['model']}",
        ylabel="%",
        size=(8, 3.8),
        label_format="%.0f",
        label_size=7,
        legend_size=8,
    )


def fetch_projects(
    args: argparse.Namespace,
) -> tuple[list[tuple[str, Path]], dict[str, dict[str, Any]]]:
    """(label, source folder) of every project to measure (`--repo`, `--source`, `--split`; the
    retrieval benchmark's list when none is given), fetched into the cache, and what the results
    record of each: its source spec, registry, version and split."""
    roots: list[tuple[str, Path]] = [(p.resolve().name, p.resolve()) for p in args.repo]
    inventory: dict[str, dict[str, Any]] = {label: {"repo": str(p)} for label, p in roots}
    specs: list[tuple[SourceSpec, str]] = [(parse_spec(s), "") for s in args.source]
    if args.split:
        specs += [(spec, args.split) for spec in load_split(args.split)]
    if not roots and not specs:
        specs = [(spec, "") for spec in DEFAULT_SOURCES]
    for spec, split in specs:
        print(f"fetching {spec.key} into {cache_dir()}", file=sys.stderr)
        label = f"{spec.name} {spec.version}"
        roots.append((label, fetch(spec)))
        inventory[label] = {
            "source": spec_text(spec),
            "registry": spec.registry,
            "version": spec.version,
            **({"split": split} if split else {}),
        }
    return roots, inventory


def spec_text(spec: SourceSpec) -> str:
    """The spec as `--source` takes it."""
    sep = {"pypi": "==", "npm": "@", "deb": "="}[spec.registry]
    tail = f":{spec.subdir}" if spec.subdir else ""
    return f"{spec.registry}:{spec.name}{sep}{spec.version}{tail}"


def count_holes(args: argparse.Namespace) -> int:
    """`--count-holes`: fetch and index the projects, find their holes, write the counts (JSON
    at the results stem + `-holes.json`); no model."""
    roots, inventory = fetch_projects(args)
    for label, root in roots:
        retriever, holes, _ = project_holes(label, root, args)
        inventory[label].update(
            files=retriever.file_count,
            holes=len(holes),
            holed_files=len({h.path for h in holes}),
        )
    result = {
        "benchmark": "repository-level line completion: hole counts only (no model)",
        "command": reproduce_command("repo"),
        "split": args.split or "",
        "holes_kind": args.holes_kind,
        "holes_asked": args.holes,
        "seed": args.seed,
        "projects": inventory,
    }
    out = args.out.with_name(args.out.name + "-holes.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(inventory, indent=1), file=sys.stderr)
    return 0


def check_answers(args: argparse.Namespace) -> int:
    """`--check-answers`: each hole's own answer (the rest of its line) offered as a one-line
    suggestion to the engine's post-processing (`lsp/postprocess`, `engine.post_context`); a
    right answer rejected or changed there is a filter's mistake, whatever the model. Writes
    per-project counts and each such answer (JSON at the results stem + `-answers.json`);
    exits 1 when any answer was rejected or changed."""
    roots, inventory = fetch_projects(args)
    projects: dict[str, dict[str, Any]] = {}
    for label, root in roots:
        retriever, holes, _ = project_holes(label, root, args)
        wrong: list[dict[str, Any]] = []
        for hole in holes:
            cursor, _ = holed_cursor(retriever, hole)
            target = retriever.index.entries[hole.path].lines[hole.line][hole.column :].rstrip()
            outcome = explain(target, post_context(cursor, multiline=False, max_lines=1))
            if outcome.text != target:
                wrong.append(
                    {
                        "path": hole.path,
                        "line": hole.line + 1,
                        "column": hole.column + 1,
                        "answer": target,
                        "result": outcome.text,
                        "rejected_by": outcome.rejected_by,
                        "changed_by": list(outcome.changed_by),
                    }
                )
        projects[label] = {**inventory[label], "holes": len(holes), "not_kept": wrong}
        print(f"{label}: {len(wrong)} of {len(holes)} answers not kept", file=sys.stderr)
    total = sum(p["holes"] for p in projects.values())
    not_kept = sum(len(p["not_kept"]) for p in projects.values())
    result = {
        "benchmark": "repository-level line completion: each hole's own answer through the "
        "post-processing (no model)",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": reproduce_command("repo"),
        "split": args.split or "",
        "holes_kind": args.holes_kind,
        "holes": total,
        "not_kept": not_kept,
        "projects": projects,
    }
    out = args.out.with_name(args.out.name + "-answers.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{not_kept} of {total} answers rejected or changed: {out}", file=sys.stderr)
    return 1 if not_kept else 0


def run(args: argparse.Namespace) -> int:
    if args.count_holes:
        return count_holes(args)
    if args.check_answers:
        return check_answers(args)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in LABELS:
            raise ValueError(f"unknown context strategy {m!r} ({', '.join(LABELS)})")
    if "rlpg_iter" in methods and (
        "rlpg" not in methods or methods.index("rlpg") > methods.index("rlpg_iter")
    ):
        raise ValueError("rlpg_iter re-selects with rlpg's draft: list rlpg before it")
    if args.coverage_only and "rlpg_iter" in methods:
        raise ValueError("rlpg_iter needs rlpg's draft: --coverage-only generates none")
    load_at_start = round(os.getloadavg()[0], 2)  # benchmarks run alone: the record says so
    roots, inventory = fetch_projects(args)
    settings = bench_settings(args, contextBudget=args.budget)
    engine = build_engine(settings, options=llama_options(settings, seed=args.seed))
    backend = engine.worker.backend()
    log_path: Path = args.log or Path(tempfile.gettempdir()) / "repofill-bench" / (
        args.out.name + ".log.jsonl"
    )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    previous = read_log(log_path) if args.resume or args.report_only else []
    if not (args.resume or args.report_only):
        log_path.write_text("")
    done = {r["key"] for r in previous}
    rows = list(previous)
    try:
        for label, root in roots:
            rows += measure_project(
                label, root, args, engine, backend, methods, log_path, done, inventory
            )
    finally:
        engine.worker.close()
        backend.close()
    projects: dict[str, list[dict]] = {}
    for r in rows:
        projects.setdefault(r["project"], []).append(r)
    command = reproduce_command("repo")
    result: dict[str, Any] = {
        "benchmark": "repository-level line completion, CrossCodeEval metrics"
        + (": context coverage only, no generation" if args.coverage_only else ""),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": backend.info.name,
        "machine": f"{platform.machine()}, CPU only",
        "load_at_start": load_at_start,
        "command": command,
        "budget": args.budget,
        "rlpg_params": asdict(rlpg_params(args.rlpg_params)),
        "split": args.split or "",
        "holes_kind": args.holes_kind,
        "sources": inventory,
        "edit_similarity": "normalised Indel similarity (= fuzz.ratio), own implementation",
        "methods": methods,
        "holes": len(rows),
        "pooled": summarise(rows, methods),
        "projects": {p: summarise(rs, methods) for p, rs in projects.items()},
        "paired": paired_against(rows, methods),
    }
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    out.with_suffix(".md").write_text(text)
    if args.coverage_only:
        return 0  # no predictions: nothing to chart or to compare
    write_predictions(rows, methods, out.with_name(out.name + "-predictions.jsonl"))
    chart(result, out.with_suffix(".png"))
    print(text, file=sys.stderr)
    others = [m for m in methods if m not in ("rlpg", "rlpg_iter")]
    if "rlpg" not in methods or not others:
        return 0
    pooled = result["pooled"]
    wins = all(pooled["rlpg"][k] > pooled[m][k] for m in others for k in ("em", "id_f1"))
    if not wins:
        print(
            "RLPG does not beat every other context strategy on EM and identifier F1",
            file=sys.stderr,
        )
    return 0 if wins else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="repofill bench repo")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
