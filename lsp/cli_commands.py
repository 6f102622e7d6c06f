"""The CLI commands that need the engine: serve, complete, context."""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NoReturn, TextIO

from repofill.models.types import CancelToken
from repofill.retrieval import Retriever, format_context
from repofill.retrieval.languages import language_for
from repofill.retrieval.types import Cursor

from .documents import line_col_to_offset
from .engine import Engine
from .factory import build_engine
from .runtime import Runtime
from .settings import Settings

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2_000_000


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    raw: dict[str, object] = {"modelPath": args.model_path or "", "model": args.model or ""}
    raw.update(extra)
    return Settings().merged(raw)


def serve(args: argparse.Namespace) -> NoReturn:
    """Run the LSP server on stdio (or `--tcp HOST:PORT`) until `exit` or the end of stdin, then
    end the process: status 0 after a `shutdown` request, 1 otherwise (LSP)."""
    from .lifecycle import LifecycleProtocol
    from .server import create_server

    if args.log_file:
        handler = logging.FileHandler(args.log_file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
    runtime = Runtime(_settings(args), index=not args.no_index)
    server = create_server(runtime)
    try:
        if args.tcp:
            host, _, port = args.tcp.rpartition(":")
            server.start_tcp(host or "127.0.0.1", int(port))
        else:
            server.start_io(sys.stdin.buffer, claim_stdout())
    finally:
        runtime.shutdown()
    # LSP: exit code 0 only after a `shutdown` request (pygls swallows its own SystemExit)
    protocol = server.protocol
    code = protocol.exit_code if isinstance(protocol, LifecycleProtocol) else 1
    # The index cache is saved and the model stopped (or given up on): end here, because
    # interpreter teardown could wait on llama.cpp threads still loading or decoding.
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def claim_stdout() -> BinaryIO:
    """A private handle on stdout for our own output; fd 1 itself then points at stderr.

    llama.cpp writes some messages straight to fd 1 from native code. For `serve` that would
    corrupt the LSP stream, and for `complete` the printed suggestion, so nothing but us may
    write where the reader reads.
    """
    sys.stdout.flush()
    private = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return private


def read_source(path: Path) -> str:
    """A source file's text, or ValueError that says why it cannot be completed."""
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(
            f"{path} is {size} bytes; files over {MAX_FILE_BYTES} bytes are not completed"
        )
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise ValueError(f"{path} looks binary")
    return data.decode("utf-8", errors="replace")


PROJECT_MARKERS = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "package.json",
    "go.mod",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
)


def find_root(path: Path) -> Path:
    """The repository a file belongs to, for the CLI (the server uses the workspace folder).

    The enclosing git work tree; else the nearest folder with a project file (pyproject.toml,
    package.json, go.mod, …); else the folder above the outermost Python package around the file;
    else the file's own folder.
    """
    parents = [path.parent, *path.parent.parents]
    for parent in parents:
        if (parent / ".git").exists():
            return parent
    for parent in parents:
        if any((parent / marker).exists() for marker in PROJECT_MARKERS):
            return parent
    root = path.parent
    while (root / "__init__.py").exists() and root.parent != root:
        root = root.parent
    return root


def project_root(args: argparse.Namespace, path: Path) -> Path:
    """`--root` when given (ValueError unless it is a folder that holds the file), else
    `find_root(path)`."""
    root: Path | None = getattr(args, "root", None)
    if root is None:
        return find_root(path)
    root = root.resolve()
    if not root.is_dir():
        raise ValueError(f"--root {root} is not a folder")
    if not path.is_relative_to(root):
        raise ValueError(f"{path} is not inside --root {root}")
    return root


def cursor_from_args(args: argparse.Namespace) -> Cursor:
    path = args.file.resolve()
    text = read_source(path)
    offset = line_col_to_offset(text, args.line - 1, args.column - 1)
    return Cursor(text, offset, path, language_for(path))


def _engine(args: argparse.Namespace, cursor: Cursor, *, index: bool, budget: int) -> Engine:
    settings = _settings(
        args,
        contextBudget=budget,
        multiline=getattr(args, "multiline", "auto"),
        deadlineMs=getattr(args, "deadline_ms", Settings().deadlineMs),
    )
    retriever = None
    if index:
        retriever = Retriever(project_root(args, cursor.path))
        retriever.build(progress=_progress_printer())
    return build_engine(settings, retriever)


def _progress_printer() -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(
                f"\rindexing {done}/{total} files",
                end="" if done < total else "\n",
                file=sys.stderr,
            )

    return report


def _text_out() -> TextIO:
    return io.TextIOWrapper(claim_stdout(), encoding="utf-8", write_through=True)


def complete(args: argparse.Namespace) -> int:
    out = _text_out()
    cursor = cursor_from_args(args)
    engine = _engine(args, cursor, index=not args.no_index, budget=args.budget)
    try:
        result = engine.complete_blocking(cursor)
    finally:
        engine.worker.close()
    if result.status == "error":
        print(f"repofill: {result.message}", file=sys.stderr)
        return 2
    print(result.items[0] if result.items else "", file=out)
    info = engine.worker.info
    model = f"{info.name} ({info.family})" if info else "?"
    print(f"[{model}] {result.timings.line()}", file=sys.stderr)
    return 0


def context(args: argparse.Namespace) -> int:
    out = _text_out()
    cursor = cursor_from_args(args)
    engine = _engine(args, cursor, index=True, budget=args.budget)
    try:
        ctx = engine.worker.submit(
            lambda backend: engine.select_context(cursor, backend), CancelToken()
        ).result()
    finally:
        engine.worker.close()
    print(format_context(ctx), file=out)
    return 0
