"""A suggestion computed for text the client has since changed is never returned."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import SAMPLE_FILES, write_project
from .raw_client import RawClient

PATIENT = {"deadlineMs": 0, "contextBudget": 0}


def _request(raw: RawClient, uri: str, line: int, character: int) -> int:
    return raw.request_async(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": 2},
        },
    )


def _insert_first_line(raw: RawClient, uri: str, version: int, text: str) -> None:
    start = {"line": 0, "character": 0}
    raw.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": start, "end": start}, "text": text}],
        },
    )


@pytest.mark.usefixtures("embedded_model")
def test_completion_for_a_changed_document_comes_back_empty(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    raw = RawClient([], stderr=tmp_path / "server.stderr")
    try:
        raw.initialize(root, initializationOptions=PATIENT)
        raw.wait_notification("repofill/status", lambda n: n["params"]["state"] == "ready")
        text = SAMPLE_FILES["fib.py"]
        uri = raw.open(root / "fib.py", text)
        lines = text.split("\n")
        end = (len(lines) - 1, len(lines[-1]))

        # Control: unchanged, the model suggests something for this cursor.
        fresh = raw.response(_request(raw, uri, *end), 120)
        assert fresh["result"]["items"]

        # A new text (so no cached suggestion answers), a request, and at once another edit
        # elsewhere: the server applies the edit while the request waits for the model, so the
        # model's answer is for stale text and must not come back.
        _insert_first_line(raw, uri, 2, "# one\n")
        msg_id = _request(raw, uri, end[0] + 1, end[1])
        _insert_first_line(raw, uri, 3, "# two\n")
        stale = raw.response(msg_id, 120)
        assert stale["result"] == {"items": []}
    finally:
        raw.close()
