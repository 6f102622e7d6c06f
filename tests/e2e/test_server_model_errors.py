"""A server whose model is missing or corrupt says so clearly and keeps answering."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from ..models.llama_server import free_port
from .helpers import (
    SERVER,
    end_position,
    field,
    inline_params,
    open_file,
    start,
    track_status,
    wait_for_state,
    write_project,
)

MISSING = "/nonexistent/dir/model.gguf"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[*SERVER, "--model-path", MISSING]))
async def missing_model_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def _assert_error_then_serving(client: LanguageClient, root: Path, expected: str) -> None:
    seen = track_status(client)
    await start(client, root)
    status = await wait_for_state(seen, "error")
    assert expected in field(status, "message")
    uri = open_file(client, root / "fib.py")
    result = await client.text_document_inline_completion_async(
        inline_params(uri, end_position((root / "fib.py").read_text()))
    )
    assert result is not None and not result.items
    assert any(
        m.type == types.MessageType.Error and expected in m.message for m in client.messages
    ), client.messages
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="repofill.status", arguments=[])
    )
    assert field(answer, "state") == "error"


async def test_missing_model(missing_model_client: LanguageClient, tmp_path: Path) -> None:
    root = write_project(tmp_path)
    await _assert_error_then_serving(missing_model_client, root, "model file not found")


async def test_corrupt_model(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    config = ClientServerConfig(server_command=[*SERVER, "--model-path", str(corrupt)])
    client = await config.start()
    try:
        root = write_project(tmp_path / "project")
        await _assert_error_then_serving(client, root, "could not load the model")
        await client.shutdown_session()
    finally:
        await client.stop()


async def test_a_failed_request_is_logged_not_shown(tmp_path: Path) -> None:
    """A remote backend on a closed loopback port: each request fails; that is a log line at
    WARNING, never a `window/showMessage` popup (one failed request needs no user action)."""
    client = await ClientServerConfig(server_command=SERVER).start()
    try:
        root = write_project(tmp_path)
        options = {"backend": "llama-server", "remoteUrl": f"http://127.0.0.1:{free_port()}"}
        seen = track_status(client)
        await start(client, root, options)
        await wait_for_state(seen, "ready")
        uri = open_file(client, root / "fib.py")
        at = end_position((root / "fib.py").read_text())
        for _ in range(2):
            result = await client.text_document_inline_completion_async(inline_params(uri, at))
            assert result is not None and not result.items
        assert not client.messages, client.messages
        warnings = [m for m in client.log_messages if m.type == types.MessageType.Warning]
        assert any("inline completion failed" in m.message for m in warnings), client.log_messages
        await client.shutdown_session()
    finally:
        await client.stop()
