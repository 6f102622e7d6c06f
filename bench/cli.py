"""`repofill bench NAME ...` (also `repofill-bench NAME ...`): run one benchmark.

The benchmarks are not part of the product, and `repofill` itself (lsp/cli.py) never imports
them: this package registers `bench` in the `repofill.commands` entry-point group
(pyproject.toml), and `repofill bench ...` hands its arguments to `main` here. Each benchmark is
the module `repofill.bench.NAME`, with `add_arguments(parser)` and `run(args) -> int`; only the
one named on the command line is imported.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from repofill.lsp.cli import report_errors, setup_logging

BENCHMARKS = {
    "retrieval": "retrieval-context quality and index speed (no model)",
    "concurrency": "many editors against one shared remote server",
    "latency": "ghost-text latency while typing, through `repofill serve`",
    "soak": "thousands of editor events against `repofill serve`: crashes, leaks, stale answers",
    "infill": "HumanEval single-/multi-line infilling pass@1 per strategy (runs the model)",
    "repo": "repository-level line completion per context strategy (runs the model)",
    "holes": "fill-this-hole on multi-line HumanEval spans, pass@1 with/without verified mode",
}


def build_parser(prog: str, words: list[str]) -> argparse.ArgumentParser:
    """The parser; the options of the benchmark named in `words` (the first word that is not an
    option) are added, its module imported; the others are listed by name."""
    chosen = next((word for word in words if not word.startswith("-")), None)
    parser = argparse.ArgumentParser(prog=prog, description="Run a RepoFill benchmark.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="benchmark", required=True)
    for name, text in BENCHMARKS.items():
        bench_parser = sub.add_parser(name, help=text)
        if name == chosen:
            importlib.import_module(f"repofill.bench.{name}").add_arguments(bench_parser)
    return parser


def main(argv: list[str] | None = None, prog: str = "repofill-bench") -> int:
    """Run a benchmark.

    `argv`: the words after `repofill bench` (default: this process's arguments); `prog`: the
    command's name in usage messages. Returns the exit status: the benchmark's, or 2 with a
    one-line message for a missing model or a bad input.
    """
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(prog, words).parse_args(words)
    setup_logging(args.verbose)
    module = importlib.import_module(f"repofill.bench.{args.benchmark}")
    return report_errors(lambda: int(module.run(args)))


if __name__ == "__main__":
    sys.exit(main())
