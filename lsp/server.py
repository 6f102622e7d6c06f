"""The LSP server: thin handlers that translate the protocol to engine calls and back."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument
from repofill.retrieval import format_context
from repofill.retrieval.languages import language_for
from repofill.retrieval.types import Cursor

from .client_log import forward_to_client
from .documents import install as install_documents
from .engine import Completion, Engine, SelectedItem
from .fill.cache import FillCache
from .fill.protocol import (
    apply_candidate_command,
    candidates_command,
    code_actions,
    fill_command,
    resolve,
    reveal_command,
)
from .lifecycle import EXIT_DEADLINE_S, LifecycleProtocol, exit_after, watch_parent
from .prompt_window import word_end
from .protocol_helpers import (
    Progress,
    busy,
    command_argument,
    document_version,
    positions,
    request_alive,
    to_json,
)
from .runtime import Runtime
from .settings import Settings
from .watch import registration

log = logging.getLogger(__name__)

NAME = "repofill"
VERSION = "0.1.0"
DID_MOVE_CURSOR = "repofill/didMoveCursor"
"""Client notification: the cursor rests at a place (docs/protocol.md); the server pre-warms."""


class RepoFillServer(LanguageServer):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__(NAME, VERSION, protocol_cls=LifecycleProtocol)
        self.runtime = runtime
        self.state = "starting"
        self.state_message = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        # LSP: no notifications of ours before the client's `initialized`.
        self.client_initialized = False
        self.shown_errors: set[str] = set()
        self.fills = FillCache()

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def workspace_root(self) -> Path | None:
        """The indexed repository's root; None before the index exists."""
        retriever = self.runtime.retriever
        return retriever.root if retriever is not None else None

    def busy(self) -> AbstractContextManager[None]:
        """`working` while a request runs (protocol_helpers.busy)."""
        return busy(self.runtime, self.set_state)

    def to_json(self, value: Any) -> Any:
        return to_json(self.protocol, value)

    def set_state(self, state: str, message: str = "") -> None:
        """Send `repofill/status` when the state changes; safe to call from any thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            in_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            in_loop = False
        if not in_loop:
            loop.call_soon_threadsafe(self.set_state, state, message)
            return
        if (state, message) == (self.state, self.state_message) or not self.client_initialized:
            self.state, self.state_message = state, message
            return
        self.state, self.state_message = state, message
        self.protocol.notify("repofill/status", {"state": state, "message": message})
        if state == "error":
            _show_error(self, message)

    def open_document(self, uri: str) -> TextDocument | None:
        """The open document `uri`, or None (never read from disk: the client owns the text).

        pygls keys its documents by the percent-decoded URI."""
        return self.workspace.text_documents.get(unquote(uri))

    def cursor_at(self, uri: str, position: types.Position) -> Cursor:
        """The cursor for a document position; JSON-RPC InvalidParams when it does not exist."""
        document = self.open_document(uri)
        if document is None:  # never read from disk: the client owns the text (LSP)
            raise JsonRpcInvalidParams(f"{uri} is not open")
        text = document.source
        lines = document.lines
        line, character = position.line, position.character
        # After a final newline (or in an empty file) there is one more, empty line.
        last_is_open = not lines or lines[-1].endswith(("\n", "\r"))
        n_lines = len(lines) + (1 if last_is_open else 0)
        if not 0 <= line < n_lines:
            raise JsonRpcInvalidParams(f"position {line}:{character} is outside {uri}")
        content = lines[line].rstrip("\r\n") if line < len(lines) else ""
        width = document.position_codec.client_num_units(content)
        if not 0 <= character <= width:
            raise JsonRpcInvalidParams(
                f"position {line}:{character} is past the end of its line ({width} units)"
            )
        offset = document.offset_at_position(position)
        path = Path(to_fs_path(uri) or uri)
        return Cursor(text, min(offset, len(text)), path, language_for(path, document.language_id))


def create_server(runtime: Runtime) -> RepoFillServer:
    server = RepoFillServer(runtime)

    @server.feature(types.INITIALIZE)
    def initialize(ls: RepoFillServer, params: types.InitializeParams) -> None:
        install_documents(ls.protocol)  # lines as LSP counts them (`\n`, `\r\n`, `\r` only)
        ls.runtime.apply_settings(params.initialization_options)
        ls.loop = asyncio.get_running_loop()
        forward_to_client(ls, ls.loop)
        ls.runtime.start(_workspace_root(params), on_state=ls.set_state)
        watch_parent(params.process_id, ls.runtime.shutdown)

    @server.feature(types.EXIT)
    def exit_notification(ls: RepoFillServer, params: None) -> None:
        protocol = ls.protocol
        if isinstance(protocol, LifecycleProtocol):
            exit_after(EXIT_DEADLINE_S, lambda: protocol.exit_code)

    @server.feature(types.INITIALIZED)
    def initialized(ls: RepoFillServer, params: types.InitializedParams) -> None:
        ls.client_initialized = True
        watchers = registration(ls.client_capabilities)
        if watchers is not None:  # `.gitignore` and friends: re-decide what may be read
            ls.client_register_capability(watchers)
        ls.runtime.start_index(_IndexProgress(ls))
        state, message = ls.runtime.state, ls.runtime.state_message
        ls.state = ""  # force one notification with the current state
        ls.set_state(state, message)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(
        ls: RepoFillServer, params: types.DidChangeConfigurationParams
    ) -> None:
        ls.runtime.apply_settings(params.settings)
        ls.set_state(ls.runtime.state, ls.runtime.state_message)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RepoFillServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.runtime.document_changed(params.text_document.uri, params.text_document.text)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RepoFillServer, params: types.DidChangeTextDocumentParams) -> None:
        document = ls.open_document(params.text_document.uri)
        if document is not None:
            ls.runtime.document_changed(document.uri, document.source)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RepoFillServer, params: types.DidSaveTextDocumentParams) -> None:
        document = ls.open_document(params.text_document.uri)
        if document is not None:
            ls.runtime.document_changed(document.uri, document.source, now=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RepoFillServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.runtime.document_closed(params.text_document.uri)
        ls.fills.forget(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: RepoFillServer, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            ls.runtime.file_event(change.uri, deleted=change.type == types.FileChangeType.Deleted)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: RepoFillServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        uri = params.text_document.uri
        document = ls.open_document(uri)
        if document is None:
            log.debug("inline completion for %s, which is not open: empty", uri)
            return types.InlineCompletionList(items=[])
        cursor = ls.cursor_at(uri, params.position)
        version = document.version
        if not ls.settings.language_enabled(_lsp_language(ls, uri)):
            return types.InlineCompletionList(items=[])
        with ls.busy():
            result, span = await _complete(ls, document, cursor, params)
        if result.status == "error":  # one request: the log, never a popup (editors' issue 20)
            log.warning("inline completion failed: %s", result.message)
        if document_version(ls, uri) != version:
            # the document changed while the model worked: the suggestion is for stale text
            return types.InlineCompletionList(items=[])
        items = [types.InlineCompletionItem(insert_text=text, range=span) for text in result.items]
        return types.InlineCompletionList(items=items)

    @server.feature(DID_MOVE_CURSOR)
    def did_move_cursor(ls: RepoFillServer, params: Any) -> None:
        place = _moved_cursor(params)
        if place is None:
            log.warning("%s needs {textDocument: {uri}, position}: ignored", DID_MOVE_CURSOR)
            return
        uri, position = place
        if ls.open_document(uri) is None or not ls.runtime.settings.language_enabled(
            _lsp_language(ls, uri)
        ):
            return
        if ls.runtime.model_state() != "loaded":
            return
        try:
            cursor = ls.cursor_at(uri, position)
        except JsonRpcInvalidParams as exc:  # a notification has no answer: log and go on
            log.warning("%s: %s", DID_MOVE_CURSOR, exc)
            return
        ls.engine.prewarm(cursor)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.RefactorRewrite], resolve_provider=True
        ),
    )
    def code_action(ls: RepoFillServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return code_actions(ls, ls.fills, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: RepoFillServer, action: types.CodeAction) -> types.CodeAction:
        return await resolve(ls, ls.fills, action)

    @server.command("repofill.fillHole")
    async def fill_hole(ls: RepoFillServer, *args: Any) -> dict[str, Any]:
        return await fill_command(
            ls, ls.fills, command_argument(args), request_alive(ls.protocol, ls.protocol.msg_id)
        )

    @server.command("repofill.fillHoleCandidates")
    async def fill_hole_candidates(ls: RepoFillServer, *args: Any) -> dict[str, Any]:
        return await candidates_command(ls, ls.fills, command_argument(args))

    @server.command("repofill.applyFillCandidate")
    async def apply_fill_candidate(ls: RepoFillServer, *args: Any) -> dict[str, Any]:
        return await apply_candidate_command(ls, ls.fills, command_argument(args))

    @server.command("repofill.revealFill")
    async def reveal_fill(ls: RepoFillServer, *args: Any) -> dict[str, Any]:
        return await reveal_command(ls, command_argument(args))

    @server.command("repofill.showContext")
    async def show_context(ls: RepoFillServer, *args: Any) -> dict[str, str]:
        arg = command_argument(args)
        uri = arg.get("uri")
        if not isinstance(uri, str):
            raise JsonRpcInvalidParams("repofill.showContext needs {uri, position}")
        start, _ = positions(arg)
        if ls.open_document(uri) is None:
            return {"text": "", "message": f"{uri} is not open"}
        cursor = ls.cursor_at(uri, start)
        future = ls.engine.worker.submit(lambda backend: ls.engine.select_context(cursor, backend))
        context = await asyncio.wrap_future(future)
        return {"text": format_context(context)}

    @server.command("repofill.status")
    def status(ls: RepoFillServer, *args: Any) -> dict[str, Any]:
        return ls.runtime.status()

    @server.command("repofill.stats")
    def stats(ls: RepoFillServer, *args: Any) -> dict[str, Any]:
        return ls.runtime.stats()

    return server


async def _complete(
    ls: RepoFillServer,
    document: TextDocument,
    cursor: Cursor,
    params: types.InlineCompletionParams,
) -> tuple[Completion, types.Range]:
    """The engine's answer for an inline request, and the range its items replace: the word's
    rest at the cursor, or the suggest list's selected item (which the items extend)."""
    invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    n = max(1, ls.settings.candidates) if invoked else 1
    info = params.context.selected_completion_info
    selected = _selected_item(document, info)
    if selected is None or info is None:
        span = _word_range(ls, cursor, params.position)
        return await ls.engine.complete(
            document.uri, cursor, n_candidates=n, explicit=invoked
        ), span
    result = await ls.engine.complete_selected(
        document.uri, cursor, selected, n_candidates=n, explicit=invoked
    )
    return result, info.range


def _moved_cursor(params: Any) -> tuple[str, types.Position] | None:
    """(uri, position) from `repofill/didMoveCursor` params (pygls gives them as namedtuples)."""

    def field(obj: Any, name: str) -> Any:
        return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)

    uri = field(field(params, "textDocument"), "uri")
    position = field(params, "position")
    line, character = field(position, "line"), field(position, "character")
    if not isinstance(uri, str) or not isinstance(line, int) or not isinstance(character, int):
        return None
    return uri, types.Position(line=line, character=character)


def _lsp_language(ls: RepoFillServer, uri: str) -> str:
    document = ls.open_document(uri)
    language_id = document.language_id if document is not None else None
    return language_id or language_for(Path(to_fs_path(uri) or uri))


def _word_range(ls: RepoFillServer, cursor: Cursor, position: types.Position) -> types.Range:
    """The range an item replaces: the cursor, or inside a word the cursor to the word's end
    (`res|u` + `ult` -> `result`), in the client's position units."""
    rest = cursor.text[cursor.offset : word_end(cursor.text, cursor.offset)]
    units = ls.workspace.position_codec.client_num_units(rest)
    end = types.Position(line=position.line, character=position.character + units)
    return types.Range(start=position, end=end)


def _selected_item(
    document: TextDocument, info: types.SelectedCompletionInfo | None
) -> SelectedItem | None:
    """The suggest list's selected item as character offsets; None without one (or a range that
    is not in the document: then the request is answered as if there were none)."""
    if info is None:
        return None
    try:
        start = document.offset_at_position(info.range.start)
        end = document.offset_at_position(info.range.end)
    except (IndexError, ValueError):
        return None
    if (
        not 0 <= start <= end <= len(document.source)
        or info.range.start.line != info.range.end.line
    ):
        return None
    return SelectedItem(start, end, info.text)


def _workspace_root(params: types.InitializeParams) -> Path | None:
    if params.workspace_folders:
        return Path(to_fs_path(params.workspace_folders[0].uri) or ".")
    if params.root_uri:
        return Path(to_fs_path(params.root_uri) or ".")
    if params.root_path:
        return Path(params.root_path)
    return None


def _show_error(ls: RepoFillServer, message: str) -> None:
    """Tell the user once per distinct problem; the log keeps every occurrence."""
    log.error("%s", message)
    if message in ls.shown_errors:
        return
    ls.shown_errors.add(message)
    ls.window_show_message(
        types.ShowMessageParams(type=types.MessageType.Error, message=f"RepoFill: {message}")
    )


class _IndexProgress:
    """Index-build progress as `$/progress` begin/report/end; called from the indexing thread."""

    def __init__(self, ls: RepoFillServer) -> None:
        self.ls = ls
        self.progress = Progress(ls.work_done_progress, "repofill-index")
        self.started = False
        self.last_pct = -1

    def __call__(self, done: int, total: int) -> None:
        if self.ls.loop is not None and not self.ls.loop.is_closed():
            self.ls.loop.call_soon_threadsafe(self._report, done, total)

    def _report(self, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if not self.started:
            self.started = True
            self.progress.create()
            self.progress.begin("RepoFill: indexing", percentage=0)
        if done >= total:
            self.progress.end(f"indexed {total} files")
        elif pct != self.last_pct:
            self.progress.report(f"{done}/{total} files", pct)
        self.last_pct = pct
