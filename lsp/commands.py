"""The CLI commands that need the engine: serve, complete, context."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import BinaryIO

from repofill.models.types import CancelToken
from repofill.models.worker import ModelWorker
from repofill.retrieval import Retriever, format_context
from repofill.retrieval.languages import language_for
from repofill.retrieval.types import Cursor

from .cursor import line_col_to_offset
from .engine import Engine
from .runtime import Runtime, backend_factory
from .settings import Settings

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2_000_000


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    raw: dict[str, object] = {"modelPath": args.model_path or "", "model": args.model or ""}
    raw.update(extra)
    return Settings().merged(raw)


def serve(args: argparse.Namespace) -> int:
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
            server.start_io(sys.stdin.buffer, protocol_stdout())
    finally:
        runtime.shutdown()
    return 0


def protocol_stdout() -> BinaryIO:
    """A private handle on stdout for LSP messages; fd 1 itself then points at stderr.

    llama.cpp writes some messages straight to fd 1 from native code. On stdio that would
    corrupt the protocol stream, so nothing but the server may write where the client reads.
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


def find_root(path: Path) -> Path:
    """The enclosing git work tree, or the file's folder."""
    for parent in [path.parent, *path.parent.parents]:
        if (parent / ".git").exists():
            return parent
    return path.parent


def cursor_from_args(args: argparse.Namespace) -> Cursor:
    path = args.file.resolve()
    text = read_source(path)
    offset = line_col_to_offset(text, args.line - 1, args.column - 1)
    return Cursor(text, offset, path, language_for(path))


def _engine(args: argparse.Namespace, cursor: Cursor, *, index: bool, budget: int) -> Engine:
    settings = _settings(args, contextBudget=budget, multiline=getattr(args, "multiline", "auto"))
    retriever = None
    if index:
        retriever = Retriever(find_root(cursor.path))
        retriever.build(progress=_progress_printer())
    worker = ModelWorker(backend_factory(settings))
    return Engine(worker, settings, retriever)


def _progress_printer() -> object:
    def report(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(
                f"\rindexing {done}/{total} files",
                end="" if done < total else "\n",
                file=sys.stderr,
            )

    return report


def complete(args: argparse.Namespace) -> int:
    cursor = cursor_from_args(args)
    engine = _engine(args, cursor, index=not args.no_index, budget=args.budget)
    try:
        result = engine.complete_blocking(cursor)
    finally:
        engine.worker.close()
    if result.status == "error":
        print(f"repofill: {result.message}", file=sys.stderr)
        return 2
    print(result.items[0] if result.items else "")
    info = engine.worker.info
    model = f"{info.name} ({info.family})" if info else "?"
    print(f"[{model}] {result.timings.line()}", file=sys.stderr)
    return 0


def context(args: argparse.Namespace) -> int:
    cursor = cursor_from_args(args)
    engine = _engine(args, cursor, index=True, budget=args.budget)
    try:
        ctx = engine.worker.submit(
            lambda backend: engine.select_context(cursor, backend), CancelToken()
        ).result()
    finally:
        engine.worker.close()
    print(format_context(ctx))
    return 0
