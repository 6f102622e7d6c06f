"""Small LSP helpers shared by the server and fill-this-hole's protocol layer.

Command arguments (docs/protocol.md), document versions, the busy state toggle, `$/progress`,
and the one place that reaches into pygls' private attributes (`request_alive`, `to_json`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.progress import Progress as ProgressTracker
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import TextDocument

log = logging.getLogger(__name__)


# -- command arguments --------------------------------------------------------------------------


def command_argument(args: tuple[Any, ...]) -> dict[str, Any]:
    """The one object argument of a `workspace/executeCommand`; InvalidParams without one."""
    # pygls passes the `arguments` list either spread or as one list, depending on the client.
    flat: list[Any] = []
    for a in args:
        flat.extend(a if isinstance(a, list) else [a])
    for a in flat:
        if isinstance(a, dict):
            return a
        if hasattr(a, "__dict__"):
            return dict(vars(a))
    raise JsonRpcInvalidParams("expected one object argument")


def positions(arg: dict[str, Any]) -> tuple[types.Position, types.Position]:
    """(start, end) of an argument's `range`, or its `position` twice; InvalidParams else."""

    def pos(value: Any) -> types.Position:
        if (
            isinstance(value, dict)
            and isinstance(value.get("line"), int)
            and isinstance(value.get("character"), int)
        ):
            return types.Position(line=value["line"], character=value["character"])
        raise JsonRpcInvalidParams(f"not a position: {value!r}")

    if isinstance(arg.get("range"), dict):
        return pos(arg["range"].get("start")), pos(arg["range"].get("end"))
    p = pos(arg.get("position"))
    return p, p


def command_uri(arg: dict[str, Any], command: str) -> str:
    """The argument's `uri`; InvalidParams naming `command` without one."""
    uri = arg.get("uri")
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams(f"{command} needs {{uri, range | position}}")
    return uri


# -- documents and state ------------------------------------------------------------------------


class OpenDocuments(Protocol):
    def open_document(self, uri: str) -> TextDocument | None: ...


def document_version(documents: OpenDocuments, uri: str) -> int | None:
    """The open document's current version; None once it is closed."""
    document = documents.open_document(uri)
    return document.version if document is not None else None


class States(Protocol):
    """Where the server's state comes from (lsp/runtime.py `Runtime`)."""

    @property
    def state(self) -> str: ...

    @property
    def state_message(self) -> str: ...


@contextmanager
def busy(runtime: States, set_state: Callable[[str, str], None]) -> Iterator[None]:
    """`working` while the block runs when the server was `ready`; its own state after."""
    if runtime.state == "ready":
        set_state("working", "")
    try:
        yield
    finally:
        set_state(runtime.state, runtime.state_message)


# -- progress -----------------------------------------------------------------------------------


class Progress:
    """`$/progress` begin/report/end for one piece of work under `token`.

    Progress is informational: a client without support never breaks the work, so no method
    raises. Call from the event loop's thread.
    """

    def __init__(self, tracker: ProgressTracker, token: types.ProgressToken | None) -> None:
        self.tracker = tracker
        self.token = token
        self.open = False

    def create(self) -> None:
        """Ask the client to create the (server-made) token; without it, no progress."""
        try:
            assert self.token is not None
            self.tracker.create(self.token)
        except Exception:
            log.debug("progress unavailable", exc_info=True)
            self.token = None

    async def create_async(self) -> None:
        """`create`, waiting for the client's answer."""
        try:
            assert self.token is not None
            await self.tracker.create_async(self.token)
        except Exception:
            log.debug("progress unavailable", exc_info=True)
            self.token = None

    def begin(
        self,
        title: str,
        *,
        cancellable: bool = False,
        percentage: int | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Start the progress; `on_cancel` runs when the user cancels it in the editor."""
        if self.token is None:
            return
        begin = types.WorkDoneProgressBegin(
            title=title, cancellable=cancellable, percentage=percentage
        )
        try:
            self.tracker.begin(self.token, begin)
            self.open = True
            future = self.tracker.tokens.get(self.token)
            if future is not None and on_cancel is not None:
                future.add_done_callback(lambda done: on_cancel() if done.cancelled() else None)
        except Exception:
            log.debug("progress unavailable", exc_info=True)

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.open and self.token is not None:
            value = types.WorkDoneProgressReport(message=message, percentage=percentage)
            self._send(self.tracker.report, value)

    def end(self, message: str) -> None:
        if self.open and self.token is not None:
            self.open = False
            self._send(self.tracker.end, types.WorkDoneProgressEnd(message=message))
            self.tracker.tokens.pop(self.token, None)

    def _send(self, send: Callable[[types.ProgressToken, Any], None], value: Any) -> None:
        try:
            assert self.token is not None
            send(self.token, value)
        except Exception:
            log.debug("progress report failed", exc_info=True)


def shows_progress(capabilities: types.ClientCapabilities) -> bool:
    """Whether the client accepts server-created progress (`window.workDoneProgress`)."""
    window = capabilities.window
    return bool(window is not None and window.work_done_progress)


# -- pygls internals (the one place that touches them) ------------------------------------------


def request_alive(protocol: LanguageServerProtocol, msg_id: Any) -> Callable[[], bool]:
    """Whether the request `msg_id` is still awaited: pygls drops it once `$/cancelRequest` came."""
    return lambda: msg_id in protocol._request_futures


def to_json(protocol: LanguageServerProtocol, value: Any) -> Any:
    """An lsprotocol object as the JSON it is sent as (pygls' own converter: camelCase keys)."""
    return protocol._converter.unstructure(value)
