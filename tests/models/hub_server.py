"""A loopback stand-in for the Hugging Face hub's `resolve` endpoint (the hub is unreachable here).

It answers what `huggingface_hub` asks for one file: `HEAD /{repo}/resolve/{rev}/{file}` with the
`X-Repo-Commit`, `X-Linked-Etag` (sha256) and `X-Linked-Size` headers, and `GET` with HTTP Range
support. Knobs let a test corrupt the body or drop the connection part-way through.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HubFile:
    content: bytes
    served: bytes | None = None
    """Bytes sent instead of `content` (corruption); the headers still describe `content`."""
    drop_after: int | None = None
    """Close the connection after this many body bytes, on the first GET only."""
    ranges: list[str] = field(default_factory=list)
    gets: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server: _HubServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _file(self) -> HubFile | None:
        return self.server.files.get(self.path.split("?")[0])

    def _head_headers(self, hub: HubFile) -> None:
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("X-Linked-Etag", f'"{hub.sha256}"')
        self.send_header("X-Linked-Size", str(len(hub.content)))
        self.send_header("Accept-Ranges", "bytes")

    def do_HEAD(self) -> None:
        hub = self._file()
        if hub is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self._head_headers(hub)
        self.send_header("Content-Length", str(len(hub.content)))
        self.end_headers()

    def do_GET(self) -> None:
        hub = self._file()
        if hub is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        hub.gets += 1
        body = hub.served if hub.served is not None else hub.content
        start = 0
        header = self.headers.get("Range")
        if header:
            hub.ranges.append(header)
            start = int(header.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self._head_headers(hub)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        chunk = body[start:]
        if hub.drop_after is not None and hub.gets == 1:
            self.wfile.write(chunk[: hub.drop_after])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(chunk)


class _HubServer(ThreadingHTTPServer):
    daemon_threads = True
    files: dict[str, HubFile]


@contextmanager
def fake_hub(files: dict[str, HubFile]) -> Iterator[str]:
    """Serve `files` (keyed `/{repo_id}/resolve/main/{filename}`) on 127.0.0.1.

    Yields the endpoint URL.
    """
    server = _HubServer(("127.0.0.1", 0), _Handler)
    server.files = files
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
