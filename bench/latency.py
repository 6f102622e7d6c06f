"""`repofill bench latency`: ghost-text latency while a person types, through `repofill serve`.

A seeded typist (bench/typist.py) deletes lines of real source files of open-source projects
(bench/sources.py) and retypes them key by key over LSP, the way VS Code does: `didChange`
(incremental) and an Automatic `textDocument/inlineCompletion` per key, with `$/cancelRequest`
for the previous request when it is still outstanding. Per model it reports:

- keystroke-to-response latency p50/p95 of the requests answered before the next key;
- the share of prompt tokens reused from llama.cpp's KV cache (consecutive keys on one line);
- requests started / completed / cancelled (client and server view);
- engine overhead (total minus waiting minus llama.cpp time) p50/p95, from `repofill.stats`;
- the server's peak RSS (VmHWM);
- how long real requests waited for a pre-warm chunk: the replay sends
  `repofill/didMoveCursor` when the person arrives on a line, as the editor clients do
  (`--no-prewarm`: not).

In the same run, after the server has stopped, it measures on a sample of the answered keys:

- the model-only floor: the same model loaded with llama_cpp directly, evaluating just the
  new (not reused) tokens on top of a cached context of the reused length and generating the
  same number of tokens greedily — nothing else;
- a naive mode: the same engine in-process with KV-cache reuse off (every prompt evaluated from
  scratch), no type-through cache, no LSP (which favours naive: it pays no protocol cost).

`--scenarios` picks among `typing` (all of the above), `jump` and `busy` (the first suggestion
at a new place with pre-warm on and off, and the typing replay on a busy machine:
bench/latency_scenarios.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from repofill.lsp import strategies
from repofill.models.llama_backend import LlamaBackend, physical_cores
from repofill.retrieval import Retriever
from repofill.retrieval.languages import language_for
from repofill.retrieval.types import Cursor

from .command import reproduce_command
from .latency_replay import KeyResult, Replay, _model_keys, _p, percentile, replay
from .sources import DEFAULT_SOURCES, fetch
from .typist import RetypedLine, choose_lines

RESULTS = Path(__file__).with_name("results")
# Source files: `<project>:<folder>` inside the unpacked sdist, files of 2-40 KB.
PROJECT_DIRS = {"requests": "src/requests", "rich": "rich", "flask": "src/flask"}
MIN_FILE_CHARS, MAX_FILE_CHARS = 2_000, 40_000

SCENARIOS = ("typing", "jump", "busy")
TARGETS = {
    "reuse_share_min": 0.90,
    "overhead_p95_ms_max": 15.0,
    "floor_ratio_p50_max": 1.5,
    "naive_speedup_p50_min": 3.0,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-path",
        action="append",
        default=[],
        help="a GGUF to measure (repeatable; default: the embedded model)",
    )
    parser.add_argument(
        "--projects", default="requests,rich", help="comma-separated: " + ",".join(PROJECT_DIRS)
    )
    parser.add_argument("--lines", type=int, default=16, help="lines retyped in all (default 16)")
    parser.add_argument("--files", type=int, default=3, help="files per project (default 3)")
    parser.add_argument("--samples", type=int, default=20, help="keys re-run for floor and naive")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated scenarios to run: typing (the typing replay, floor and naive), "
        "jump (first suggestion at a new place, pre-warm on and off), busy (the typing replay "
        "with one CPU-bound process running, against a quiet one); default: all",
    )
    parser.add_argument("--places", type=int, default=12, help="jump: places in all (default 12)")
    parser.add_argument(
        "--jump-rest-s", type=float, default=2.0, help="jump: rest before typing (default 2 s)"
    )
    parser.add_argument(
        "--no-prewarm",
        action="store_true",
        help="typing and busy: send no repofill/didMoveCursor on arriving at a line",
    )


# -- floor and naive -------------------------------------------------------------------------


def _sample(keys: list[KeyResult], n: int, seed: int) -> list[KeyResult]:
    if len(keys) <= n:
        return list(keys)
    return sorted(random.Random(seed).sample(keys, n), key=keys.index)


def measure_naive(model: Path, root: Path, keys: list[KeyResult]) -> list[float]:
    """Wall ms per key of the same engine with no KV reuse and no cache, in-process."""
    from repofill.lsp.factory import build_engine, llama_options
    from repofill.lsp.settings import Settings

    retriever = Retriever(root)
    retriever.build()
    settings = Settings(modelPath=str(model))
    engine = build_engine(settings, retriever, options=llama_options(settings, reuse_kv=False))
    try:
        times: list[float] = []
        for i, key in enumerate([keys[0], *keys]):
            cursor = Cursor(key.text, key.offset, key.path, language_for(key.path, "python"))
            retriever.update_file(key.path, key.text)
            t0 = time.perf_counter()
            engine.complete_blocking(cursor)
            if i:  # the first, untimed, pays for first-use costs (like the server's warm-up)
                times.append((time.perf_counter() - t0) * 1000)
        return times
    finally:
        engine.worker.close()


def measure_floor(model: Path, keys: list[KeyResult]) -> list[float]:
    """Model-only ms per key: eval the new tokens on a cached context, then generate as many."""
    import llama_cpp
    import numpy as np
    from llama_cpp import Llama

    threads = physical_cores()
    llm = Llama(
        model_path=str(model),
        n_ctx=4096,
        n_threads=threads,
        n_threads_batch=threads,
        n_gpu_layers=0,
        logits_all=False,
        verbose=False,
    )
    try:
        corpus = "\n".join(k.text for k in keys[:3])
        base = llm.tokenize(corpus.encode("utf-8"), add_bos=True, special=False)
        while len(base) < 4000:
            base = base + base[1:]
        base = base[:4000]
        llm.eval(base[:8])
        valid = 8  # positions of the KV cache that hold base tokens
        n_vocab = llm.n_vocab()
        times: list[float] = []
        for key in keys:
            assert key.entry is not None
            prompt = int(key.entry["prompt_tokens"])
            reused = min(int(key.entry["reused_tokens"]), prompt - 1)
            generated = int(key.entry["generated_tokens"])
            if valid < reused:
                llm.n_tokens = valid
                llm.eval(base[valid:reused])  # untimed: the cache the server already had
            llm.n_tokens = reused
            t0 = time.perf_counter()
            llm.eval(base[reused:prompt])
            for _ in range(generated):
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits(llm.ctx), (n_vocab,))
                token = int(np.argmax(logits))
                llm.eval([token])
            times.append((time.perf_counter() - t0) * 1000)
            valid = prompt
        return times
    finally:
        llm.close()


def token_reuse(model: Path, root: Path, plans: list[RetypedLine]) -> tuple[int, int]:
    """(reusable, total) prompt tokens of consecutive keys on one line, as if every key's prompt
    were evaluated: a property of the token sequences, independent of the machine's speed."""
    from repofill.lsp.factory import build_engine, llama_options
    from repofill.lsp.settings import Settings
    from repofill.models.llama_backend import heal_prefix

    retriever = Retriever(root)
    retriever.build()
    settings = Settings(modelPath=str(model))
    engine = build_engine(settings, retriever, options=llama_options(settings, n_ctx=512))
    backend = cast(LlamaBackend, engine.worker.backend())
    reusable = total = 0
    try:
        for plan in plans:
            lines = plan.path.read_text(encoding="utf-8").split("\n")
            previous: list[int] = []
            for key in plan.keys:
                row = lines[key.line]
                lines[key.line] = row[: key.start] + key.text + row[key.end :]
                column = key.start + len(key.text)
                offset = sum(len(x) + 1 for x in lines[: key.line]) + column
                cursor = Cursor("\n".join(lines), offset, plan.path, "python")
                context = engine.stable_context(cursor, backend)
                request = engine.build_request(
                    cursor, context, plan=strategies.plan("fim"), multiline=False, max_lines=1
                )
                tokens = backend.prompt_tokens(request, heal_prefix(request.prefix)[0])
                if previous and not key.first_on_line:
                    common = next(
                        (
                            i
                            for i, (a, b) in enumerate(zip(previous, tokens, strict=False))
                            if a != b
                        ),
                        min(len(previous), len(tokens)),
                    )
                    reusable += min(common, len(tokens) - 1)
                    total += len(tokens)
                previous = tokens
    finally:
        engine.worker.close()
    return reusable, total


# -- one model -------------------------------------------------------------------------------


def _project_files(root: Path, name: str, n: int, rng: random.Random) -> list[Path]:
    folder = root / PROJECT_DIRS[name]
    files = sorted(
        p for p in folder.rglob("*.py") if MIN_FILE_CHARS <= p.stat().st_size <= MAX_FILE_CHARS
    )
    return sorted(rng.sample(files, min(n, len(files))))


def _consecutive_runs(keys: list[KeyResult]) -> list[dict[str, Any]]:
    """Model runs that followed another model run on the same line (keys in typing order)."""
    seen: set[tuple[str, int]] = set()
    runs: list[dict[str, Any]] = []
    for key in keys:
        if key.first_on_line:
            seen.discard((key.uri, key.line))
        if key.entry is None or key.entry["prompt_tokens"] <= 0:
            continue
        if (key.uri, key.line) in seen:
            runs.append(key.entry)
        seen.add((key.uri, key.line))
    return runs


def _key_row(key: KeyResult, floor_ms: float) -> dict[str, float]:
    """One sampled key: what the user waited and how the server spent it."""
    entry = key.entry or {}
    row = {"latency_ms": round(key.latency_ms, 1), "floor_ms": round(floor_ms, 1)}
    for name in ("wait_ms", "prompt_ms", "generation_ms", "overhead_ms"):
        row[name] = round(float(entry.get(name, 0.0)), 1)
    for name in ("prompt_tokens", "reused_tokens", "generated_tokens"):
        row[name] = int(entry.get(name, 0))
    return row


def measure_model(model: Path, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The chosen scenarios (`--scenarios`) for one model: one row of the report."""
    from . import latency_scenarios

    scenarios = parse_scenarios(args.scenarios)
    rng = random.Random(args.seed)
    names = [n.strip() for n in args.projects.split(",") if n.strip()]
    specs = {s.name: s for s in DEFAULT_SOURCES}
    all_plans: dict[str, list[RetypedLine]] = {}
    roots: dict[str, Path] = {}
    per_project = max(1, args.lines // len(names))
    for name in names:
        root = fetch(specs[name])
        roots[name] = root
        files = _project_files(root, name, args.files, rng)
        all_plans[name] = choose_lines(files, per_project, rng)
    row: dict[str, Any] = {"model": model.name, "family": "", "scenarios": scenarios}
    replays: list[Replay] | None = None
    if "typing" in scenarios:
        typing, replays = measure_typing(model, args, workdir, roots, all_plans)
        row.update(typing)
    if "jump" in scenarios:
        per_places = max(1, args.places // len(names))
        places = {
            roots[n]: latency_scenarios.choose_places(all_plans[n], per_places, rng) for n in names
        }
        row["jump"] = latency_scenarios.measure_jump(model, places, args, workdir)
    if "busy" in scenarios:
        plans = {roots[n]: all_plans[n] for n in names}
        row["busy"] = latency_scenarios.measure_busy(model, plans, replays, args, workdir)
    for scenario in ("jump", "busy"):
        row["family"] = row["family"] or row.get(scenario, {}).get("family", "")
    return row


def parse_scenarios(text: str) -> list[str]:
    """`typing,jump,busy` (any subset, in any order) as a list; ValueError names a bad one."""
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown or not chosen:
        raise ValueError(
            f"unknown scenario(s) {', '.join(unknown) or '(none)'}: use {','.join(SCENARIOS)}"
        )
    return [s for s in SCENARIOS if s in chosen]


def measure_typing(
    model: Path,
    args: argparse.Namespace,
    workdir: Path,
    roots: dict[str, Path],
    all_plans: dict[str, list[RetypedLine]],
) -> tuple[dict[str, Any], list[Replay]]:
    """The typing replay, with the model-only floor and the naive mode on a sample of its keys."""
    names = list(roots)
    keys: list[KeyResult] = []
    replays: list[Replay] = []
    load_before = os.getloadavg()
    for name in names:
        plans = all_plans[name]
        print(f"{model.name} / {name}: retyping {len(plans)} lines", file=sys.stderr, flush=True)
        log = workdir / f"serve-{model.stem}-{name}.log"
        result = replay(model, roots[name], plans, log, prewarm=not args.no_prewarm)
        replays.append(result)
        keys += result.keys

    entries = [e for r in replays for e in r.stats.get("requests", [])]
    model_runs = [e for e in entries if e["prompt_tokens"] > 0]
    consecutive = _consecutive_runs(keys)
    finished = [e for e in model_runs if e["status"] in ("ok", "empty")]
    answered = [k for k in keys if k.answered]
    from_model = _model_keys(keys)
    cached = [k for k in answered if k.entry is not None and k.entry["status"] == "cached"]
    protocol = [k.latency_ms - k.entry["total_ms"] for k in answered if k.entry is not None]

    # Floor and naive on the same sample of model-answered keys, after the servers stopped.
    sample = _sample(from_model, args.samples, args.seed)
    roots_by_key = {k.uri: roots[n] for n, r in zip(names, replays, strict=True) for k in r.keys}
    floor = measure_floor(model, sample) if sample else []
    naive: list[float] = []
    for name in names:
        part = [k for k in sample if roots_by_key[k.uri] == roots[name]]
        if part:
            naive += measure_naive(model, roots[name], part)
    same = [k.latency_ms for k in sample]
    repofill_p50 = percentile(same, 0.5)
    naive_same = same

    counted = [token_reuse(model, roots[n], all_plans[n]) for n in names]
    token_total = sum(t for _, t in counted)
    token_share = round(sum(r for r, _ in counted) / token_total, 4) if token_total else 0.0

    def share(rows: list[dict[str, Any]]) -> float:
        total = sum(e["prompt_tokens"] for e in rows)
        return round(sum(e["reused_tokens"] for e in rows) / total, 4) if total else 0.0

    status = [r.status.get("requests", {}) for r in replays]
    return {
        "family": replays[0].status.get("family", "") if replays else "",
        "projects": {n: str(roots[n].name) for n in names},
        "lines_retyped": sum(1 for k in keys if k.first_on_line),
        "keystrokes": len(keys),
        "ready_s": [round(r.ready_s, 1) for r in replays],
        "requests": {
            "sent": len(keys),
            "answered_before_next_key": len(answered),
            "answered_with_suggestion": sum(1 for k in answered if k.items),
            "answered_from_cache": len(cached),
            "cancel_sent": sum(r.cancels_sent for r in replays),
            "server_started": sum(s.get("started", 0) for s in status),
            "server_completed": sum(s.get("completed", 0) for s in status),
            "server_cancelled": sum(s.get("cancelled", 0) for s in status),
            "server_model_runs": len(model_runs),
            "max_active_generations": max(
                (r.stats.get("maxActiveJobs", 0) for r in replays), default=0
            ),
        },
        "latency_ms": {
            "answered": _p([k.latency_ms for k in answered]),
            "from_model": _p([k.latency_ms for k in from_model]),
            "from_cache": _p([k.latency_ms for k in cached]),
        },
        "reuse": {
            "consecutive_keys_share": share(consecutive),
            "consecutive_keys_token_share": token_share,
            "all_model_runs_share": share(model_runs),
            "prompt_tokens_mean": round(statistics.mean(e["prompt_tokens"] for e in model_runs), 1)
            if model_runs
            else 0,
        },
        "server_ms": {
            "overhead": _p([e["overhead_ms"] for e in finished]),
            "retrieval": _p([e["retrieval_ms"] for e in finished]),
            "post": _p([e["post_ms"] for e in finished]),
            "wait": _p([e["wait_ms"] for e in finished]),
            "prompt_eval": _p([e["prompt_ms"] for e in finished]),
            "generation": _p([e["generation_ms"] for e in finished]),
            "generated_tokens": _p([float(e["generated_tokens"]) for e in finished]),
            "protocol_and_client": _p(protocol),
        },
        "floor": {
            "samples": len(floor),
            "floor_ms": _p(floor),
            "repofill_ms_same_keys": _p(same),
            "ratio_p50": round(repofill_p50 / percentile(floor, 0.5), 2) if floor else None,
            "keys": [_key_row(k, f) for k, f in zip(sample, floor, strict=False)],
        },
        "naive": {
            "samples": len(naive),
            "naive_ms": _p(naive),
            "repofill_ms_same_keys": _p(naive_same),
            "speedup_p50": round(percentile(naive, 0.5) / percentile(naive_same, 0.5), 2)
            if naive and naive_same
            else None,
        },
        "peak_rss_mib": round(max((r.peak_rss_mib for r in replays), default=0.0), 1),
        "load_average_1m": {
            "before": round(load_before[0], 2),
            "after": round(os.getloadavg()[0], 2),
        },
        "prewarm_wait_ms": _p([float(e.get("prewarm_wait_ms", 0.0)) for e in model_runs]),
    }, replays


def verdicts(row: dict[str, Any]) -> dict[str, bool]:
    """Target met or not, for the scenarios that ran."""
    from .latency_scenarios import verdicts as scenario_verdicts

    out = scenario_verdicts(row)
    if "floor" not in row:  # the typing scenario did not run
        return out
    t = TARGETS
    floor = row["floor"]["ratio_p50"]
    naive = row["naive"]["speedup_p50"]
    return {
        "reuse_share": row["reuse"]["consecutive_keys_share"] >= t["reuse_share_min"],
        "overhead_p95": row["server_ms"]["overhead"]["n"] > 0
        and float(row["server_ms"]["overhead"]["p95"]) <= t["overhead_p95_ms_max"],
        "floor_ratio_p50": floor is not None and floor <= t["floor_ratio_p50_max"],
        "naive_speedup_p50": naive is not None and naive >= t["naive_speedup_p50_min"],
        **out,
    }


# -- reports ---------------------------------------------------------------------------------


def render_markdown(report: dict[str, Any]) -> str:
    out = [
        "# Latency benchmark",
        "",
        f"Measured {report['date']} on {report['machine']} ({report['cores']} cores; each table "
        "gives the 1-minute load average before and after its part). `repofill bench latency` "
        f"(seed {report['seed']}): a simulated person retypes {report['lines']} lines of real "
        "files over LSP against `repofill serve` (one request per key, the previous one "
        "cancelled). Latency counts only requests answered before the next key.",
        "",
        f"Command: `{report.get('command', 'repofill bench latency')}`",
        "",
    ]
    from .latency_scenarios import render_markdown as render_scenarios

    for row in report["models"]:
        out += [f"## {row['model']} ({row['family']})", ""]
        if "floor" not in row:  # the typing scenario did not run
            out += render_scenarios(row)
            continue
        req, lat, srv = row["requests"], row["latency_ms"], row["server_ms"]
        ok = verdicts(row)
        mark = {True: "met", False: "**missed**"}
        out += [
            "| measure | value | target |",
            "|---|---|---|",
            f"| keystroke-to-response p50 / p95 (all answered, n={lat['answered']['n']}) | "
            f"{lat['answered']['p50']} / {lat['answered']['p95']} ms | |",
            f"| … answered by the model (n={lat['from_model']['n']}) | "
            f"{lat['from_model']['p50']} / {lat['from_model']['p95']} ms | |",
            f"| … answered from the type-through/LRU cache (n={lat['from_cache']['n']}) | "
            f"{lat['from_cache']['p50']} / {lat['from_cache']['p95']} ms | |",
            f"| prompt tokens reused, consecutive keys on one line | "
            f"{row['reuse']['consecutive_keys_share']:.1%} | ≥ 90% ({mark[ok['reuse_share']]}) |",
            f"| … as a property of the prompts (every key's prompt evaluated, no timing) | "
            f"{row['reuse']['consecutive_keys_token_share']:.2%} | |",
            f"| prompt tokens reused, all model runs | {row['reuse']['all_model_runs_share']:.1%} "
            f"(mean prompt {row['reuse']['prompt_tokens_mean']} tokens) | |",
            f"| engine overhead p50 / p95 | {srv['overhead']['p50']} / {srv['overhead']['p95']} ms"
            f" | p95 ≤ 15 ms ({mark[ok['overhead_p95']]}) |",
            f"| … of which retrieval p50 / p95 | {srv['retrieval']['p50']} / "
            f"{srv['retrieval']['p95']} ms | |",
            f"| waiting (debounce + queue) p50 / p95 | {srv['wait']['p50']} / "
            f"{srv['wait']['p95']} ms | |",
            f"| LSP + JSON + client p50 / p95 | {srv['protocol_and_client']['p50']} / "
            f"{srv['protocol_and_client']['p95']} ms | |",
            f"| model-only floor p50 (n={row['floor']['samples']}) | "
            f"{row['floor']['floor_ms']['p50']} ms vs RepoFill "
            f"{row['floor']['repofill_ms_same_keys']['p50']} ms on the same keys: "
            f"**{row['floor']['ratio_p50']}×** | ≤ 1.5× ({mark[ok['floor_ratio_p50']]}) |",
            f"| naive mode p50 (n={row['naive']['samples']}) | {row['naive']['naive_ms']['p50']} "
            f"ms vs RepoFill {row['naive']['repofill_ms_same_keys']['p50']} ms: "
            f"**{row['naive']['speedup_p50']}× faster** | ≥ 3× ({mark[ok['naive_speedup_p50']]})"
            " |",
            f"| requests sent / answered before next key / with a suggestion | {req['sent']} / "
            f"{req['answered_before_next_key']} / {req['answered_with_suggestion']} | |",
            f"| server: started / completed / cancelled (model runs) | {req['server_started']} /"
            f" {req['server_completed']} / {req['server_cancelled']} ({req['server_model_runs']})"
            " | |",
            f"| `$/cancelRequest` sent | {req['cancel_sent']} | |",
            f"| most generations running at once | {req['max_active_generations']} | 1 |",
            f"| peak RSS of the server | {row['peak_rss_mib']} MiB | |",
            f"| real requests' wait for a pre-warm chunk p50 / p95 | "
            f"{row['prewarm_wait_ms']['p50']} / {row['prewarm_wait_ms']['p95']} ms | |",
            f"| load average (1 min) before / after | {row['load_average_1m']['before']} / "
            f"{row['load_average_1m']['after']} | |",
            "",
        ]
        out += render_scenarios(row)
    return "\n".join(out).replace("None", "—")  # no samples: nothing measured


def run(args: argparse.Namespace) -> int:
    from repofill.models.embedded import embedded_model_path

    from .latency_scenarios import TARGETS as SCENARIO_TARGETS

    try:
        parse_scenarios(args.scenarios)
    except ValueError as exc:
        print(f"repofill: {exc}", file=sys.stderr)
        return 2

    models = [Path(p) for p in args.model_path]
    if not models:
        embedded = embedded_model_path()
        if embedded is None:
            print(
                "repofill: no model (pass --model-path or install the default-model extra)",
                file=sys.stderr,
            )
            return 2
        models = [embedded]
    with tempfile.TemporaryDirectory(prefix="repofill-latency-") as tmp:
        rows = [measure_model(m, args, Path(tmp)) for m in models]
    report = {
        "scenarios": parse_scenarios(args.scenarios),
        "command": reproduce_command("latency"),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
        "cores": os.cpu_count(),
        "seed": args.seed,
        "lines": args.lines,
        "targets": {**TARGETS, **SCENARIO_TARGETS},
        "models": rows,
        "verdicts": {row["model"]: verdicts(row) for row in rows},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latency.json").write_text(json.dumps(report, indent=2) + "\n")
    text = render_markdown(report)
    (args.out / "latency.md").write_text(text + "\n")
    print(text)
    return 0
