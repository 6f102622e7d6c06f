"""A bare JSON-RPC client over a server's stdio, for tests that send what no library would.

Synchronous: a reader thread splits the server's output into messages; requests the server sends
(progress tokens, configuration) are answered with `null`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from .helpers import SERVER

MISSING_MODEL = "/nonexistent/dir/model.gguf"


class RawClient:
    def __init__(
        self,
        args: list[str] | None = None,
        *,
        stderr: Path | None = None,
        command: list[str] | None = None,
    ) -> None:
        self._stderr = stderr.open("wb") if stderr is not None else subprocess.DEVNULL
        server = command or [
            *SERVER,
            *(args if args is not None else ["--model-path", MISSING_MODEL]),
        ]
        self.process = subprocess.Popen(
            server,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._ids = itertools.count(1)
        self._responses: dict[Any, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.notifications: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- sending ------------------------------------------------------------------------------

    def send_bytes(self, body: bytes) -> None:
        assert self.process.stdin is not None
        with self._write_lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def request_async(self, method: str, params: Any = None) -> int:
        msg_id = next(self._ids)
        with self._lock:
            self._responses[msg_id] = queue.Queue()
        message: dict[str, Any] = {"id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return msg_id

    def response(self, msg_id: int, timeout: float = 30.0) -> dict[str, Any]:
        with self._lock:
            box = self._responses.setdefault(msg_id, queue.Queue())
        try:
            return box.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer to request {msg_id} within {timeout} s") from None

    def request(self, method: str, params: Any = None, timeout: float = 30.0) -> dict[str, Any]:
        """The whole response: `result` or `error`."""
        return self.response(self.request_async(method, params), timeout)

    # -- sessions -----------------------------------------------------------------------------

    def initialize(self, root: Path | None = None, **params: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"processId": None, "capabilities": {}}
        if root is not None:
            base["rootUri"] = root.as_uri()
            base["workspaceFolders"] = [{"uri": root.as_uri(), "name": root.name}]
        answer = self.request("initialize", {**base, **params})
        self.notify("initialized", {})
        return answer

    def status(self, timeout: float = 30.0) -> dict[str, Any]:
        answer = self.request(
            "workspace/executeCommand", {"command": "repofill.status", "arguments": []}, timeout
        )
        assert "result" in answer, answer
        return answer["result"]

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.as_uri()
        item = {"uri": uri, "languageId": "python", "version": version, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": item})
        return uri

    def wait_notification(self, method: str, predicate: Any = None, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for note in list(self.notifications):
                if note.get("method") == method and (predicate is None or predicate(note)):
                    return note.get("params")
            time.sleep(0.05)
        raise AssertionError(f"no {method} within {timeout} s; saw {self.notifications[-5:]}")

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self._stderr is not subprocess.DEVNULL:
            self._stderr.close()  # type: ignore[union-attr]

    # -- reading ------------------------------------------------------------------------------

    def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(out.read(length))
            if "method" in message and "id" in message:  # a request from the server
                self.server_requests.append(message)
                self.send({"id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.append(message)
            else:
                with self._lock:
                    box = self._responses.setdefault(message.get("id"), queue.Queue())
                box.put(message)
