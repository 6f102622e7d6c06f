"""`repofill/didMoveCursor` against `repofill serve` with the embedded model: the next request at
the place where the cursor rested reuses the pre-warmed prompt from the KV cache."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .helpers import (
    SAMPLE_FILES,
    SERVER,
    field,
    inline_params,
    open_file,
    start,
    track_status,
    wait_for_state,
    write_project,
)

pytestmark = pytest.mark.usefixtures("embedded_model")

LONG = "".join(
    f"def step_{i}(values):\n    total = sum(values) * {i}\n    return total - {i}\n\n\n"
    for i in range(30)
)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


async def _stats(client: LanguageClient) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="repofill.stats", arguments=[])
    )


async def _complete(client: LanguageClient, uri: str, position: types.Position) -> Any:
    """The server's history entry for one automatic request at `position`."""
    await client.text_document_inline_completion_async(inline_params(uri, position))
    entry = field(await _stats(client), "requests")[-1]
    assert field(entry, "status") in ("ok", "empty"), entry
    return entry


async def _rest(client: LanguageClient, uri: str, position: types.Position) -> Any:
    """Send didMoveCursor and wait until its pre-warm ended; its `last` result."""
    before = field(await _stats(client), "prewarm")
    ended = field(before, "finished") + field(before, "stopped")
    client.protocol.notify(
        "repofill/didMoveCursor",
        {
            "textDocument": {"uri": uri},
            "position": {"line": position.line, "character": position.character},
        },
    )
    for _ in range(600):
        now = field(await _stats(client), "prewarm")
        if field(now, "finished") + field(now, "stopped") > ended:
            return field(now, "last")
        await asyncio.sleep(0.05)
    raise AssertionError(f"the pre-warm did not end: {now}")


async def test_the_request_after_a_rest_reuses_the_prewarmed_prompt(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = write_project(tmp_path, {**SAMPLE_FILES, "steps.py": LONG})
    seen = track_status(client)
    await start(client, root)
    await wait_for_state(seen, "ready", timeout=120)
    uris = {name: open_file(client, root / name) for name in ("shapes/report.py", "steps.py")}
    uris["geometry"] = open_file(client, root / "shapes/geometry.py")
    here = types.Position(line=40, character=4)  # inside step_8, after its indentation

    # Without the notification: a cold request there reuses less than the stable part.
    await _complete(client, uris["shapes/report.py"], types.Position(line=4, character=4))
    cold = await _complete(client, uris["steps.py"], here)
    cached = await _rest(client, uris["steps.py"], here)  # the cache already holds it
    assert cached["evaluated_tokens"] == 0 and cached["stable_tokens"] > 100
    assert field(cold, "reused_tokens") < cached["stable_tokens"]

    # Elsewhere, then a rest at the place: the request there reuses the whole stable part.
    await _complete(client, uris["geometry"], types.Position(line=5, character=4))
    there = types.Position(line=60, character=4)  # inside step_12
    warm = await _rest(client, uris["steps.py"], there)
    assert warm["evaluated_tokens"] > 0 and not warm["stopped"]
    entry = await _complete(client, uris["steps.py"], there)
    assert field(entry, "reused_tokens") >= warm["stable_tokens"]
    assert field(entry, "prewarm_wait_ms") == 0  # the pre-warm had ended: nothing to wait for


async def test_bad_or_useless_notifications_are_ignored_and_the_server_keeps_serving(
    client: LanguageClient, tmp_path: Path
) -> None:
    root = write_project(tmp_path)
    seen = track_status(client)
    await start(client, root)
    await wait_for_state(seen, "ready", timeout=120)
    uri = open_file(client, root / "fib.py")
    for params in (
        {},  # no place at all
        {"textDocument": {"uri": uri}, "position": {"line": "x", "character": 0}},
        {"textDocument": {"uri": uri}, "position": {"line": 999, "character": 0}},  # outside
        {
            "textDocument": {"uri": (root / "closed.py").as_uri()},
            "position": {"line": 0, "character": 0},
        },
    ):
        client.protocol.notify("repofill/didMoveCursor", params)
    result = await client.text_document_inline_completion_async(
        inline_params(uri, types.Position(line=4, character=14))
    )
    assert isinstance(result, types.InlineCompletionList)
    prewarm = field(await _stats(client), "prewarm")
    assert field(prewarm, "requested") == 0  # none reached the engine
    logged = [(m.type, m.message) for m in client.log_messages]
    warnings = [text for kind, text in logged if kind == types.MessageType.Warning]
    assert sum("repofill/didMoveCursor" in text for text in warnings) == 3, logged
    assert not [text for kind, text in logged if kind == types.MessageType.Error]
