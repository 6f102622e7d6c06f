"""`repofill serve` with a scripted model: the real server, engine, retrieval and
post-processing; only the model is replaced by one that answers a fixed text and writes every
request it receives to a JSON-lines log, so a test can see exactly what would reach a model.

    python -m tests.e2e.scripted_server --answer TEXT --log PATH
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from repofill.lsp.cli_commands import claim_stdout
from repofill.lsp.runtime import Runtime
from repofill.lsp.server import create_server
from repofill.lsp.settings import Settings
from repofill.models.types import Backend, CancelToken, Candidate, InfillRequest, ModelInfo


class ScriptedBackend:
    """Answers `answer` to every request and appends the request to `log`."""

    def __init__(self, answer: str, log: Path) -> None:
        self.answer = answer
        self.log = log

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("scripted", "", "none", 4096, False, "test")

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4) if text else 0

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        entry = {
            "path": request.path,
            "prefix": request.prefix,
            "suffix": request.suffix,
            "context": [[f.path, f.text] for f in request.context],
        }
        with self.log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
        return [Candidate(text=self.answer, finish_reason="stop")]

    def close(self) -> None:
        pass


def read_log(log: Path) -> list[dict[str, Any]]:
    """The requests the scripted model received, oldest first."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answer", required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument(
        "--stuck-thread",
        action="store_true",
        help="start a thread that never ends and is not a daemon, as a native thread that "
        "interpreter teardown would wait on",
    )
    args = parser.parse_args()
    if args.stuck_thread:
        threading.Thread(target=threading.Event().wait, name="stuck", daemon=False).start()
    backend = ScriptedBackend(args.answer, args.log)

    def factory(settings: Settings):  # type: ignore[no-untyped-def]
        def load() -> Backend:
            return backend

        return load

    runtime = Runtime(Settings(), factory=factory, cache_dir=args.log.parent / "index-cache")
    create_server(runtime).start_io(sys.stdin.buffer, claim_stdout())


if __name__ == "__main__":
    main()
