"""Fill this hole over LSP: code actions, `codeAction/resolve`, commands, progress, cancel.

The server's handlers call these functions; the feature itself is fill_hole.py. The last result
per document is kept so the other candidates are offered as further code actions and listed by
`repofill.fillHoleCandidates` without asking the model again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path
from repofill.models.types import CancelToken
from repofill.retrieval.exclusion import is_secret
from repofill.retrieval.languages import language_for

from .command_args import positions
from .fill_hole import FillOptions, FillResult, FillTarget, fill
from .holes import Hole, find_hole

if TYPE_CHECKING:
    from .server import RepoFillServer

log = logging.getLogger(__name__)

TITLE = "Fill this hole"
MAX_ALTERNATIVES = 3
_tokens = itertools.count(1)


@dataclass
class _Entry:
    version: int | None
    text: str
    """The document before the fill."""
    hole: Hole
    result: FillResult
    applied: int | None = None
    """The candidate the server last sent as an edit (None: none yet)."""

    def filled(self, index: int) -> str:
        text = self.result.candidates[index].text
        return self.text[: self.hole.start] + text + self.text[self.hole.end :]

    def span(self) -> tuple[int, int]:
        """Where the applied candidate is in the filled document (character offsets)."""
        assert self.applied is not None
        return self.hole.start, self.hole.start + len(self.result.candidates[self.applied].text)


class FillCache:
    """The last fill per document: its candidates stay reachable while the document is the one
    filled (unchanged, or with exactly the applied candidate in place)."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def store(self, uri: str, version: int | None, text: str, result: FillResult) -> None:
        if result.hole is not None and result.candidates:
            self._entries[uri] = _Entry(version, text, result.hole, result)

    def lookup(self, uri: str, text: str, hole: Hole) -> FillResult | None:
        entry = self._entries.get(uri)
        if entry is None or entry.text != text or entry.hole != hole:
            return None
        return entry.result

    def mark_applied(self, uri: str, index: int) -> None:
        entry = self._entries.get(uri)
        if entry is not None:
            entry.applied = index

    def applied(self, uri: str, text: str) -> _Entry | None:
        """The entry whose applied candidate is in place in `text`, else None."""
        entry = self._entries.get(uri)
        if entry is None or entry.applied is None or entry.filled(entry.applied) != text:
            return None
        return entry

    def forget(self, uri: str) -> None:
        self._entries.pop(uri, None)


# -- code actions -------------------------------------------------------------------------------


def code_actions(
    ls: RepoFillServer, cache: FillCache, params: types.CodeActionParams
) -> list[types.CodeAction]:
    uri = params.text_document.uri
    document = ls.open_document(uri)
    if document is None:
        return []
    start = document.offset_at_position(params.range.start)
    end = document.offset_at_position(params.range.end)
    applied = cache.applied(uri, document.source)
    if applied is not None:
        lo, hi = applied.span()
        if lo <= end and start <= hi:  # in the code the last fill wrote: offer the others
            return _other_candidates(ls, uri, applied)
    hole = find_hole(document.source, start, end, _language(ls, uri))
    if hole is None:
        return []
    argument = {"uri": uri, "range": _range_json(params.range)}
    if _client_resolves_edits(ls):
        action = types.CodeAction(
            title=TITLE, kind=types.CodeActionKind.RefactorRewrite, data=argument
        )
    else:
        action = types.CodeAction(
            title=TITLE,
            kind=types.CodeActionKind.RefactorRewrite,
            command=types.Command(title=TITLE, command="repofill.fillHole", arguments=[argument]),
        )
    actions = [action]
    cached = cache.lookup(uri, document.source, hole)
    if cached is not None:
        for i in range(1, min(len(cached.candidates), 1 + MAX_ALTERNATIVES)):
            actions.append(_candidate_action(ls, uri, hole.start, hole.end, cached, i))
    return actions


def _other_candidates(ls: RepoFillServer, uri: str, entry: _Entry) -> list[types.CodeAction]:
    """After a fill: each other candidate as an action that replaces the one in place."""
    lo, hi = entry.span()
    others = [i for i in range(len(entry.result.candidates)) if i != entry.applied]
    return [_candidate_action(ls, uri, lo, hi, entry.result, i) for i in others[:MAX_ALTERNATIVES]]


def _candidate_action(
    ls: RepoFillServer, uri: str, start: int, end: int, result: FillResult, index: int
) -> types.CodeAction:
    candidate = result.candidates[index]
    n = len(result.candidates)
    return types.CodeAction(
        title=f"{TITLE}: candidate {index + 1} of {n} ({_label(candidate.text)})",
        kind=types.CodeActionKind.RefactorRewrite,
        edit=_edit(ls, uri, start, end, candidate.text),
    )


def _label(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:60] if lines else ""


async def resolve(
    ls: RepoFillServer, cache: FillCache, action: types.CodeAction
) -> types.CodeAction:
    """Generate, check and rank; the best candidate becomes the action's edit."""
    data = action.data
    if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        return action
    uri = data["uri"]
    document = ls.open_document(uri)
    if document is None:
        return action
    target = _target(ls, uri, *positions(data))
    result = await _run(ls, uri, target, None)
    cache.store(uri, document.version, target.text, result)
    if result.best is None or result.hole is None:
        _tell(ls, result)
        return action
    action.edit = _edit(ls, uri, result.hole.start, result.hole.end, result.best.text)
    action.command = _reveal(ls, uri, result.hole.start, result.best.text)
    cache.mark_applied(uri, 0)  # if the client applies it, the others replace it
    return action


def _reveal(ls: RepoFillServer, uri: str, start: int, text: str) -> types.Command | None:
    """The command a client runs after a code action's edit: the cursor to the end of the
    inserted text (`repofill.revealFill`). None when the client cannot show documents."""
    document = ls.open_document(uri)
    if document is None or not _client_shows_documents(ls):
        return None
    end = _position_json(_end_position(document, start, text))
    return types.Command(
        title="Move the cursor after the fill",
        command="repofill.revealFill",
        arguments=[{"uri": uri, "position": end}],
    )


async def reveal_command(ls: RepoFillServer, arg: dict[str, Any]) -> dict[str, Any]:
    """`repofill.revealFill` `[{uri, position}]`: `window/showDocument` with the selection at
    `position` (where the applied fill ends; LSP 3.16), so the cursor lands after the fill."""
    uri = _uri(arg, "repofill.revealFill")
    at, _ = positions(arg)
    if not _client_shows_documents(ls):
        return {"shown": False}
    shown = await ls.window_show_document_async(
        types.ShowDocumentParams(uri=uri, take_focus=True, selection=types.Range(start=at, end=at))
    )
    return {"shown": bool(getattr(shown, "success", False))}


def _client_shows_documents(ls: RepoFillServer) -> bool:
    window = ls.client_capabilities.window
    show = window.show_document if window is not None else None
    return bool(show is not None and show.support)


# -- commands -----------------------------------------------------------------------------------


async def fill_command(
    ls: RepoFillServer,
    cache: FillCache,
    arg: dict[str, Any],
    request_alive: Callable[[], bool] = lambda: True,
) -> dict[str, Any]:
    """`repofill.fillHole`: fill, then `workspace/applyEdit`; `index` picks a cached candidate.

    `request_alive` says whether the client still wants the answer: pygls answers a cancelled
    `workspace/executeCommand` at once but does not stop the command, so no edit may go out after.
    """
    uri = _uri(arg, "repofill.fillHole")
    document = ls.open_document(uri)
    if document is None:
        return _not_applied(f"{uri} is not open")
    start, end = positions(arg)
    target = _target(ls, uri, start, end)
    version = document.version
    index = arg.get("index", 0)
    result = None
    if isinstance(index, int) and index > 0:
        hole = find_hole(target.text, target.start, target.end, target.language)
        result = cache.lookup(uri, target.text, hole) if hole is not None else None
    if result is None:
        index = 0
        result = await _run(ls, uri, target, arg.get("workDoneToken"))
        cache.store(uri, version, target.text, result)
    if result.hole is None or not 0 <= index < len(result.candidates):
        return _not_applied(result.message or "no suggestion")
    if not request_alive():
        return _not_applied("cancelled")
    return await _apply(ls, cache, uri, result.hole.start, result.hole.end, result, index)


async def apply_candidate_command(
    ls: RepoFillServer, cache: FillCache, arg: dict[str, Any]
) -> dict[str, Any]:
    """`repofill.applyFillCandidate`: put candidate `index` of the last fill where the applied
    one is, without undo and without asking the model again."""
    uri = _uri(arg, "repofill.applyFillCandidate")
    index = arg.get("index")
    document = ls.open_document(uri)
    if document is None:
        return _not_applied(f"{uri} is not open")
    entry = cache.applied(uri, document.source)
    if entry is None:
        return _not_applied(
            "the document is not as the last fill left it; run Fill this hole again"
        )
    if not isinstance(index, int) or not 0 <= index < len(entry.result.candidates):
        return _not_applied(f"no candidate {index}; there are {len(entry.result.candidates)}")
    start, end = entry.span()
    return await _apply(ls, cache, uri, start, end, entry.result, index)


async def _apply(
    ls: RepoFillServer,
    cache: FillCache,
    uri: str,
    start: int,
    end: int,
    result: FillResult,
    index: int,
) -> dict[str, Any]:
    """Send the edit that puts candidate `index` over [start, end); the command's result."""
    text = result.candidates[index].text
    document = ls.workspace.get_text_document(uri)
    cursor = _end_position(document, start, text)
    response = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=_edit(ls, uri, start, end, text), label=TITLE)
    )
    applied = bool(response and response.applied)
    if applied:
        cache.mark_applied(uri, index)
    return {
        "applied": applied,
        "message": result.message,
        "text": text,
        "index": index,
        "candidates": len(result.candidates),
        "choices": [
            {"index": i, "label": _label(c.text), "text": c.text}
            for i, c in enumerate(result.candidates)
        ],
        "cursor": _position_json(cursor),
    }


def _not_applied(message: str) -> dict[str, Any]:
    return {"applied": False, "message": message, "text": "", "candidates": 0, "choices": []}


def _end_position(document: Any, start: int, text: str) -> types.Position:
    """Where `text` ends once it is inserted at `start`, in the client's position units."""
    at = document.client_position_at_offset(start)
    if "\n" not in text:
        units = document.position_codec.client_num_units(text)
        return types.Position(line=at.line, character=at.character + units)
    last = text[text.rfind("\n") + 1 :]
    return types.Position(
        line=at.line + text.count("\n"),
        character=document.position_codec.client_num_units(last),
    )


async def candidates_command(
    ls: RepoFillServer, cache: FillCache, arg: dict[str, Any]
) -> dict[str, Any]:
    """`repofill.fillHoleCandidates`: every valid candidate with its edit; applies nothing."""
    uri = _uri(arg, "repofill.fillHoleCandidates")
    if ls.open_document(uri) is None:
        return {"status": "not-open", "message": f"{uri} is not open", "candidates": []}
    target = _target(ls, uri, *positions(arg))
    hole = find_hole(target.text, target.start, target.end, target.language)
    result = cache.lookup(uri, target.text, hole) if hole is not None else None
    if result is None:
        result = await _run(ls, uri, target, arg.get("workDoneToken"))
        cache.store(uri, ls.workspace.get_text_document(uri).version, target.text, result)
    items = []
    if result.hole is not None:
        converter = ls.protocol._converter
        for candidate in result.candidates:
            items.append(
                {
                    "text": candidate.text,
                    "score": round(candidate.score, 4),
                    "ended": candidate.ended,
                    "verdict": candidate.verdict,
                    "edit": converter.unstructure(
                        _edit(ls, uri, result.hole.start, result.hole.end, candidate.text)
                    ),
                }
            )
    return {"status": result.status, "message": result.message, "candidates": items}


# -- running with progress and cancellation -----------------------------------------------------


async def _run(ls: RepoFillServer, uri: str, target: FillTarget, token: Any) -> FillResult:
    if is_secret(target.path, target.text):
        return FillResult("excluded", "this file is never sent to a model (secrets)")
    version = _version(ls, uri)
    settings = ls.runtime.settings
    options = FillOptions(
        candidates=max(1, settings.holeCandidates),
        verify=settings.verify,
        verify_timeout_s=max(0.1, settings.verifyTimeoutMs / 1000),
        max_tokens=max(1, settings.maxTokens) * 4,
    )
    cancel = CancelToken()
    progress = await _Progress.open(ls, token, cancel)
    if ls.runtime.state == "ready":
        ls.set_state("working")
    try:
        result = await fill(ls.engine, target, options, cancel=cancel, progress=progress)
    except asyncio.CancelledError:
        cancel.cancel("cancelled")
        progress.end("cancelled")
        raise
    finally:
        ls.set_state(ls.runtime.state, ls.runtime.state_message)
    if _version(ls, uri) != version:
        result = FillResult("stale", "the document changed while filling; nothing was changed")
    progress.end(result.message or f"{len(result.candidates)} candidate(s)")
    return result


def _version(ls: RepoFillServer, uri: str) -> int | None:
    document = ls.workspace.text_documents.get(uri)
    return document.version if document is not None else None


class _Progress:
    """`$/progress` for one fill; cancelling it from the editor cancels the fill."""

    def __init__(self, ls: RepoFillServer, token: Any, cancel: CancelToken) -> None:
        self.ls = ls
        self.token = token
        self.cancel = cancel
        self.open_ = False

    @classmethod
    async def open(cls, ls: RepoFillServer, token: Any, cancel: CancelToken) -> _Progress:
        progress = cls(ls, token, cancel)
        try:
            if token is None:
                window = ls.client_capabilities.window
                if window is None or not window.work_done_progress:
                    return progress
                progress.token = f"repofill-fill-{next(_tokens)}"
                await ls.work_done_progress.create_async(progress.token)
            ls.work_done_progress.begin(
                progress.token,
                types.WorkDoneProgressBegin(title=f"RepoFill: {TITLE}", cancellable=True),
            )
            progress.open_ = True
            future = ls.work_done_progress.tokens.get(progress.token)
            if future is not None:

                def on_done(done: Any) -> None:
                    if done.cancelled():  # the user cancelled the progress in the editor
                        cancel.cancel("cancelled")

                future.add_done_callback(on_done)
        except Exception:  # progress is informational
            log.debug("progress unavailable", exc_info=True)
        return progress

    def __call__(self, message: str, percentage: int) -> None:
        if self.open_:
            self.ls.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def end(self, message: str) -> None:
        if self.open_:
            self.open_ = False
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)


# -- helpers ------------------------------------------------------------------------------------


def _tell(ls: RepoFillServer, result: FillResult) -> None:
    if result.status == "cancelled":
        return
    kind = types.MessageType.Error if result.status == "error" else types.MessageType.Info
    message = f"RepoFill: {result.message}"
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _client_resolves_edits(ls: RepoFillServer) -> bool:
    doc = ls.client_capabilities.text_document
    action = doc.code_action if doc is not None else None
    support = action.resolve_support if action is not None else None
    return support is not None and "edit" in support.properties


def _target(ls: RepoFillServer, uri: str, start: types.Position, end: types.Position) -> FillTarget:
    a, b = ls.cursor_at(uri, start), ls.cursor_at(uri, end)
    root = ls.runtime.retriever.root if ls.runtime.retriever is not None else None
    return FillTarget(a.text, a.path, a.language, a.offset, b.offset, root)


def _edit(ls: RepoFillServer, uri: str, start: int, end: int, text: str) -> types.WorkspaceEdit:
    """One `TextEdit` that puts `text` over the character offsets [start, end)."""
    document = ls.workspace.get_text_document(uri)
    span = types.Range(
        start=document.client_position_at_offset(start),
        end=document.client_position_at_offset(end),
    )
    return types.WorkspaceEdit(changes={uri: [types.TextEdit(range=span, new_text=text)]})


def _language(ls: RepoFillServer, uri: str) -> str:
    document = ls.workspace.get_text_document(uri)
    return language_for(Path(to_fs_path(uri) or uri), document.language_id)


def _uri(arg: dict[str, Any], command: str) -> str:
    uri = arg.get("uri")
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams(f"{command} needs {{uri, range | position}}")
    return uri


def _range_json(r: types.Range) -> dict[str, Any]:
    return {"start": _position_json(r.start), "end": _position_json(r.end)}


def _position_json(p: types.Position) -> dict[str, int]:
    return {"line": p.line, "character": p.character}
