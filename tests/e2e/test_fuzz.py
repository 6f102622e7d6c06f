"""Fuzzing the protocol surface: whatever arrives, the server answers with a protocol error
(or ignores a notification) and keeps serving. One real `repofill serve` (no model) per module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import SAMPLE_FILES, write_project
from .raw_client import RawClient

METHOD_NOT_FOUND, INVALID_PARAMS = -32601, -32602

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["uri", "line", "character", "textDocument", "position",
                                       "range", "start", "end", "text", "context", "command",
                                       "arguments", "contentChanges", "version", "x"]),
                      children, max_size=5),
    max_leaves=15,
)  # fmt: skip
REQUESTS = [
    "textDocument/inlineCompletion",
    "textDocument/codeAction",
    "workspace/executeCommand",
    "codeAction/resolve",
    "textDocument/completion",
]
NOTIFICATIONS = [
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didSave",
    "textDocument/didClose",
    "workspace/didChangeConfiguration",
    "workspace/didChangeWatchedFiles",
    "$/cancelRequest",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RawClient, Path, str]]:
    folder = tmp_path_factory.mktemp("fuzz")
    root = write_project(folder / "project")
    raw = RawClient(stderr=folder / "server.stderr")
    raw.initialize(root)
    uri = raw.open(root / "fib.py", SAMPLE_FILES["fib.py"])
    yield raw, root, uri
    raw.close()


def _alive(raw: RawClient) -> None:
    assert raw.process.poll() is None, "the server died"
    assert raw.status(timeout=30)["state"] in ("starting", "error")


def _inline(uri: str, line: Any, character: Any) -> dict[str, Any]:
    return {
        "textDocument": {"uri": uri},
        "position": {"line": line, "character": character},
        "context": {"triggerKind": 2},
    }


def test_bad_requests_get_protocol_errors(served: tuple[RawClient, Path, str]) -> None:
    raw, root, uri = served
    cases: list[tuple[str, Any, int | None]] = [
        ("no/such/method", {}, METHOD_NOT_FOUND),
        ("textDocument/inlineCompletion", _inline(uri, 99, 0), INVALID_PARAMS),
        ("textDocument/inlineCompletion", _inline(uri, 0, 10_000), INVALID_PARAMS),
        ("textDocument/inlineCompletion", _inline(uri, -1, -1), None),
        ("textDocument/inlineCompletion", _inline(uri, 2**40, 0), None),
        ("textDocument/inlineCompletion", _inline(uri, "a", None), None),
        ("textDocument/inlineCompletion", None, None),
        ("textDocument/inlineCompletion", [1, 2, 3], None),
        ("workspace/executeCommand", {"command": "repofill.nope", "arguments": []}, None),
        ("workspace/executeCommand", {"command": "repofill.fillHole", "arguments": [7]}, None),
        ("workspace/executeCommand", {"command": "repofill.showContext", "arguments": [{}]},
         INVALID_PARAMS),
        ("textDocument/codeAction", {"textDocument": {"uri": uri}}, None),
    ]  # fmt: skip
    for method, params, code in cases:
        answer = raw.request(method, params, timeout=30)
        assert "error" in answer, (method, params, answer)
        if code is not None:
            assert answer["error"]["code"] == code, (method, params, answer)
        _alive(raw)
    # a document that is not open (closed, or an editor's untitled one) is no error: no items
    for closed in ((root / "closed.py").as_uri(), "untitled:Untitled-1"):
        answer = raw.request("textDocument/inlineCompletion", _inline(closed, 0, 0), timeout=30)
        assert answer.get("result") == {"items": []}, answer
        _alive(raw)


def test_bad_messages_and_notifications_are_survived(served: tuple[RawClient, Path, str]) -> None:
    raw, root, uri = served
    raw.send_bytes(b"{not json")
    raw.send_bytes(b"[]")
    raw.send_bytes(b'{"jsonrpc": "1.0", "id": 1, "method": "initialize"}')
    raw.send({"method": "textDocument/didChange", "params": {"textDocument": {"uri": uri}}})
    raw.notify("$/cancelRequest", {"id": 123456})
    raw.notify("textDocument/didClose", {"textDocument": {"uri": (root / "never.py").as_uri()}})
    raw.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": (root / "never.py").as_uri(), "version": 2},
            "contentChanges": [{"text": "x"}],
        },
    )
    raw.notify("no/such/notification", {"x": 1})
    raw.notify("workspace/didChangeConfiguration", {"settings": {"maxTokens": "lots"}})
    _alive(raw)


def test_huge_payloads(served: tuple[RawClient, Path, str]) -> None:
    raw, root, _ = served
    big = "x = 1  # " + "y" * 5_000_000 + "\n"
    uri = raw.open(root / "huge.py", big)
    answer = raw.request("textDocument/inlineCompletion", _inline(uri, 0, 5), timeout=60)
    assert answer.get("result") == {"items": []}  # no model here: empty, but answered
    raw.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": 1, "character": 0},
                        "end": {"line": 1, "character": 0},
                    },
                    "text": "z" * 1_000_000,
                }
            ],
        },
    )
    _alive(raw)
    raw.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(REQUESTS + NOTIFICATIONS),
    params=json_values,
    use_uri=st.booleans(),
)
def test_random_params(
    served: tuple[RawClient, Path, str], method: str, params: Any, use_uri: bool
) -> None:
    raw, _, uri = served
    if use_uri and isinstance(params, dict):
        params = {**params, "textDocument": {"uri": uri}}
    json.dumps(params)  # what goes on the wire
    if method in REQUESTS:
        answer = raw.request(method, params, timeout=30)
        assert "result" in answer or "error" in answer
    else:
        raw.notify(method, params)
    _alive(raw)
