"""The typing replay of `repofill bench latency` (bench/latency.py) and its scenarios
(bench/latency_scenarios.py): a fresh `repofill serve`, the person's keys sent over LSP as VS Code
sends them, and each key's result joined with the server's own record of it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lsp_client import LspProcess, Pending
from .typist import RetypedLine

SERVER = [sys.executable, "-m", "repofill.lsp.cli", "serve"]
READY_TIMEOUT_S = 180.0


# -- statistics ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _p(values: list[float]) -> dict[str, float | None]:
    """n, p50 and p95; the percentiles are None (not 0) without samples."""
    if not values:
        return {"n": 0, "p50": None, "p95": None}
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.5), 1),
        "p95": round(percentile(values, 0.95), 1),
    }


# -- replay ----------------------------------------------------------------------------------


@dataclass
class KeyResult:
    uri: str
    path: Path
    text: str
    offset: int
    line: int
    first_on_line: bool
    pending: Pending
    next_key_at: float = float("inf")
    """When the next key was sent: a response after it was never shown."""
    entry: dict[str, Any] | None = None

    @property
    def answered(self) -> bool:
        p = self.pending
        return p.done.is_set() and p.error is None and p.received <= self.next_key_at

    @property
    def latency_ms(self) -> float:
        return (self.pending.received - self.pending.sent) * 1000

    @property
    def items(self) -> int:
        result = self.pending.result
        return len(result.get("items", [])) if isinstance(result, dict) else 0


@dataclass
class Replay:
    keys: list[KeyResult] = field(default_factory=list)
    cancels_sent: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    peak_rss_mib: float = 0.0
    ready_s: float = 0.0


def _command(client: LspProcess, name: str) -> Any:
    return client.call("workspace/executeCommand", {"command": name, "arguments": []})


def _wait_ready(client: LspProcess, indexed: threading.Event) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        status = _command(client, "repofill.status")
        if status.get("state") == "error":
            raise RuntimeError(f"the server failed: {status.get('message')}")
        if status.get("state") == "ready" and indexed.wait(0.2):
            return
        time.sleep(0.2)
    raise TimeoutError("the server was not ready (model loaded, index built) in time")


def _did_change(
    client: LspProcess, uri: str, version: int, line: int, start: int, end: int, text: str
) -> None:
    span = {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}}
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": span, "text": text}],
        },
    )


def start_server(model: Path, root: Path, log_path: Path) -> tuple[LspProcess, float]:
    """A fresh `repofill serve` on `root`, initialized, model loaded and index built; the client
    and the seconds that took. Close the client when done."""
    client = LspProcess([*SERVER, "--model-path", str(model)], cwd=root, stderr_path=log_path)
    indexed = threading.Event()

    def on_notification(method: str, params: Any) -> None:
        progress = params.get("value", {}) if isinstance(params, dict) else {}
        if method == "$/progress" and progress.get("kind") == "end":
            indexed.set()

    client.on_notification = on_notification
    try:
        started = time.perf_counter()
        client.call(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {"window": {"workDoneProgress": True}},
                "initializationOptions": {},
            },
        )
        client.notify("initialized", {})
        _wait_ready(client, indexed)
    except BaseException:
        client.close()
        raise
    return client, time.perf_counter() - started


def did_open(client: LspProcess, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    return uri


def did_move_cursor(client: LspProcess, uri: str, line: int, character: int) -> None:
    """What the editor clients send once the cursor rested at a place (docs/protocol.md)."""
    client.notify(
        "repofill/didMoveCursor",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
    )


class EditedFiles:
    """The files a simulated editor has open on a server: opened on first use, each edit applied
    here and sent as `textDocument/didChange` with the next version."""

    def __init__(self, client: LspProcess) -> None:
        self._client = client
        self._lines: dict[Path, list[str]] = {}
        self._versions: dict[Path, int] = {}

    def lines(self, path: Path) -> list[str]:
        """The file's lines as the server has them (opened with `didOpen` on first use)."""
        if path not in self._lines:
            text = path.read_text(encoding="utf-8")
            self._lines[path] = text.split("\n")
            self._versions[path] = 1
            did_open(self._client, path, text)
        return self._lines[path]

    def edit(self, path: Path, line: int, start: int, end: int, text: str) -> None:
        """Replace characters [start, end) of `line` with `text`."""
        lines = self.lines(path)
        row = lines[line]
        lines[line] = row[:start] + text + row[end:]
        self._versions[path] += 1
        _did_change(self._client, path.as_uri(), self._versions[path], line, start, end, text)

    def text_and_offset(self, path: Path, line: int, column: int) -> tuple[str, int]:
        """The whole text, and the character offset of (line, column) in it."""
        lines = self.lines(path)
        return "\n".join(lines), sum(len(x) + 1 for x in lines[:line]) + column


def request_completion(client: LspProcess, uri: str, line: int, column: int) -> Pending:
    """An Automatic inline-completion request, as editors send one per keystroke."""
    return client.request(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": column},
            "context": {"triggerKind": 2},  # Automatic
        },
    )


# How long the clients wait for the cursor to rest before `repofill/didMoveCursor`, and how long
# the simulated person then still rests before the first key on a new line.
CURSOR_REST_S = 0.15
ARRIVAL_REST_S = 0.3


def replay(
    model: Path, root: Path, plans: list[RetypedLine], log_path: Path, *, prewarm: bool = True
) -> Replay:
    """Run the typist's plan against a fresh `repofill serve` whose workspace is `root`.

    With `prewarm`, the client sends `repofill/didMoveCursor` when the person arrives on a line
    (after CURSOR_REST_S), as the editor clients do, and the person rests ARRIVAL_REST_S more
    before the first key."""
    client, ready_s = start_server(model, root, log_path)
    out = Replay(ready_s=ready_s)
    try:
        files = EditedFiles(client)
        previous: KeyResult | None = None
        for plan in plans:
            uri = plan.path.as_uri()
            files.lines(plan.path)
            for key in plan.keys:
                if prewarm and key.first_on_line:
                    time.sleep(CURSOR_REST_S)
                    did_move_cursor(client, uri, key.line, key.start)
                    time.sleep(ARRIVAL_REST_S)
                files.edit(plan.path, key.line, key.start, key.end, key.text)
                now = time.perf_counter()
                if previous is not None:
                    previous.next_key_at = now
                    if not previous.pending.done.is_set():
                        client.cancel(previous.pending)
                        out.cancels_sent += 1
                column = key.start + len(key.text)
                pending = request_completion(client, uri, key.line, column)
                text, offset = files.text_and_offset(plan.path, key.line, column)
                previous = KeyResult(
                    uri, plan.path, text, offset, key.line, key.first_on_line, pending
                )
                out.keys.append(previous)
                time.sleep(key.pause_s)
        if previous is not None:
            previous.pending.done.wait(10)
        time.sleep(0.5)  # late job records of cancelled requests
        out.stats = _command(client, "repofill.stats")
        out.status = _command(client, "repofill.status")
        out.peak_rss_mib = client.peak_rss_mib()
    finally:
        client.close()
    _join(out)
    return out


def _join(out: Replay) -> None:
    """Attach each key's server-side record (matched by document, offset and length)."""
    by_place: dict[tuple[str, int, int], dict[str, Any]] = {}
    for entry in out.stats.get("requests", []):
        by_place[(entry["key"], entry["offset"], entry["length"])] = entry
    for key in out.keys:
        key.entry = by_place.get((key.uri, key.offset, len(key.text)))


def _model_keys(keys: list[KeyResult]) -> list[KeyResult]:
    """Answered keys whose answer came from the model (not the cache)."""
    return [
        k
        for k in keys
        if k.answered and k.entry is not None and k.entry["status"] in ("ok", "empty")
    ]
