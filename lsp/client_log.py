"""The server's log goes to the editor as `window/logMessage`, at each record's own level.

Editors treat a language server's stderr as errors: Neovim writes every stderr line to its LSP
log as `[ERROR]`, VS Code's output channel tags it `[error]`. So once the client is connected
(from `initialize` on; LSP lets `window/logMessage` be sent while it is handled) a record goes
to the client instead, with its level: ERROR → `MessageType.Error`, WARNING → `Warning`,
INFO → `Info`, DEBUG → `Log`. Ruff's server made the same move (astral-sh/ruff#10968).

stderr keeps what happens before the client is connected (a server that cannot start, bad
arguments), CRITICAL records, records that could not be sent (the connection is gone), and
pygls's own records below WARNING (sending them as messages would log again; `-v` shows them).
`repofill serve --log-file` still receives everything.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

_TYPES = (
    (logging.ERROR, types.MessageType.Error),
    (logging.WARNING, types.MessageType.Warning),
    (logging.INFO, types.MessageType.Info),
)


def message_type(level: int) -> types.MessageType:
    """The `window/logMessage` type for a `logging` level."""
    for floor, kind in _TYPES:
        if level >= floor:
            return kind
    return types.MessageType.Log


def forwardable(record: logging.LogRecord) -> bool:
    """Whether a record may go to the client: pygls's chatter about messages never does."""
    return not (record.name.startswith("pygls") and record.levelno < logging.WARNING)


class ClientLogHandler(logging.Handler):
    """Sends records to the client as `window/logMessage`; from any thread."""

    def __init__(
        self,
        server: LanguageServer,
        loop: asyncio.AbstractEventLoop,
        fallback: logging.Handler | None = None,
    ) -> None:
        super().__init__()
        self.server = server
        self.loop = loop
        self.fallback = fallback
        self.addFilter(forwardable)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            params = types.LogMessageParams(
                type=message_type(record.levelno), message=self.format(record)
            )
            if self.loop.is_closed():
                raise RuntimeError("the event loop is closed")
            self.loop.call_soon_threadsafe(self._send, params, record)
        except Exception:
            self._fall_back(record)

    def _send(self, params: types.LogMessageParams, record: logging.LogRecord) -> None:
        try:
            if getattr(self.server.protocol, "writer", None) is None:
                raise RuntimeError("no connection")  # pygls would log an error: a loop
            self.server.window_log_message(params)
        except Exception:
            self._fall_back(record)

    def _fall_back(self, record: logging.LogRecord) -> None:
        if self.fallback is not None:
            self.fallback.emit(record)  # the filters below are for records the client got


class StderrGate(logging.Filter):
    """On the stderr handler: once the client takes the log, only what it cannot get passes."""

    def __init__(self) -> None:
        super().__init__()
        self.client_connected = False

    def filter(self, record: logging.LogRecord) -> bool:
        return (
            not self.client_connected
            or record.levelno >= logging.CRITICAL
            or not forwardable(record)
        )


def forward_to_client(
    server: LanguageServer, loop: asyncio.AbstractEventLoop
) -> ClientLogHandler | None:
    """Route the root logger's records to the client; stderr handlers keep only the rest.

    Called once, while `initialize` is handled. Returns the installed handler (None when one is
    installed already).
    """
    root = logging.getLogger()
    if any(isinstance(h, ClientLogHandler) for h in root.handlers):
        return None
    stderr = [
        h
        for h in root.handlers
        if type(h) is logging.StreamHandler and getattr(h, "stream", None) is sys.stderr
    ]
    handler = ClientLogHandler(server, loop, stderr[0] if stderr else None)
    handler.setLevel(logging.NOTSET)
    for h in stderr:
        gate = next((f for f in h.filters if isinstance(f, StderrGate)), None)
        if gate is None:
            gate = StderrGate()
            h.addFilter(gate)
        gate.client_connected = True
    root.addHandler(handler)
    return handler
