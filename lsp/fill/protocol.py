"""Fill this hole over LSP: code actions, `codeAction/resolve`, commands, progress, cancel.

The server's handlers call these functions with a `FillHost`: what they need of the server (its
documents, settings, engine, progress and client requests), nothing more. The feature itself is
action.py. The last result per document is kept (cache.py) so the other candidates are offered
as further code actions and listed by `repofill.fillHoleCandidates` without asking the model
again. Each request finds its hole once (`_fill_or_cached`).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from lsprotocol import types
from pygls.progress import Progress as ProgressTracker
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument
from repofill.models.types import CancelToken
from repofill.retrieval.exclusion import is_secret
from repofill.retrieval.languages import language_for
from repofill.retrieval.types import Cursor

from ..engine import Engine
from ..protocol_helpers import (
    Progress,
    command_uri,
    document_version,
    positions,
    shows_progress,
)
from ..settings import Settings
from .action import fill
from .cache import FillCache, FillEntry
from .candidates import FillCandidate, FillOptions, FillResult, FillTarget, locate
from .holes import Hole, find_hole

TITLE = "Fill this hole"
MAX_ALTERNATIVES = 3
_tokens = itertools.count(1)


class FillHost(Protocol):
    """What the fill protocol needs of the server (lsp/server.py `RepoFillServer` is one)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def workspace_root(self) -> Path | None: ...

    @property
    def client_capabilities(self) -> types.ClientCapabilities: ...

    @property
    def work_done_progress(self) -> ProgressTracker: ...

    def open_document(self, uri: str) -> TextDocument | None: ...

    def cursor_at(self, uri: str, position: types.Position) -> Cursor: ...

    def busy(self) -> AbstractContextManager[None]: ...

    def to_json(self, value: Any) -> Any: ...

    async def workspace_apply_edit_async(
        self, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult: ...

    async def window_show_document_async(
        self, params: types.ShowDocumentParams
    ) -> types.ShowDocumentResult: ...

    def window_show_message(self, params: types.ShowMessageParams) -> None: ...


# -- code actions -------------------------------------------------------------------------------


def code_actions(
    ls: FillHost, cache: FillCache, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """`textDocument/codeAction`: Fill this hole where there is one, the last fill's other
    candidates; after a fill, in the code it wrote, the other candidates."""
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
            return _other_candidates(document, uri, applied)
    hole = find_hole(document.source, start, end, _language(document, uri))
    if hole is None:
        return []
    actions = [_fill_action(ls, uri, params.range)]
    cached = cache.lookup(uri, document.source, hole)
    if cached is not None:
        actions += _alternatives(document, uri, hole, cached)
    return actions


def _alternatives(
    document: TextDocument, uri: str, hole: Hole, result: FillResult
) -> list[types.CodeAction]:
    """The last fill's candidates after the best, as actions that fill the hole with them."""
    n = min(len(result.candidates), 1 + MAX_ALTERNATIVES)
    return [
        _candidate_action(document, uri, (hole.start, hole.end), result, i) for i in range(1, n)
    ]


def _fill_action(ls: FillHost, uri: str, span: types.Range) -> types.CodeAction:
    """The action itself: resolved lazily when the client can, else a `repofill.fillHole`."""
    argument = {"uri": uri, "range": _range_json(span)}
    kind = types.CodeActionKind.RefactorRewrite
    if _client_resolves_edits(ls):
        return types.CodeAction(title=TITLE, kind=kind, data=argument)
    command = types.Command(title=TITLE, command="repofill.fillHole", arguments=[argument])
    return types.CodeAction(title=TITLE, kind=kind, command=command)


def _other_candidates(document: TextDocument, uri: str, entry: FillEntry) -> list[types.CodeAction]:
    """After a fill: each other candidate as an action that replaces the one in place."""
    lo, hi = entry.span()
    others = [i for i in range(len(entry.result.candidates)) if i != entry.applied]
    return [
        _candidate_action(document, uri, (lo, hi), entry.result, i)
        for i in others[:MAX_ALTERNATIVES]
    ]


def _candidate_action(
    document: TextDocument, uri: str, span: tuple[int, int], result: FillResult, index: int
) -> types.CodeAction:
    """Candidate `index` as an action whose edit puts it over the character offsets `span`."""
    candidate = result.candidates[index]
    n = len(result.candidates)
    return types.CodeAction(
        title=f"{TITLE}: candidate {index + 1} of {n} ({_label(candidate.text)})",
        kind=types.CodeActionKind.RefactorRewrite,
        edit=_edit(document, uri, *span, candidate.text),
    )


def _label(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:60] if lines else ""


async def resolve(ls: FillHost, cache: FillCache, action: types.CodeAction) -> types.CodeAction:
    """`codeAction/resolve`: generate, check and rank; the best candidate becomes the edit."""
    data = action.data
    if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        return action
    uri = data["uri"]
    if ls.open_document(uri) is None:
        return action
    target = _target(ls, uri, *positions(data))
    result, _ = await _fill_or_cached(ls, cache, uri, target, None, reuse=False)
    document = ls.open_document(uri)
    if result.best is None or result.hole is None or document is None:
        _tell(ls, result)
        return action
    hole, best = result.hole, result.best.text
    action.edit = _edit(document, uri, hole.start, hole.end, best)
    action.command = _reveal(ls, document, uri, hole.start, best)
    cache.mark_applied(uri, 0)  # if the client applies it, the others replace it
    return action


def _reveal(
    ls: FillHost, document: TextDocument, uri: str, start: int, text: str
) -> types.Command | None:
    """The command a client runs after a code action's edit: the cursor to the end of the
    inserted text (`repofill.revealFill`). None when the client cannot show documents."""
    if not _client_shows_documents(ls):
        return None
    end = _position_json(_end_position(document, start, text))
    return types.Command(
        title="Move the cursor after the fill",
        command="repofill.revealFill",
        arguments=[{"uri": uri, "position": end}],
    )


async def reveal_command(ls: FillHost, arg: dict[str, Any]) -> dict[str, Any]:
    """`repofill.revealFill` `[{uri, position}]`: `window/showDocument` with the selection at
    `position` (where the applied fill ends; LSP 3.16), so the cursor lands after the fill."""
    uri = command_uri(arg, "repofill.revealFill")
    at, _ = positions(arg)
    if not _client_shows_documents(ls):
        return {"shown": False}
    shown = await ls.window_show_document_async(
        types.ShowDocumentParams(uri=uri, take_focus=True, selection=types.Range(start=at, end=at))
    )
    return {"shown": bool(getattr(shown, "success", False))}


def _client_shows_documents(ls: FillHost) -> bool:
    window = ls.client_capabilities.window
    show = window.show_document if window is not None else None
    return bool(show is not None and show.support)


# -- commands -----------------------------------------------------------------------------------


async def fill_command(
    ls: FillHost,
    cache: FillCache,
    arg: dict[str, Any],
    request_alive: Callable[[], bool] = lambda: True,
) -> dict[str, Any]:
    """`repofill.fillHole`: fill, then `workspace/applyEdit`; `index` picks a cached candidate.

    `request_alive` says whether the client still wants the answer: pygls answers a cancelled
    `workspace/executeCommand` at once but does not stop the command, so no edit may go out after.
    """
    uri = command_uri(arg, "repofill.fillHole")
    if ls.open_document(uri) is None:
        return _not_applied(f"{uri} is not open")
    target = _target(ls, uri, *positions(arg))
    index = arg.get("index", 0)
    reuse = isinstance(index, int) and index > 0
    token = arg.get("workDoneToken")
    result, cached = await _fill_or_cached(ls, cache, uri, target, token, reuse=reuse)
    index = index if cached else 0
    if result.hole is None or not 0 <= index < len(result.candidates):
        return _not_applied(result.message or "no suggestion")
    if not request_alive():
        return _not_applied("cancelled")
    return await _apply(ls, cache, uri, (result.hole.start, result.hole.end), result, index)


async def apply_candidate_command(
    ls: FillHost, cache: FillCache, arg: dict[str, Any]
) -> dict[str, Any]:
    """`repofill.applyFillCandidate`: put candidate `index` of the last fill where the applied
    one is, without undo and without asking the model again."""
    uri = command_uri(arg, "repofill.applyFillCandidate")
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
    return await _apply(ls, cache, uri, entry.span(), entry.result, index)


async def _apply(
    ls: FillHost,
    cache: FillCache,
    uri: str,
    span: tuple[int, int],
    result: FillResult,
    index: int,
) -> dict[str, Any]:
    """Send the edit that puts candidate `index` over the character offsets `span`; the
    command's result."""
    text = result.candidates[index].text
    document = ls.open_document(uri)
    if document is None:
        return _not_applied(f"{uri} is not open")
    cursor = _end_position(document, span[0], text)
    edit = _edit(document, uri, *span, text)
    response = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=TITLE)
    )
    applied = bool(response and response.applied)
    if applied:
        cache.mark_applied(uri, index)
    return _applied_json(result, index, applied, cursor)


def _applied_json(
    result: FillResult, index: int, applied: bool, cursor: types.Position
) -> dict[str, Any]:
    return {
        "applied": applied,
        "message": result.message,
        "text": result.candidates[index].text,
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


def _end_position(document: TextDocument, start: int, text: str) -> types.Position:
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


async def candidates_command(ls: FillHost, cache: FillCache, arg: dict[str, Any]) -> dict[str, Any]:
    """`repofill.fillHoleCandidates`: every valid candidate with its edit; applies nothing."""
    uri = command_uri(arg, "repofill.fillHoleCandidates")
    if ls.open_document(uri) is None:
        return {"status": "not-open", "message": f"{uri} is not open", "candidates": []}
    target = _target(ls, uri, *positions(arg))
    token = arg.get("workDoneToken")
    result, _ = await _fill_or_cached(ls, cache, uri, target, token, reuse=True)
    document = ls.open_document(uri)
    items = []
    if result.hole is not None and document is not None:
        items = [_candidate_json(ls, document, uri, result.hole, c) for c in result.candidates]
    return {"status": result.status, "message": result.message, "candidates": items}


def _candidate_json(
    ls: FillHost, document: TextDocument, uri: str, hole: Hole, candidate: FillCandidate
) -> dict[str, Any]:
    return {
        "text": candidate.text,
        "score": round(candidate.score, 4),
        "ended": candidate.ended,
        "verdict": candidate.verdict,
        "edit": ls.to_json(_edit(document, uri, hole.start, hole.end, candidate.text)),
    }


# -- running with progress and cancellation -----------------------------------------------------


async def _fill_or_cached(
    ls: FillHost, cache: FillCache, uri: str, target: FillTarget, token: Any, *, reuse: bool
) -> tuple[FillResult, bool]:
    """The result for `target`'s hole, found once: the cached one when `reuse` and there is one
    (then True), else a new fill, stored in the cache."""
    if is_secret(target.path, target.text):
        return FillResult("excluded", "this file is never sent to a model (secrets)"), False
    located = locate(target)
    if reuse and isinstance(located, Hole):
        cached = cache.lookup(uri, target.text, located)
        if cached is not None:
            return cached, True
    version = document_version(ls, uri)
    result = await _run(ls, uri, target, located, token)
    cache.store(uri, version, target.text, result)
    return result, False


async def _run(
    ls: FillHost, uri: str, target: FillTarget, located: Hole | FillResult, token: Any
) -> FillResult:
    """The fill with progress and the busy state; `located`: the hole, or why there is none."""
    version = document_version(ls, uri)
    cancel = CancelToken()
    progress = await _open_progress(ls, token, cancel)
    try:
        with ls.busy():
            if isinstance(located, FillResult):
                result = located  # the refusal: no hole, or a file that does not parse
            else:
                result = await _fill(ls, target, located, cancel, progress)
    except asyncio.CancelledError:
        cancel.cancel("cancelled")
        progress.end("cancelled")
        raise
    if document_version(ls, uri) != version:
        result = FillResult("stale", "the document changed while filling; nothing was changed")
    progress.end(result.message or f"{len(result.candidates)} candidate(s)")
    return result


async def _fill(
    ls: FillHost, target: FillTarget, hole: Hole, cancel: CancelToken, progress: Progress
) -> FillResult:
    """The fill action (action.py) with the options the settings ask for."""
    options = FillOptions.from_settings(ls.settings)
    return await fill(
        ls.engine, target, options, hole=hole, cancel=cancel, progress=progress.report
    )


async def _open_progress(ls: FillHost, token: Any, cancel: CancelToken) -> Progress:
    """`$/progress` for one fill, under the client's token or, when the client accepts them, one
    of ours; cancelling it in the editor cancels the fill."""
    if token is None and shows_progress(ls.client_capabilities):
        progress = Progress(ls.work_done_progress, f"repofill-fill-{next(_tokens)}")
        await progress.create_async()
    else:
        progress = Progress(ls.work_done_progress, token)
    progress.begin(
        f"RepoFill: {TITLE}", cancellable=True, on_cancel=lambda: cancel.cancel("cancelled")
    )
    return progress


# -- helpers ------------------------------------------------------------------------------------


def _tell(ls: FillHost, result: FillResult) -> None:
    if result.status == "cancelled":
        return
    kind = types.MessageType.Error if result.status == "error" else types.MessageType.Info
    message = f"RepoFill: {result.message}"
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _client_resolves_edits(ls: FillHost) -> bool:
    doc = ls.client_capabilities.text_document
    action = doc.code_action if doc is not None else None
    support = action.resolve_support if action is not None else None
    return support is not None and "edit" in support.properties


def _target(ls: FillHost, uri: str, start: types.Position, end: types.Position) -> FillTarget:
    a, b = ls.cursor_at(uri, start), ls.cursor_at(uri, end)
    return FillTarget(a.text, a.path, a.language, a.offset, b.offset, ls.workspace_root)


def _edit(document: TextDocument, uri: str, start: int, end: int, text: str) -> types.WorkspaceEdit:
    """One `TextEdit` that puts `text` over the character offsets [start, end)."""
    span = types.Range(
        start=document.client_position_at_offset(start),
        end=document.client_position_at_offset(end),
    )
    return types.WorkspaceEdit(changes={uri: [types.TextEdit(range=span, new_text=text)]})


def _language(document: TextDocument, uri: str) -> str:
    return language_for(Path(to_fs_path(uri) or uri), document.language_id)


def _range_json(r: types.Range) -> dict[str, Any]:
    return {"start": _position_json(r.start), "end": _position_json(r.end)}


def _position_json(p: types.Position) -> dict[str, int]:
    return {"line": p.line, "character": p.character}
