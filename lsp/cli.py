"""The `repofill` command line.

Other installed packages add subcommands through the `repofill.commands` entry-point group: an
entry point `NAME = "module:main"` makes `repofill NAME ARGS...` call `main([ARGS...], "repofill
NAME")`, which returns the exit status. The benchmarks add `bench` this way (bench/cli.py), so the
product never imports them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from repofill.models.types import ModelError

COMMAND_GROUP = "repofill.commands"
BUILTIN = ("serve", "complete", "context", "models", "doctor")


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-path", help="a GGUF model file (wins over --model)")
    parser.add_argument("--model", help="a registry model name (see `repofill models list`)")


def _add_cursor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the source file")
    parser.add_argument("--line", type=int, required=True, help="cursor line, 1-based")
    parser.add_argument(
        "--column", type=int, required=True, help="cursor column, 1-based (characters)"
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="the project to take context from (default: the file's git work tree, else the "
        "nearest folder with a project file such as pyproject.toml)",
    )


def installed_commands() -> dict[str, EntryPoint]:
    """Subcommands that other installed packages add (`repofill.commands`), by name."""
    return {ep.name: ep for ep in entry_points(group=COMMAND_GROUP) if ep.name not in BUILTIN}


def build_parser(installed: dict[str, EntryPoint] | None = None) -> argparse.ArgumentParser:
    """The argument parser for the built-in commands, listing the `installed` ones too (their
    modules are imported for their one-line help)."""
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

    for name, entry in (installed or {}).items():
        sub.add_parser(name, help=_summary(entry) or f"see `repofill {name} --help`")
    return parser


def _summary(entry: EntryPoint) -> str:
    """The first line of an installed subcommand's docstring, as help text ("Run a benchmark."
    → "run a benchmark"); "" when it has none or does not load."""
    try:
        doc = entry.load().__doc__ or ""
    except Exception:
        return ""
    line = doc.strip().split("\n", 1)[0].rstrip(".")
    return line[:1].lower() + line[1:]


def setup_logging(verbose: bool, level: int = logging.WARNING) -> None:
    """Log to stderr at `level` (DEBUG with `verbose`); pygls' own chatter only with `verbose`."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("pygls").setLevel(logging.WARNING)


def report_errors(command: Callable[[], int]) -> int:
    """Run a command; a missing model or a bad input (ModelError, OSError, ValueError) becomes a
    one-line message on stderr and exit status 2."""
    try:
        return command()
    except (ModelError, OSError, ValueError) as exc:
        print(f"repofill: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    command = next((word for word in words if not word.startswith("-")), None)
    installed = {} if command in BUILTIN else installed_commands()  # metadata read only if needed
    if command in installed:  # its own parser reads everything but the command's name
        at = words.index(command)
        run = installed[command].load()
        return int(run([*words[:at], *words[at + 1 :]], f"repofill {command}"))
    args = build_parser(installed).parse_args(words)
    setup_logging(args.verbose, logging.INFO if args.command == "serve" else logging.WARNING)
    return report_errors(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
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
    return 1


if __name__ == "__main__":
    sys.exit(main())
