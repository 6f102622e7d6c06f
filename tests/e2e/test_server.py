"""`repofill serve` over stdio with the embedded model, driven by a real LSP client."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from .helpers import (
    SERVER,
    SPECIAL_TOKEN_MARKERS,
    end_position,
    field,
    inline_params,
    open_file,
    start,
    write_project,
)

pytestmark = pytest.mark.usefixtures("embedded_model")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def test_initialize_advertises_inline_completion_and_incremental_sync(
    client: LanguageClient, tmp_path: Path
) -> None:
    caps = (await start(client, write_project(tmp_path))).capabilities
    assert caps.inline_completion_provider
    sync = caps.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert caps.execute_command_provider is not None
    assert "repofill.fillHole" in caps.execute_command_provider.commands


async def test_inline_completion_from_the_real_model(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = write_project(tmp_path)
    await start(client, root)
    path = root / "fib.py"
    uri = open_file(client, path)
    result = await client.text_document_inline_completion_async(
        inline_params(uri, end_position(path.read_text()))
    )
    assert isinstance(result, types.InlineCompletionList)
    assert result.items, "the model suggested nothing"
    text = result.items[0].insert_text
    assert isinstance(text, str) and text.strip()
    assert "\n" not in text.strip("\n"), "mid-line completion must be one line"
    assert not any(marker in text for marker in SPECIAL_TOKEN_MARKERS)


async def test_an_edit_then_completion_sees_the_edited_text(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = write_project(tmp_path)
    await start(client, root)
    path = root / "fib.py"
    uri = open_file(client, path)
    text = path.read_text()
    # Incremental edit: type "onacci(n - 1) + fib" at the end.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=end_position(text), end=end_position(text)),
                    text="onacci(n - 1) + fib",
                )
            ],
        )
    )
    new_text = text + "onacci(n - 1) + fib"
    result = await client.text_document_inline_completion_async(
        inline_params(uri, end_position(new_text))
    )
    assert result is not None and result.items
    # A position valid only in the old text is now past the end of the line: rejected.
    with pytest.raises(JsonRpcException):
        await client.text_document_inline_completion_async(
            inline_params(uri, types.Position(line=4, character=len(new_text.split("\n")[-1]) + 5))
        )


# 4 x maxTokens for multi-line: 200 tokens, several seconds on a CPU.
LONG_GENERATION = {"multiline": "always", "maxLines": 400, "maxTokens": 50, "deadlineMs": 0}


async def test_cancel_stops_generation_between_tokens(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = write_project(tmp_path, {"counting.py": "numbers = [\n    1,\n    2,\n    3,\n    4,\n"})
    await start(client, root, LONG_GENERATION)
    path = root / "counting.py"
    uri = open_file(client, path)
    params = inline_params(uri, end_position(path.read_text()))

    began = time.perf_counter()
    full = await client.text_document_inline_completion_async(params)
    full_s = time.perf_counter() - began
    assert full is not None and full.items and full.items[0].insert_text.count("\n") > 20, (
        "the uncancelled request should generate a long list"
    )

    # A request as long (one more list item, so no cache can answer it), cancelled early.
    text = path.read_text() + "    5,\n"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    params = inline_params(uri, end_position(text))
    request = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="long-one"
        )
    )
    await asyncio.sleep(full_s / 5)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="long-one"))
    with pytest.raises(JsonRpcException, match="cancel"):
        await request

    # The worker is free at once: a short request does not wait for the rest of the long one.
    short_doc = root / "short.py"
    short_doc.write_text("def add(a, b):\n    return a")
    short_uri = open_file(client, short_doc)
    began = time.perf_counter()
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"repofill": {"multiline": "never", "maxTokens": 8}}
        )
    )
    await client.text_document_inline_completion_async(
        inline_params(short_uri, end_position(short_doc.read_text()))
    )
    after_cancel_s = time.perf_counter() - began
    assert after_cancel_s < full_s / 2, (after_cancel_s, full_s)
    status = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="repofill.status", arguments=[])
    )
    assert field(field(status, "requests"), "cancelled") >= 1


async def test_newer_request_supersedes_older(client: LanguageClient, tmp_path: Path) -> None:
    root = write_project(tmp_path, {"counting.py": "numbers = [\n    1,\n    2,\n    3,\n"})
    await start(client, root, LONG_GENERATION)
    path = root / "counting.py"
    uri = open_file(client, path)
    params = inline_params(uri, end_position(path.read_text()))
    older = asyncio.ensure_future(client.text_document_inline_completion_async(params))
    await asyncio.sleep(0.5)
    newer = asyncio.ensure_future(client.text_document_inline_completion_async(params))
    older_result, newer_result = await asyncio.gather(older, newer)
    assert older_result is not None and not older_result.items
    assert newer_result is not None and newer_result.items


async def test_bad_input_gets_errors_or_empty_results_and_the_server_keeps_serving(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = write_project(tmp_path)
    await start(client, root)
    fib = root / "fib.py"
    uri = open_file(client, fib)
    with pytest.raises(JsonRpcException, match="outside"):
        await client.text_document_inline_completion_async(
            inline_params(uri, types.Position(line=999, character=0))
        )
    with pytest.raises(JsonRpcException):
        await client.text_document_inline_completion_async(
            inline_params(uri, types.Position(line=0, character=500))
        )
    empty = root / "empty.py"
    empty.write_text("")
    empty_uri = open_file(client, empty)
    result = await client.text_document_inline_completion_async(
        inline_params(empty_uri, types.Position(line=0, character=0))
    )
    assert isinstance(result, types.InlineCompletionList)
    odd = root / "notes.weird"
    odd.write_text("some words in a language nobody knows\nand more ")
    odd_uri = open_file(client, odd, language="klingon")
    result = await client.text_document_inline_completion_async(
        inline_params(odd_uri, end_position(odd.read_text()))
    )
    assert isinstance(result, types.InlineCompletionList)
    # Still serving real completions afterwards.
    result = await client.text_document_inline_completion_async(
        inline_params(uri, end_position(fib.read_text()))
    )
    assert result is not None and result.items
