"""A small JSON-RPC client for `repofill serve` over the subprocess's pipes, for benchmarks.

It timestamps every response the moment its last byte is read (a reader thread), answers the
server's own requests (`window/workDoneProgress/create`, ...) with `null`, and keeps the
server's stderr (its log) in a file so the pipe never fills up.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


class RpcError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = int(error.get("code", 0))


@dataclass
class Pending:
    """An outstanding request: `done` is set when its response arrives."""

    id: int
    method: str
    sent: float
    done: threading.Event = field(default_factory=threading.Event)
    received: float = 0.0
    result: Any = None
    error: dict[str, Any] | None = None

    def wait(self, timeout: float | None = None) -> Any:
        if not self.done.wait(timeout):
            raise TimeoutError(f"no response to {self.method} within {timeout} s")
        if self.error is not None:
            raise RpcError(self.error)
        return self.result


class LspProcess:
    """`command` started with pipes; requests and notifications as plain dicts."""

    def __init__(self, command: list[str], *, cwd: Path, stderr_path: Path) -> None:
        self._stderr = stderr_path.open("wb")
        self.proc = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in: IO[bytes] = self.proc.stdin
        self._out: IO[bytes] = self.proc.stdout
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, Pending] = {}
        self.notifications: list[tuple[float, str, Any]] = []
        self.on_notification: Callable[[str, Any], None] = lambda method, params: None
        self._reader = threading.Thread(target=self._read_loop, name="lsp-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    # -- sending ------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, separators=(",", ":")).encode("utf-8")
        data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        with self._lock:
            self._in.write(data)
            self._in.flush()

    def request(self, method: str, params: Any = None) -> Pending:
        with self._lock:
            self._next_id += 1
            pending = Pending(self._next_id, method, time.perf_counter())
            self._pending[pending.id] = pending
        self._send({"jsonrpc": "2.0", "id": pending.id, "method": method, "params": params})
        return pending

    def call(self, method: str, params: Any = None, timeout: float = 60.0) -> Any:
        return self.request(method, params).wait(timeout)

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def cancel(self, pending: Pending) -> None:
        self.notify("$/cancelRequest", {"id": pending.id})

    # -- receiving ----------------------------------------------------------------------------

    def _read_message(self) -> dict[str, Any] | None:
        length = -1
        while True:
            line = self._out.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = self._out.read(length)
        if len(body) < length:
            return None
        message: dict[str, Any] = json.loads(body)
        return message

    def _read_loop(self) -> None:
        while True:
            message = self._read_message()
            if message is None:
                break
            now = time.perf_counter()
            if "method" in message and "id" in message:  # the server asks us something
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.append((now, message["method"], message.get("params")))
                self.on_notification(message["method"], message.get("params"))
            else:
                with self._lock:
                    pending = self._pending.pop(int(message.get("id", -1)), None)
                if pending is not None:
                    pending.received = now
                    pending.result = message.get("result")
                    pending.error = message.get("error")
                    pending.done.set()
        with self._lock:
            left = list(self._pending.values())
            self._pending.clear()
        for pending in left:
            pending.error = {"code": -32099, "message": "the server exited"}
            pending.done.set()

    # -- lifecycle ----------------------------------------------------------------------------

    def peak_rss_mib(self) -> float:
        """The process's peak resident set size (VmHWM), in MiB; 0 when it cannot be read."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def close(self, timeout: float = 10.0) -> None:
        try:
            self.call("shutdown", None, timeout=timeout)
            self.notify("exit")
        except (OSError, TimeoutError, RpcError):
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()
