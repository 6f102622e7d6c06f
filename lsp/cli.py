"""The `repofill` command line."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from repofill.models.types import ModelError

# `repofill bench NAME` runs repofill.bench.NAME (each module: add_arguments(parser), run(args)).
BENCHMARKS = {
    "retrieval": "retrieval-context quality and index speed (no model)",
    "concurrency": "many editors against one shared remote server",
    "latency": "ghost-text latency while typing, through `repofill serve`",
    "soak": "thousands of editor events against `repofill serve`: crashes, leaks, stale answers",
    "infill": "HumanEval single-/multi-line infilling pass@1 per strategy (runs the model)",
    "repo": "repository-level line completion per context strategy (runs the model)",
    "holes": "fill-this-hole on multi-line HumanEval spans, pass@1 with/without verified mode",
}


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-path", help="a GGUF model file (wins over --model)")
    parser.add_argument("--model", help="a registry model name (see `repofill models list`)")


def _add_cursor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the source file")
    parser.add_argument("--line", type=int, required=True, help="cursor line, 1-based")
    parser.add_argument(
        "--column", type=int, required=True, help="cursor column, 1-based (characters)"
    )


def build_parser(with_benchmarks: bool = True) -> argparse.ArgumentParser:
    """The argument parser; benchmark modules are imported only when `bench` is asked for."""
    parser = argparse.ArgumentParser(
        prog="repofill", description="Local, repository-aware code completion over LSP."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the LSP server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument(
        "--stdio", action="store_true", help="use stdio (the default; accepted for clients)"
    )
    serve.add_argument("--no-index", action="store_true", help="do not index the workspace")
    serve.add_argument("--log-file", type=Path, help="also write the log to this file")
    _add_model_arguments(serve)

    complete = sub.add_parser("complete", help="print the completion for a cursor")
    _add_cursor_arguments(complete)
    _add_model_arguments(complete)
    complete.add_argument(
        "--multiline", choices=("auto", "always", "never"), default="auto", help="suggestion shape"
    )
    complete.add_argument("--budget", type=int, default=512, help="tokens of repository context")
    complete.add_argument("--no-index", action="store_true", help="use no repository context")
    complete.add_argument(
        "--deadline-ms",
        type=int,
        default=0,
        help="stop generating after this long, as the editor setting deadlineMs does (default 0: "
        "no deadline; a one-shot command has no next keystroke to make way for)",
    )

    context = sub.add_parser("context", help="print the repository context chosen for a cursor")
    _add_cursor_arguments(context)
    _add_model_arguments(context)
    context.add_argument("--budget", type=int, default=512, help="token budget")

    from . import models_command

    models_command.add_arguments(sub.add_parser("models", help="list, download and remove models"))

    doctor = sub.add_parser("doctor", help="check the installation")
    _add_model_arguments(doctor)

    bench = sub.add_parser("bench", help="run a benchmark")
    bench_sub = bench.add_subparsers(dest="benchmark", required=True)
    for name, text in BENCHMARKS.items():
        bench_parser = bench_sub.add_parser(name, help=text)
        if with_benchmarks:
            importlib.import_module(f"repofill.bench.{name}").add_arguments(bench_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(with_benchmarks="bench" in words).parse_args(argv)
    quiet = logging.INFO if args.command == "serve" else logging.WARNING
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else quiet,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("pygls").setLevel(logging.WARNING)
    try:
        if args.command == "serve":
            from .cli_commands import serve

            return serve(args)
        if args.command == "complete":
            from .cli_commands import complete

            return complete(args)
        if args.command == "context":
            from .cli_commands import context

            return context(args)
        if args.command == "models":
            from .models_command import run as run_models

            return run_models(args)
        if args.command == "doctor":
            from .doctor import run

            return run(args.model_path, args.model)
        if args.command == "bench":
            module = importlib.import_module(f"repofill.bench.{args.benchmark}")
            return int(module.run(args))
    except ModelError as exc:
        print(f"repofill: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"repofill: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
