"""The `jump` and `busy` scenarios of `repofill bench latency` (bench/latency.py).

- jump: the first suggestion at a new place. Per place (a line of a real file, places taken
  round robin over files so that consecutive places differ): the person arrives, the line's code
  is gone (as when about to write it), the client sends `repofill/didMoveCursor` (pre-warm on) or
  nothing (off), the person rests `--jump-rest-s`, then types the line's first three characters
  at a person's pace, each key an Automatic inline-completion request. First-suggestion latency:
  from the first key until the first response, answered before the next key, that holds a
  suggestion (none of the three: until the last one's response, counted as no suggestion). The
  two modes run the same places, each against its own fresh server (so neither sees the other's
  caches), off first.
- busy: the typing replay with one CPU-bound process (a Python busy loop, started before the
  server and killed after it) for the whole run, against the same replay on a quiet machine.

Both report p50/p95, how long real requests waited for a pre-warm chunk (`prewarm_wait_ms` of
the server's history) and the shown suggestions that were cut inside an identifier.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .latency_replay import (
    EditedFiles,
    KeyResult,
    Replay,
    _command,
    _model_keys,
    _p,
    did_move_cursor,
    replay,
    request_completion,
    start_server,
)
from .lsp_client import Pending
from .typist import RetypedLine

JUMP_KEYS = 3
TARGETS = {"jump_ratio_p50_max": 0.4, "prewarm_wait_p95_ms_max": 150.0, "busy_ratio_p50_max": 1.5}
_WORD = re.compile(r"[A-Za-z0-9_]")


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


# -- cut inside an identifier ----------------------------------------------------------------


def cut_inside_identifier(shown: str, entry: dict[str, Any]) -> bool:
    """Whether a suggestion shown for a model run ends inside a word of the model's own text.

    Counted when generation was cut (finish `deadline` or `length`), the shown text ends in an
    identifier character, is where the model's text (`model_text`, before post-processing)
    starts, and that text goes on with an identifier character or ends there (the cut came
    inside or right after a word that may have gone on)."""
    if entry.get("finish_reason") not in ("deadline", "length") or not shown:
        return False
    model_text = str(entry.get("model_text", ""))
    if not _WORD.match(shown[-1]) or not model_text.startswith(shown):
        return False
    rest = model_text[len(shown) :]
    return not rest or bool(_WORD.match(rest[0]))


def _shown(key: KeyResult) -> str:
    result = key.pending.result
    items = result.get("items", []) if isinstance(result, dict) else []
    return str(items[0].get("insertText", "")) if items else ""


def count_cut_inside(keys: list[KeyResult]) -> int:
    """Suggestions shown from a model run (answered before the next key) cut inside a name."""
    return sum(
        1 for k in _model_keys(keys) if k.items and cut_inside_identifier(_shown(k), k.entry or {})
    )


def prewarm_waits(stats: list[dict[str, Any]]) -> list[float]:
    """`prewarm_wait_ms` of every model run in the servers' histories."""
    return [
        float(e.get("prewarm_wait_ms", 0.0))
        for s in stats
        for e in s.get("requests", [])
        if e.get("prompt_tokens", 0) > 0
    ]


# -- jump ------------------------------------------------------------------------------------


@dataclass
class Visit:
    place: RetypedLine
    latency_ms: float
    suggested: bool
    keys: list[KeyResult] = field(default_factory=list)


@dataclass
class JumpRun:
    prewarm: bool
    visits: list[Visit] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    family: str = ""


def _first_suggestion(keys: list[KeyResult]) -> tuple[float, bool]:
    start = keys[0].pending.sent
    for key in keys:
        if key.answered and key.items:
            return (key.pending.received - start) * 1000, True
    last = keys[-1].pending
    return (max(last.received, last.sent) - start) * 1000, False


def jump_run(
    model: Path, root: Path, places: list[RetypedLine], *, prewarm: bool, rest_s: float, log: Path
) -> JumpRun:
    """Visit every place once against a fresh server (see the module docstring)."""
    client, _ = start_server(model, root, log)
    run = JumpRun(prewarm)
    try:
        files = EditedFiles(client)
        for place in places:
            uri = place.path.as_uri()
            original = files.lines(place.path)[place.line]
            erase, typed = place.keys[0], place.keys[1 : 1 + JUMP_KEYS]
            files.edit(place.path, place.line, erase.start, erase.end, "")
            if prewarm:
                did_move_cursor(client, uri, place.line, erase.start)
            time.sleep(rest_s)
            keys: list[KeyResult] = []
            for key in typed:
                files.edit(place.path, key.line, key.start, key.end, key.text)
                now = time.perf_counter()
                if keys:
                    keys[-1].next_key_at = now
                    if not keys[-1].pending.done.is_set():
                        client.cancel(keys[-1].pending)
                column = key.start + len(key.text)
                pending: Pending = request_completion(client, uri, key.line, column)
                text, offset = files.text_and_offset(place.path, key.line, column)
                keys.append(KeyResult(uri, place.path, text, offset, key.line, False, pending))
                time.sleep(key.pause_s)
            keys[-1].pending.done.wait(30)
            latency, suggested = _first_suggestion(keys)
            run.visits.append(Visit(place, latency, suggested, keys))
            # Put the line back as it was, so that the next visit sees the file unchanged.
            row = files.lines(place.path)[place.line]
            files.edit(place.path, place.line, 0, len(row), original)
        time.sleep(0.5)
        run.stats = _command(client, "repofill.stats")
        run.family = str(_command(client, "repofill.status").get("family", ""))
    finally:
        client.close()
    by_place = {(e["key"], e["offset"], e["length"]): e for e in run.stats.get("requests", [])}
    for visit in run.visits:
        for done in visit.keys:
            done.entry = by_place.get((done.uri, done.offset, len(done.text)))
    return run


def measure_jump(
    model: Path, places: dict[Path, list[RetypedLine]], args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    """Both modes on the same places (per project root), pre-warm off first."""
    load_before = load_average()
    runs: dict[bool, list[JumpRun]] = {False: [], True: []}
    for prewarm in (False, True):
        for root, chosen in places.items():
            mode = "on" if prewarm else "off"
            print(
                f"{model.name}: jump, pre-warm {mode}, {len(chosen)} places in {root.name}",
                file=sys.stderr,
                flush=True,
            )
            log = workdir / f"serve-{model.stem}-jump-{mode}-{root.name}.log"
            runs[prewarm].append(
                jump_run(model, root, chosen, prewarm=prewarm, rest_s=args.jump_rest_s, log=log)
            )

    def summary(mode: list[JumpRun]) -> dict[str, Any]:
        visits = [v for r in mode for v in r.visits]
        keys = [k for v in visits for k in v.keys]
        waits = prewarm_waits([r.stats for r in mode])
        prewarm = [r.stats.get("prewarm", {}) for r in mode]
        return {
            "first_suggestion_ms": _p([v.latency_ms for v in visits]),
            "without_suggestion": sum(1 for v in visits if not v.suggested),
            "prewarm_wait_ms": _p(waits),
            "cut_inside_identifier": count_cut_inside(keys),
            "prewarm": {
                "finished": sum(p.get("finished", 0) for p in prewarm),
                "stopped": sum(p.get("stopped", 0) for p in prewarm),
                "evaluated_tokens": sum(p.get("evaluatedTokens", 0) for p in prewarm),
            },
        }

    off, on = summary(runs[False]), summary(runs[True])
    p_off, p_on = off["first_suggestion_ms"]["p50"], on["first_suggestion_ms"]["p50"]
    return {
        "family": next((r.family for r in runs[True] if r.family), ""),
        "places": sum(len(c) for c in places.values()),
        "rest_s": args.jump_rest_s,
        "keys_per_place": JUMP_KEYS,
        "off": off,
        "on": on,
        "ratio_p50": round(p_on / p_off, 2) if p_on is not None and p_off else None,
        "load_average_1m": {"before": load_before, "after": load_average()},
    }


def choose_places(plans: list[RetypedLine], n: int, rng: random.Random) -> list[RetypedLine]:
    """`n` of the typist's lines (more than JUMP_KEYS characters), drawn round robin over the
    files, so that consecutive places are in different files where the files allow."""
    by_file: dict[Path, list[RetypedLine]] = {}
    for plan in plans:
        if len(plan.keys) > JUMP_KEYS:
            by_file.setdefault(plan.path, []).append(plan)
    for lines in by_file.values():
        rng.shuffle(lines)
    chosen: list[RetypedLine] = []
    while len(chosen) < n and any(by_file.values()):
        for lines in by_file.values():
            if lines and len(chosen) < n:
                chosen.append(lines.pop())
    return chosen


# -- busy ------------------------------------------------------------------------------------


@contextmanager
def busy_process() -> Iterator[subprocess.Popen[bytes]]:
    """One CPU-bound process (a Python busy loop) for the duration of the block."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _replay_summary(replays: list[Replay]) -> dict[str, Any]:
    keys = [k for r in replays for k in r.keys]
    answered = [k for k in keys if k.answered]
    return {
        "answered_ms": _p([k.latency_ms for k in answered]),
        "from_model_ms": _p([k.latency_ms for k in _model_keys(keys)]),
        "answered": len(answered),
        "sent": len(keys),
        "prewarm_wait_ms": _p(prewarm_waits([r.stats for r in replays])),
        "cut_inside_identifier": count_cut_inside(keys),
    }


def measure_busy(
    model: Path,
    plans: dict[Path, list[RetypedLine]],
    quiet: list[Replay] | None,
    args: argparse.Namespace,
    workdir: Path,
) -> dict[str, Any]:
    """The typing replay with a busy loop running, against `quiet` (the typing scenario's
    replays of the same plans) or, when that did not run, a quiet replay made here first."""
    load_before = load_average()
    prewarm = not args.no_prewarm
    if quiet is None:
        quiet = [
            replay(
                model,
                root,
                p,
                workdir / f"serve-{model.stem}-quiet-{root.name}.log",
                prewarm=prewarm,
            )
            for root, p in plans.items()
        ]
    load_quiet = load_average()
    busy: list[Replay] = []
    with busy_process():
        for root, p in plans.items():
            print(
                f"{model.name}: busy, retyping {len(p)} lines in {root.name}",
                file=sys.stderr,
                flush=True,
            )
            log = workdir / f"serve-{model.stem}-busy-{root.name}.log"
            busy.append(replay(model, root, p, log, prewarm=prewarm))
    quiet_row, busy_row = _replay_summary(quiet), _replay_summary(busy)
    q50, b50 = quiet_row["from_model_ms"]["p50"], busy_row["from_model_ms"]["p50"]
    return {
        "family": busy[0].status.get("family", "") if busy else "",
        "quiet": quiet_row,
        "busy": busy_row,
        "ratio_p50": round(b50 / q50, 2) if b50 is not None and q50 else None,
        "load_average_1m": {
            "before": load_before,
            "after_quiet": load_quiet,
            "after_busy": load_average(),
        },
    }


def verdicts(row: dict[str, Any]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    t = TARGETS
    if "jump" in row:
        jump = row["jump"]
        wait = jump["on"]["prewarm_wait_ms"]["p95"]
        out["jump_ratio_p50"] = jump["ratio_p50"] is not None and (
            jump["ratio_p50"] <= t["jump_ratio_p50_max"]
        )
        out["jump_prewarm_wait_p95"] = wait is not None and wait <= t["prewarm_wait_p95_ms_max"]
    if "busy" in row:
        busy = row["busy"]
        out["busy_ratio_p50"] = busy["ratio_p50"] is not None and (
            busy["ratio_p50"] <= t["busy_ratio_p50_max"]
        )
        out["busy_no_cut_inside_identifier"] = busy["busy"]["cut_inside_identifier"] == 0
    return out


def render_markdown(row: dict[str, Any]) -> list[str]:
    """Tables for the jump and busy scenarios of one model (empty when neither ran)."""
    ok = verdicts(row)
    mark = {True: "met", False: "**missed**"}
    out: list[str] = []
    if "jump" in row:
        j = row["jump"]
        off, on = j["off"], j["on"]
        out += [
            f"### jump: first suggestion at a new place ({j['places']} places, rest "
            f"{j['rest_s']} s, then {j['keys_per_place']} keys)",
            "",
            "| measure | pre-warm off | pre-warm on | target |",
            "|---|---|---|---|",
            f"| first suggestion p50 / p95 | {off['first_suggestion_ms']['p50']} / "
            f"{off['first_suggestion_ms']['p95']} ms | {on['first_suggestion_ms']['p50']} / "
            f"{on['first_suggestion_ms']['p95']} ms | on/off p50 **{j['ratio_p50']}×** ≤ 0.4× "
            f"({mark[ok['jump_ratio_p50']]}) |",
            f"| places without a suggestion in {j['keys_per_place']} keys | "
            f"{off['without_suggestion']} | {on['without_suggestion']} | |",
            f"| real requests' wait for a pre-warm chunk p50 / p95 | "
            f"{off['prewarm_wait_ms']['p50']} / {off['prewarm_wait_ms']['p95']} ms | "
            f"{on['prewarm_wait_ms']['p50']} / {on['prewarm_wait_ms']['p95']} ms | p95 ≤ 150 ms "
            f"({mark[ok['jump_prewarm_wait_p95']]}) |",
            f"| pre-warms finished / stopped (tokens evaluated) | — | "
            f"{on['prewarm']['finished']} / {on['prewarm']['stopped']} "
            f"({on['prewarm']['evaluated_tokens']}) | |",
            f"| shown suggestions cut inside an identifier | {off['cut_inside_identifier']} | "
            f"{on['cut_inside_identifier']} | |",
            f"| load average (1 min) before / after | {j['load_average_1m']['before']} / "
            f"{j['load_average_1m']['after']} | | |",
            "",
        ]
    if "busy" in row:
        b = row["busy"]
        quiet, busy = b["quiet"], b["busy"]
        out += [
            "### busy: the typing replay with one CPU-bound process running",
            "",
            "| measure | quiet | busy | target |",
            "|---|---|---|---|",
            f"| answered by the model p50 / p95 | {quiet['from_model_ms']['p50']} / "
            f"{quiet['from_model_ms']['p95']} ms (n={quiet['from_model_ms']['n']}) | "
            f"{busy['from_model_ms']['p50']} / {busy['from_model_ms']['p95']} ms "
            f"(n={busy['from_model_ms']['n']}) | busy/quiet p50 **{b['ratio_p50']}×** ≤ 1.5× "
            f"({mark[ok['busy_ratio_p50']]}) |",
            f"| all answered p50 / p95 | {quiet['answered_ms']['p50']} / "
            f"{quiet['answered_ms']['p95']} ms | {busy['answered_ms']['p50']} / "
            f"{busy['answered_ms']['p95']} ms | |",
            f"| answered before the next key / sent | {quiet['answered']} / {quiet['sent']} | "
            f"{busy['answered']} / {busy['sent']} | |",
            f"| real requests' wait for a pre-warm chunk p50 / p95 | "
            f"{quiet['prewarm_wait_ms']['p50']} / {quiet['prewarm_wait_ms']['p95']} ms | "
            f"{busy['prewarm_wait_ms']['p50']} / {busy['prewarm_wait_ms']['p95']} ms | |",
            f"| shown suggestions cut inside an identifier | {quiet['cut_inside_identifier']} | "
            f"{busy['cut_inside_identifier']} | 0 when busy "
            f"({mark[ok['busy_no_cut_inside_identifier']]}) |",
            f"| load average (1 min) before / after quiet / after busy | "
            f"{b['load_average_1m']['before']} / {b['load_average_1m']['after_quiet']} / "
            f"{b['load_average_1m']['after_busy']} | | |",
            "",
        ]
    return out
