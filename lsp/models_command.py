"""`repofill models list | pull NAME | path NAME | rm NAME`: the model registry from the shell."""

from __future__ import annotations

import argparse
import sys

from repofill.models.download import CONNECT_TIMEOUT_S, partial_files, pull, remove
from repofill.models.gpu import gpu_offload_supported
from repofill.models.hardware import detect, recommend
from repofill.models.registry import cached_path, cached_registry_path, registry_entries
from repofill.models.speed import TYPICAL_PROMPT_TOKENS, Speed, yardstick_here


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="models_command", required=True)
    list_parser = sub.add_parser(
        "list", help="the registry, what is downloaded, and what fits this machine"
    )
    list_parser.add_argument(
        "--no-measure",
        action="store_true",
        help="estimate speeds from the core count instead of timing the embedded model",
    )
    pull_parser = sub.add_parser(
        "pull", help="download a registry model into the Hugging Face cache"
    )
    pull_parser.add_argument("name")
    pull_parser.add_argument(
        "--timeout",
        type=float,
        default=CONNECT_TIMEOUT_S,
        help="seconds to wait for the hub before giving up (default %(default)s)",
    )
    pull_parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    path_parser = sub.add_parser("path", help="print the file of a downloaded registry model")
    path_parser.add_argument("name")
    rm_parser = sub.add_parser("rm", help="delete a downloaded registry model")
    rm_parser.add_argument("name")


def _first_suggestion(speed: Speed | None) -> str:
    """The estimated first suggestion on the CPU; `GPU` when the model would run there."""
    return f"~{speed.first_suggestion_ms() / 1000:.1f} s" if speed is not None else "GPU"


def _list(measure: bool) -> int:
    rec = recommend(detect(), gpu_offload_supported(), yardstick=yardstick_here(measure))
    rows = [
        (
            "name",
            "family",
            "quant",
            "size",
            "memory",
            "first suggestion",
            "context",
            "status",
            "repository / file",
        )
    ]
    for entry in registry_entries():
        if cached_path(entry) is not None:
            status = "downloaded"
        elif partial_files(entry):
            status = "partial"
        else:
            status = "-"
        mark = "*" if rec.entry is not None and rec.entry.name == entry.name else " "
        rows.append(
            (
                f"{mark}{entry.name}",
                entry.family,
                entry.quant,
                f"{entry.file_size_gb:.2f} GB",
                f"~{entry.memory_bytes() / 1e9:.1f} GB",
                _first_suggestion(rec.speed_of(entry)),
                str(entry.context_length),
                status,
                f"{entry.repo_id} / {entry.filename}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    print(f"\n* recommended for this machine: {rec.line()}")
    if rec.yardstick is not None:
        print(
            f"  first suggestion: a {TYPICAL_PROMPT_TOKENS}-token prompt on the CPU, estimated "
            f"from the embedded model ({rec.yardstick.source}: {rec.yardstick.speed.describe()})"
        )
    return 0


def run(args: argparse.Namespace) -> int:
    """Raises ModelError for the CLI to print (unknown name, offline, corrupt download)."""
    command = args.models_command
    if command == "list":
        return _list(measure=not args.no_measure)
    if command == "pull":
        result = pull(
            args.name,
            connect_timeout=args.timeout,
            progress=not args.no_progress,
            log=lambda line: print(line, file=sys.stderr),
        )
        state = "downloaded and verified" if result.downloaded else "already downloaded"
        print(f"{args.name}: {state} ({result.size / 1e9:.2f} GB)", file=sys.stderr)
        print(result.path)
        return 0
    if command == "path":
        print(cached_registry_path(args.name))
        return 0
    if command == "rm":
        removed = remove(args.name)
        print(f"{args.name}: {'removed' if removed else 'was not downloaded'}", file=sys.stderr)
        return 0
    raise ValueError(f"unknown models command {command!r}")
