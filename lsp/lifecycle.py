"""The LSP lifecycle rules pygls leaves to the server.

- Before `initialize`, a request is answered with ServerNotInitialized and a notification is
  dropped (the `exit` notification excepted).
- A request whose params do not parse is answered with InvalidParams (pygls only logs it).
- After `shutdown`, a request is answered with InvalidRequest; pygls would drop it silently and
  leave the client waiting for ever.
- When the client's process (`processId` in `initialize`) is gone, the server exits.
- `didChange` for a document that is not open (closed, or never opened: VS Code sends one for
  an `untitled:` document after closing it) is ignored; pygls would raise KeyError and show
  "Error in server" to the user.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)

PARENT_POLL_S = 2.0
SHUTDOWN_GRACE_S = 5.0
EXIT_DEADLINE_S = 15.0
"""Seconds from the client's `exit` to the end of the process, whatever its threads are doing:
the model worker gets SHUTDOWN_GRACE_S to stop, the rest is for saving the index cache."""


_ANSWERED = object()
"""Stands for a request already answered with an error while it was parsed."""


class LifecycleProtocol(LanguageServerProtocol):
    """pygls' protocol plus the lifecycle answers above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_seen = False

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        uri = params.text_document.uri
        if unquote(uri) not in self.workspace.text_documents:
            log.debug("didChange for %s, which is not open: ignored", uri)
            return
        yield from super().lsp_text_document__did_change(params)

    @property
    def shutdown_received(self) -> bool:
        return bool(self._shutdown)

    @property
    def exit_code(self) -> int:
        """The process's status at `exit` (LSP): 0 after a `shutdown` request, 1 otherwise."""
        return 0 if self.shutdown_received else 1

    def structure_message(self, data: dict[str, Any]) -> Any:
        """pygls drops a request whose params do not parse; we answer it with the error."""
        try:
            return super().structure_message(data)
        except JsonRpcException:
            msg_id, method = data.get("id"), data.get("method")
            if isinstance(msg_id, str | int) and isinstance(method, str):
                problem = JsonRpcInvalidParams(f"invalid params for {method}")
                self._send_response(msg_id, None, problem.to_response_error())
                return _ANSWERED
            raise

    def handle_message(self, message: Any) -> None:
        if message is _ANSWERED:
            return
        method = getattr(message, "method", None)
        msg_id = getattr(message, "id", None)
        if method == types.INITIALIZE:
            self.initialize_seen = True
        elif method is not None and method != types.EXIT:
            error: JsonRpcException | None = None
            if not self.initialize_seen:
                error = JsonRpcServerNotInitialized(f"{method} before initialize")
            elif self._shutdown:
                error = JsonRpcInvalidRequest(f"{method} after shutdown")
            if error is not None:
                log.warning("%s", error)
                if isinstance(msg_id, str | int):  # a request, not a notification
                    self._send_response(msg_id, None, error.to_response_error())
                return
        super().handle_message(message)


def exit_after(
    delay: float,
    exit_code: Callable[[], int],
    *,
    exit_process: Callable[[int], None] = os._exit,
) -> threading.Timer:
    """End the process `delay` seconds from now (LSP: `exit`) unless it has ended by itself.

    After `exit`, pygls joins its stdin reader thread, which blocks for as long as the client
    holds stdin open, and interpreter teardown can wait on llama.cpp threads that are still
    loading or decoding; a CI run once saw a server outlive `exit` by 300 s. The timer is a
    daemon thread, so a process that ends in time is not held up by it. `exit_code` is read when
    the timer fires: 0 after a `shutdown` request, 1 otherwise.
    """

    def fire() -> None:
        log.warning("still running %.0f s after exit; ending the process", delay)
        logging.shutdown()
        exit_process(exit_code())

    timer = threading.Timer(delay, fire)
    timer.name = "repofill-exit-deadline"
    timer.daemon = True
    timer.start()
    return timer


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    return True


def watch_parent(
    pid: int | None,
    on_gone: Callable[[], None],
    *,
    interval: float = PARENT_POLL_S,
    exit_process: Callable[[int], None] = os._exit,
) -> threading.Thread | None:
    """Exit when the client's process disappears (LSP: `processId`).

    `on_gone` (saving the index cache, stopping the model) gets SHUTDOWN_GRACE_S, then the
    process exits whatever state its threads are in: stdin may still be held open by someone
    else, so waiting for the reader to end could wait for ever.
    """
    if pid is None or pid <= 0 or sys.platform == "win32":  # os.kill(pid, 0) kills on Windows
        return None
    if not pid_alive(pid):
        log.warning("the client process %d is not running; watching it anyway is pointless", pid)
        return None
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(interval):
            if not pid_alive(pid):
                log.warning("the client process %d is gone; exiting", pid)
                done = threading.Thread(target=on_gone, name="repofill-cleanup", daemon=True)
                done.start()
                done.join(SHUTDOWN_GRACE_S)
                exit_process(0)
                return

    thread = threading.Thread(target=watch, name="repofill-parent-watch", daemon=True)
    thread.start()
    return thread
