"""`repofill serve` over real LSP with a scripted model.

The model is the llama-server stand-in of the remote-backend tests (tests/models/llama_server.py):
the real server, settings, engine, post-processing and fill-hole code run, and only the model's
answers are scripted, so a verdict never hangs on what a small model happens to guess. Covered:
fill-this-hole on markers inside expressions, the fill result's cursor and candidate choices,
documents the server does not know, the log's levels, and the suggest list's selected item.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..models.llama_server import StandIn, infill_stand_in
from .helpers import (
    SERVER,
    apply_text_edit,
    field,
    open_file,
    position_at,
    record_applied_edits,
    start,
    track_status,
    wait_for_state,
)
from .raw_client import RawClient

FINAL = {"stopped_eos": True, "stopped_word": False, "stopped_limit": False, "tokens_cached": 0}
OPTIONS = {"backend": "llama-server", "debounceMs": 0, "holeCandidates": 1, "contextBudget": 0}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    record_applied_edits(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def model(request: pytest.FixtureRequest) -> Iterator[StandIn]:
    """The scripted model: answers in turn (one per candidate); `@pytest.mark.answers(...)`."""
    marker = request.node.get_closest_marker("answers")
    answers: list[list[str]] = [list(a) for a in marker.args] if marker else [["1"]]
    with infill_stand_in(answers[0], FINAL, then=answers[1:]) as stand_in:
        yield stand_in


async def _ready(client: LanguageClient, root: Path, model: StandIn, **options: Any) -> None:
    seen = track_status(client)
    await start(client, root, {**OPTIONS, "remoteUrl": model.url, **options})
    await wait_for_state(seen, "ready", timeout=30)


def _apply(text: str, edit: types.WorkspaceEdit, uri: str) -> tuple[str, types.TextEdit]:
    assert edit.changes is not None
    (text_edit,) = edit.changes[uri]
    return apply_text_edit(text, text_edit), text_edit


async def _command(client: LanguageClient, command: str, arg: dict[str, Any]) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[arg])
    )


def _change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """The client applied an edit: send the new text, as an editor does."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _cursor(result: Any) -> types.Position:
    cursor = field(result, "cursor")
    return types.Position(line=field(cursor, "line"), character=field(cursor, "character"))


# -- fill this hole -----------------------------------------------------------------------------

CIRCLE = (
    "import math\n\n\n"
    "def circle(radius):\n"
    "    area = math.pi * radius ** 2\n"
    "    perim = <FILL>\n"
    "    return area, perim\n"
)


@pytest.mark.answers(["2 * math.pi", " * radius"])
async def test_marker_inside_an_expression_is_filled_and_the_cursor_lands_after_it(
    client: LanguageClient, tmp_path: Path, model: StandIn
) -> None:
    await _ready(client, tmp_path, model)
    uri = open_file(client, tmp_path / "circle.py", CIRCLE)
    at = position_at(CIRCLE, CIRCLE.index("<FILL>"))
    result = await _command(client, "repofill.fillHole", {"uri": uri, "position": at})
    assert field(result, "applied") is True, field(result, "message")
    (edit,) = client.applied_edits  # type: ignore[attr-defined]
    filled, text_edit = _apply(CIRCLE, edit, uri)
    assert filled == CIRCLE.replace("<FILL>", "2 * math.pi * radius")
    # the cursor goes to the end of the inserted text, not where it was (mid-word)
    assert _cursor(result) == position_at(filled, filled.index(" * radius\n") + len(" * radius"))
    assert text_edit.range.start == at


SCALE = "def scale(r):\n    x = <FILL>\n    y = x * 2\n    return y\n"


@pytest.mark.answers(["r * r\n", "    y = x * 2\n", "    print(y)\n"])
async def test_a_fill_above_existing_code_does_not_write_it_again(
    client: LanguageClient, tmp_path: Path, model: StandIn
) -> None:
    await _ready(client, tmp_path, model)
    uri = open_file(client, tmp_path / "scale.py", SCALE)
    at = position_at(SCALE, SCALE.index("<FILL>"))
    result = await _command(client, "repofill.fillHole", {"uri": uri, "position": at})
    assert field(result, "applied") is True, field(result, "message")
    filled, _ = _apply(SCALE, client.applied_edits[-1], uri)  # type: ignore[attr-defined]
    assert filled == SCALE.replace("<FILL>", "r * r")


TOTAL = "def total(nums):\n    return <FILL>x\n"


@pytest.mark.answers(["sum(x for x in nums)"], ["sum(nums) + "])
async def test_a_fill_always_parses_with_the_text_after_the_hole(
    client: LanguageClient, tmp_path: Path, model: StandIn
) -> None:
    await _ready(client, tmp_path, model, holeCandidates=2)
    uri = open_file(client, tmp_path / "total.py", TOTAL)
    at = position_at(TOTAL, TOTAL.index("<FILL>"))
    result = await _command(client, "repofill.fillHole", {"uri": uri, "position": at})
    assert field(result, "applied") is True, field(result, "message")
    # `return sum(x for x in nums)x` passes tree-sitter's recovery but is not Python
    assert field(result, "text") == "sum(nums) +"
    assert [field(c, "text") for c in field(result, "choices")] == ["sum(nums) +"]


@pytest.mark.answers(["2 * math.pi * radius"], ["math.tau * radius"])
async def test_other_candidates_replace_the_applied_one_without_undo(
    client: LanguageClient, tmp_path: Path, model: StandIn
) -> None:
    await _ready(client, tmp_path, model, holeCandidates=2)
    uri = open_file(client, tmp_path / "circle.py", CIRCLE)
    at = position_at(CIRCLE, CIRCLE.index("<FILL>"))
    first = await _command(client, "repofill.fillHole", {"uri": uri, "position": at})
    assert field(first, "applied") is True, field(first, "message")
    choices = field(first, "choices")
    assert len(choices) == 2 == field(first, "candidates")
    texts = [field(c, "text") for c in choices]
    assert set(texts) == {"2 * math.pi * radius", "math.tau * radius"}
    filled, _ = _apply(CIRCLE, client.applied_edits[-1], uri)  # type: ignore[attr-defined]
    _change(client, uri, 2, filled)

    # the code action on the filled code offers the other candidate
    inside = position_at(filled, filled.index("perim = ") + len("perim = ") + 2)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=inside, end=inside),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert titles == [f"Fill this hole: candidate 2 of 2 ({texts[1]})"], titles

    other = 1 - field(first, "index")
    second = await _command(client, "repofill.applyFillCandidate", {"uri": uri, "index": other})
    assert field(second, "applied") is True, field(second, "message")
    refilled, text_edit = _apply(filled, client.applied_edits[-1], uri)  # type: ignore[attr-defined]
    assert refilled == CIRCLE.replace("<FILL>", texts[other])
    assert text_edit.range.start == at
    line_end = refilled.index("\n", refilled.index("perim = "))
    assert _cursor(second) == position_at(refilled, line_end)
    # the document no longer matches (the client did not send the change): nothing is sent
    stale = await _command(client, "repofill.applyFillCandidate", {"uri": uri, "index": 0})
    assert field(stale, "applied") is False and "again" in field(stale, "message")
    assert len(client.applied_edits) == 2  # type: ignore[attr-defined]


# -- documents the server does not know ---------------------------------------------------------


async def test_unknown_and_closed_documents_never_raise(
    client: LanguageClient, tmp_path: Path, model: StandIn
) -> None:
    await _ready(client, tmp_path, model)
    uri = "untitled:Untitled-1"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="plaintext", version=1, text="context\n"
            )
        )
    )
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    # VS Code sends a change after closing an unsaved document ("Don't Save")
    _change(client, uri, 2, "")
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    at = types.Position(line=0, character=0)
    never = "file:///nowhere/never_opened.py"
    for unknown in (uri, never):
        completion = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=unknown),
                position=at,
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        assert completion is not None and not _items(completion)
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=unknown),
                range=types.Range(start=at, end=at),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert not actions
        resolved = await client.code_action_resolve_async(
            types.CodeAction(title="Fill this hole", data={"uri": unknown, "position": _json(at)})
        )
        assert resolved.edit is None
        arg = {"uri": unknown, "position": _json(at)}
        for command in ("repofill.fillHole", "repofill.applyFillCandidate"):
            result = await _command(client, command, {**arg, "index": 0})
            assert field(result, "applied") is False and "not open" in field(result, "message")
        listed = await _command(client, "repofill.fillHoleCandidates", arg)
        assert field(listed, "status") == "not-open" and field(listed, "candidates") == []
        context = await _command(client, "repofill.showContext", arg)
        assert field(context, "text") == ""
    await asyncio.sleep(0.5)  # let any message the server sent arrive
    assert client.messages == [], [m.message for m in client.messages]
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    assert errors == []
    assert client.applied_edits == []  # type: ignore[attr-defined]


def _items(completion: Any) -> list[Any]:
    return list(completion.items if hasattr(completion, "items") else completion)


def _json(p: types.Position) -> dict[str, int]:
    return {"line": p.line, "character": p.character}


# -- the suggest list's selected item -----------------------------------------------------------

PRICE = "def total(item):\n    price = it\n    return price\n"


@pytest.mark.answers([" item.price_cents", " * item.quantity"])  # token healing: `item` first
async def test_suggestion_extends_the_selected_suggest_list_item(
    client: LanguageClient, tmp_path: Path, model: StandIn
) -> None:
    await _ready(client, tmp_path, model)
    uri = open_file(client, tmp_path / "shop.py", PRICE)
    cursor = types.Position(line=1, character=14)  # after `it`
    word = types.Range(start=types.Position(line=1, character=12), end=cursor)
    completion = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=cursor,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic,
                selected_completion_info=types.SelectedCompletionInfo(range=word, text="item"),
            ),
        )
    )
    assert completion is not None
    (item,) = _items(completion)
    assert item.insert_text == "item.price_cents * item.quantity"
    assert item.range == word


# -- logging ------------------------------------------------------------------------------------


def test_ordinary_log_lines_reach_the_client_at_their_level_not_stderr(tmp_path: Path) -> None:
    stderr = tmp_path / "stderr.txt"
    with infill_stand_in(["1"], FINAL) as model:
        client = RawClient(["--no-index"], stderr=stderr)
        try:
            client.initialize(tmp_path, initializationOptions={**OPTIONS, "remoteUrl": model.url})
            client.wait_notification("repofill/status", lambda n: n["params"]["state"] == "ready")
            uri = client.open(tmp_path / "a.py", "x = \n")
            answer = client.request(
                "textDocument/inlineCompletion",
                {
                    "textDocument": {"uri": uri},
                    "position": {"line": 0, "character": 4},
                    "context": {"triggerKind": 1},
                },
            )
            assert "result" in answer, answer
            info = client.wait_notification(
                "window/logMessage", lambda n: "a.py " in n["params"]["message"], timeout=10
            )
            assert info["type"] == types.MessageType.Info.value
            client.request("shutdown")
            client.notify("exit")
            assert client.wait_exit(10) == 0
        finally:
            client.close()
    logged = [n["params"] for n in client.notifications if n["method"] == "window/logMessage"]
    assert all(m["type"] != types.MessageType.Error.value for m in logged), logged
    text = stderr.read_text()
    assert "INFO" not in text and "ERROR" not in text, text


def test_a_server_that_cannot_start_says_why_on_stderr(tmp_path: Path) -> None:
    stderr = tmp_path / "stderr.txt"
    client = RawClient(["--log-file", str(tmp_path / "missing" / "server.log")], stderr=stderr)
    try:
        assert client.wait_exit(30) == 2
    finally:
        client.close()
    text = stderr.read_text()
    assert text.startswith("repofill: ") and "server.log" in text, text
