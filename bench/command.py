"""A benchmark's command line: the engine settings it asks for, and the command that reproduces
its result, for the report."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from repofill.lsp.settings import Settings

# Options about where a run keeps its log or whether it runs at all: not part of the result.
_DROP_FLAGS = {"--resume", "--report-only"}
_DROP_WITH_VALUE = {"--log"}


def bench_settings(args: argparse.Namespace, **extra: Any) -> Settings:
    """The engine settings of a benchmark run: its --model-path / --model / --threads (when the
    benchmark has them), no deadline and no debounce (every request runs to the end, at once),
    and `extra` (Settings fields, e.g. contextBudget)."""
    threads = getattr(args, "threads", 0)
    return Settings(
        modelPath=getattr(args, "model_path", None) or "",
        model=getattr(args, "model", None) or "",
        threads=str(threads) if threads else "auto",
        deadlineMs=0,
        debounceMs=0,
        **extra,
    )


def reproduce_command(name: str, argv: list[str] | None = None) -> str:
    """`repofill bench NAME ...` with the run's own options, without --log/--resume/--report-only.

    `argv` defaults to this process's arguments after NAME (`repofill bench NAME ...`,
    `repofill-bench NAME ...`), or all of them when run as `python -m repofill.bench.NAME`.
    """
    if argv is None:
        words = sys.argv[1:]
        argv = words[words.index(name) + 1 :] if name in words else words
    kept: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in _DROP_FLAGS:
            continue
        if word in _DROP_WITH_VALUE:
            skip = True
            continue
        if word.split("=", 1)[0] in _DROP_WITH_VALUE:
            continue
        kept.append(word)
    return " ".join(["repofill", "bench", name, *map(shlex.quote, kept)])
