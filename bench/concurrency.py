"""`repofill bench concurrency`: N simulated editors typing against one shared completion server.

Each editor is a thread with its own RemoteBackend (the same client the language server uses).
It walks through a real source file, as a person typing would: at each step the cursor moves a
few characters on, the editor asks for a one-line completion of the text before the cursor (with
the text after it as the suffix; the prefix starts on an anchored line boundary, as in the
engine), waits for the answer, pauses for a "keystroke" think time, and
goes on. Levels of N editors run one after another against the same server for a fixed time;
per level we report completed requests per second, generated tokens per second and the p50/p95
latency of a completion.

Without `--url`, the benchmark starts `python -m llama_cpp.server` on 127.0.0.1 with the model
from `--model-path` (or the embedded default) and stops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

from repofill.models.remote import KINDS, Kind, RemoteBackend
from repofill.models.types import CancelToken, InfillRequest, ModelError

RESULTS = Path(__file__).with_name("results")
# The file the simulated editors "type"; any source file of this repository would do.
SOURCE = Path(__file__).resolve().parents[1] / "models" / "fim.py"
PREFIX_CHARS = 1500
SUFFIX_CHARS = 300


@dataclass(frozen=True)
class Level:
    editors: int
    seconds: float
    requests: int
    errors: int
    throughput_rps: float
    tokens_per_s: float
    p50_ms: float
    p95_ms: float
    mean_ms: float
    max_ms: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="an already running server (default: start llama_cpp.server)")
    parser.add_argument("--kind", choices=KINDS, default="openai", help="server protocol")
    parser.add_argument("--model-path", help="GGUF for the started server (default: embedded)")
    parser.add_argument("--editors", default="1,4,16", help="comma-separated N (default 1,4,16)")
    parser.add_argument("--seconds", type=float, default=25.0, help="measured time per level")
    parser.add_argument("--think-ms", type=float, default=150.0, help="pause between requests")
    parser.add_argument("--max-tokens", type=int, default=24, help="tokens per completion")
    parser.add_argument("--n-ctx", type=int, default=2048, help="context of the started server")
    parser.add_argument("--api-key-env", help="environment variable holding the API key")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _anchor(text: str, position: int) -> int:
    """Where the prefix starts: on a line boundary that moves in 512-character steps, as the
    engine anchors its prefix windows, so consecutive prompts share their beginning."""
    start = max(0, (position - PREFIX_CHARS) // 512 * 512)
    if start == 0:
        return 0
    newline = text.find("\n", start, position)
    return newline + 1 if newline >= 0 else start


def _editor(
    index: int,
    backend: RemoteBackend,
    text: str,
    stop_at: float,
    think_s: float,
    max_tokens: int,
    out: list[tuple[float, int]],
    errors: list[str],
) -> None:
    # Editors start at different places of the file so their prompts differ.
    position = 400 + (index * 997) % max(1, len(text) - 800)
    while time.monotonic() < stop_at:
        position = 400 + (position + 7 - 400) % max(1, len(text) - 800)
        request = InfillRequest(
            prefix=text[_anchor(text, position) : position],
            suffix=text[position : position + SUFFIX_CHARS],
            path="models/fim.py",
            language="python",
            max_tokens=max_tokens,
            max_lines=1,
        )
        started = time.perf_counter()
        try:
            [candidate] = backend.complete(request, CancelToken())
        except ModelError as exc:
            errors.append(str(exc))
            time.sleep(think_s)
            continue
        out.append(((time.perf_counter() - started) * 1000, candidate.timings.generated_tokens))
        time.sleep(think_s)


def run_level(
    url: str, kind: str, api_key: str | None, editors: int, seconds: float, think_ms: float,
    max_tokens: int,
) -> Level:  # fmt: skip
    text = SOURCE.read_text(encoding="utf-8")
    results: list[list[tuple[float, int]]] = [[] for _ in range(editors)]
    errors: list[str] = []
    started = time.monotonic()
    stop_at = started + seconds
    threads = []
    for i in range(editors):
        backend = RemoteBackend(url, cast(Kind, kind), api_key=api_key, timeout_s=120)
        work = (i, backend, text, stop_at, think_ms / 1000, max_tokens, results[i], errors)
        threads.append(threading.Thread(target=_editor, args=work, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started  # includes the requests in flight at stop_at
    latencies = [ms for per in results for ms, _ in per]
    tokens = sum(n for per in results for _, n in per)
    return Level(
        editors=editors,
        seconds=round(elapsed, 2),
        requests=len(latencies),
        errors=len(errors),
        throughput_rps=round(len(latencies) / elapsed, 3),
        tokens_per_s=round(tokens / elapsed, 2),
        p50_ms=round(_percentile(latencies, 0.50), 1),
        p95_ms=round(_percentile(latencies, 0.95), 1),
        mean_ms=round(statistics.fmean(latencies), 1) if latencies else 0.0,
        max_ms=round(max(latencies), 1) if latencies else 0.0,
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(model: Path, n_ctx: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise ModelError(f"llama_cpp.server exited; see {log}")
        try:
            urllib.request.urlopen(f"{url}/v1/models", timeout=2).read()
            return process, url
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                process.kill()
                raise ModelError(f"llama_cpp.server did not start; see {log}") from None
            time.sleep(0.3)


def _markdown(meta: dict[str, object], levels: list[Level]) -> str:
    lines = [
        "# Concurrency benchmark: N editors, one shared server",
        "",
        f"- measured: {meta['date']} on {meta['machine']}",
        f"- server: {meta['server']}",
        f"- model: {meta['model']}",
        f"- each editor: one-line completion (max {meta['max_tokens']} tokens) of a "
        f"prefix of up to {PREFIX_CHARS + 512} characters (start anchored on a line) + "
        f"{SUFFIX_CHARS}-character suffix, then "
        f"{meta['think_ms']} ms of typing; {meta['seconds']} s per level",
        "",
        "| editors | requests | errors | completions/s | tokens/s | p50 ms | p95 ms | max ms |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for lv in levels:
        lines.append(
            f"| {lv.editors} | {lv.requests} | {lv.errors} | {lv.throughput_rps:.2f} | "
            f"{lv.tokens_per_s:.1f} | {lv.p50_ms:.0f} | {lv.p95_ms:.0f} | {lv.max_ms:.0f} |"
        )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    counts = [int(n) for n in str(args.editors).split(",") if n.strip()]
    api_key = os.environ.get(args.api_key_env) if args.api_key_env else None
    process: subprocess.Popen[bytes] | None = None
    args.out.mkdir(parents=True, exist_ok=True)
    if args.url:
        url, model_name, server = args.url, "(remote)", f"{args.kind} at {args.url}"
    else:
        from repofill.models.resolve import resolve_model

        model = resolve_model(args.model_path).path
        log = Path(tempfile.gettempdir()) / "repofill_concurrency_server.log"
        process, url = _start_server(model, args.n_ctx, log)
        model_name = model.name
        server = f"python -m llama_cpp.server (llama-cpp-python, CPU, n_ctx {args.n_ctx}) on {url}"
    try:
        warm = RemoteBackend(url, args.kind, api_key=api_key, timeout_s=120)
        warm.complete(InfillRequest(prefix="def f(x):\n    return ", suffix="\n"), CancelToken())
        levels = []
        for n in counts:
            level = run_level(
                url, args.kind, api_key, n, args.seconds, args.think_ms, args.max_tokens
            )
            print(
                f"{n:>3} editors: {level.requests} requests, {level.throughput_rps:.2f}/s, "
                f"p50 {level.p50_ms:.0f} ms, p95 {level.p95_ms:.0f} ms, errors {level.errors}",
                file=sys.stderr,
            )
            levels.append(level)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
    meta: dict[str, object] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs, no GPU, "
        f"{platform.system()} {platform.release()}",
        "server": server,
        "model": model_name,
        "max_tokens": args.max_tokens,
        "think_ms": args.think_ms,
        "seconds": args.seconds,
    }
    payload = {"meta": meta, "levels": [asdict(lv) for lv in levels]}
    (args.out / "concurrency.json").write_text(json.dumps(payload, indent=2) + "\n")
    (args.out / "concurrency.md").write_text(_markdown(meta, levels))
    print(_markdown(meta, levels))
    return 0
