"""Servers on loopback for the remote-backend tests.

- `llama_cpp_server(model)`: the real `python -m llama_cpp.server` (llama-cpp-python's `server`
  extra, an OpenAI-compatible server) in a subprocess on a free port.
- `infill_stand_in(...)`: llama.cpp's own `llama-server` binary is not part of the Python
  package, so its `/infill` and `/completion` streaming protocol (tools/server/README.md in
  llama.cpp: `data: {"content": …, "stop": false}` events, then a final event with `stop`,
  `stopped_eos` / `stopped_word` / `stopped_limit` and `timings`) is played by a small stand-in
  that records the request bodies it received.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def llama_cpp_server(
    model: Path,
    log_dir: Path,
    *,
    api_key: str | None = None,
    n_ctx: int = 2048,
    startup_s: float = 90,
) -> Iterator[Running]:
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx),
    ]  # fmt: skip
    if api_key:
        command += ["--api_key", api_key]
    log = log_dir / f"llama_cpp_server_{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                request = urllib.request.Request(f"{url}/v1/models")
                if api_key:
                    request.add_header("Authorization", f"Bearer {api_key}")
                urllib.request.urlopen(request, timeout=2).read()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"llama_cpp.server did not start: {log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.3)
        yield Running(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class StandIn:
    url: str
    bodies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answered: int = 0


@contextmanager
def infill_stand_in(
    pieces: list[str], final: dict[str, Any], *, then: list[list[str]] | None = None
) -> Iterator[StandIn]:
    """Streams `pieces` as llama-server content events, then `final` (with `stop: true`).

    With `then`, request k (from 0) streams `[pieces, *then][k % (1 + len(then))]` instead: a
    scripted model whose answers differ from one request (one candidate) to the next.
    """
    state = StandIn("")
    answers = [pieces, *(then or [])]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            ok = self.path == "/health"
            data = b'{"status":"ok"}' if ok else b"{}"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            state.bodies.append((self.path, body))
            if self.path not in ("/infill", "/completion"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            answer = answers[state.answered % len(answers)]
            state.answered += 1
            events = [{"content": p, "stop": False} for p in answer] + [
                {"content": "", "stop": True, **final}
            ]
            for event in events:
                data = f"data: {json.dumps(event)}\n\n".encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
