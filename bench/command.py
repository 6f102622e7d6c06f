"""The command line that reproduces a benchmark result, for its report."""

from __future__ import annotations

import shlex
import sys

# Options about where a run keeps its log or whether it runs at all: not part of the result.
_DROP_FLAGS = {"--resume", "--report-only"}
_DROP_WITH_VALUE = {"--log"}


def reproduce_command(name: str, argv: list[str] | None = None) -> str:
    """`repofill bench NAME ...` with the run's own options, without --log/--resume/--report-only.

    `argv` defaults to this process's arguments after `repofill bench NAME` (or after the module
    name when run as `python -m repofill.bench.NAME`).
    """
    if argv is None:
        words = sys.argv[1:]
        argv = words[2:] if words[:2] == ["bench", name] else words
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
