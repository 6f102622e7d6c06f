"""Lifecycle: shutdown/exit, a client that dies, a model that fails to load mid-session."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import SAMPLE_FILES, write_project
from .raw_client import RawClient

# No deadline and a short answer: the shared CPU can be slow, the test is about errors.
PATIENT = {"deadlineMs": 0, "contextBudget": 0}
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    raw = RawClient(stderr=tmp_path / "server.stderr")
    yield raw
    raw.close()


def test_requests_before_initialize_are_refused(client: RawClient, tmp_path: Path) -> None:
    early = client.request("workspace/executeCommand", {"command": "repofill.status"})
    assert early["error"]["code"] == SERVER_NOT_INITIALIZED
    client.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///x.py"}})  # dropped
    answer = client.initialize(write_project(tmp_path / "p"))
    assert "capabilities" in answer["result"]
    assert client.status()["state"] in ("starting", "error")


def test_shutdown_then_exit(client: RawClient, tmp_path: Path) -> None:
    client.initialize(write_project(tmp_path / "p"))
    answer = client.request("shutdown")
    assert "error" not in answer and answer["result"] is None
    after = client.request("workspace/executeCommand", {"command": "repofill.status"}, 10)
    assert after["error"]["code"] == INVALID_REQUEST
    client.notify("exit")
    assert client.wait_exit(20) == 0


def test_exit_without_shutdown_is_an_error_exit(client: RawClient, tmp_path: Path) -> None:
    client.initialize(write_project(tmp_path / "p"))
    client.notify("exit")
    assert client.wait_exit(20) == 1


def test_server_exits_when_stdin_closes(client: RawClient, tmp_path: Path) -> None:
    client.initialize(write_project(tmp_path / "p"))
    client.status()
    assert client.process.stdin is not None
    client.process.stdin.close()
    assert client.wait_exit(20) is not None


@pytest.mark.usefixtures("embedded_model")
@pytest.mark.parametrize("delay", [0.0, 1.0])
def test_exit_while_the_model_loads(tmp_path: Path, delay: float) -> None:
    """`exit` arrives while the embedded model is still loading or warming up, and the client
    keeps stdin open (as pytest-lsp does): the process must still end, with 0 after `shutdown`."""
    raw = RawClient([], stderr=tmp_path / "server.stderr")
    try:
        raw.initialize(write_project(tmp_path / "p"), initializationOptions=PATIENT)
        raw.notify("initialized", {})
        time.sleep(delay)
        assert "error" not in raw.request("shutdown")
        raw.notify("exit")
        assert raw.wait_exit(60) == 0, "the server outlived exit"
    finally:
        raw.close()


def test_exit_ends_a_server_whose_threads_do_not(tmp_path: Path) -> None:
    """A thread that never ends (here a scripted one, in the field llama.cpp still loading) must
    not keep the process alive after `exit`: the exit deadline ends it, with 0 after `shutdown`."""
    log = tmp_path / "requests.jsonl"
    command = [sys.executable, "-m", "tests.e2e.scripted_server", "--answer", "x"]
    raw = RawClient(
        command=[*command, "--log", str(log), "--stuck-thread"], stderr=tmp_path / "server.stderr"
    )
    try:
        raw.initialize(write_project(tmp_path / "p"), initializationOptions=PATIENT)
        raw.notify("initialized", {})
        assert "error" not in raw.request("shutdown")
        raw.notify("exit")
        assert raw.wait_exit(3) is None, "the stuck thread should hold the process for a while"
        assert raw.wait_exit(60) == 0, "the server outlived exit"
    finally:
        raw.close()


def test_server_exits_when_the_client_process_dies(tmp_path: Path) -> None:
    """LSP `processId`: the editor died without closing our stdin (it is held elsewhere)."""
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    raw = RawClient(stderr=tmp_path / "server.stderr")
    try:
        raw.initialize(write_project(tmp_path / "p"), processId=editor.pid)
        raw.status()
        assert raw.wait_exit(3) is None, "the server must keep running while its client lives"
        editor.kill()
        editor.wait(10)
        assert raw.wait_exit(20) is not None, "the server outlived its client"
    finally:
        editor.kill()
        raw.close()


def _completion(raw: RawClient, uri: str, line: int, character: int) -> dict[str, object]:
    return raw.request(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": 2},
        },
        120,
    )


@pytest.mark.usefixtures("embedded_model")
def test_model_that_fails_to_load_mid_session(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    raw = RawClient([], stderr=tmp_path / "server.stderr")  # the embedded model
    try:
        raw.initialize(root, initializationOptions=PATIENT)
        raw.wait_notification("repofill/status", lambda n: n["params"]["state"] == "ready")
        text = SAMPLE_FILES["fib.py"]
        uri = raw.open(root / "fib.py", text)
        last = text.split("\n")
        ok = _completion(raw, uri, len(last) - 1, len(last[-1]))
        assert ok["result"]["items"], "the working model should suggest something"  # type: ignore[index]

        bad = str(tmp_path / "gone.gguf")
        raw.notify("workspace/didChangeConfiguration", {"settings": {"modelPath": bad}})
        status = raw.wait_notification("repofill/status", lambda n: n["params"]["state"] == "error")
        assert "model file not found" in status["message"] and bad in status["message"]
        shown = raw.wait_notification(
            "window/showMessage", lambda n: "model file not found" in n["params"]["message"]
        )
        assert shown["type"] == 1  # Error

        # Still serving: empty suggestions, commands answer, edits apply.
        raw.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"text": text + "o"}],
            },
        )
        empty = _completion(raw, uri, len(last) - 1, len(last[-1]) + 1)
        assert empty["result"] == {"items": []}
        assert raw.status()["state"] == "error"
        # And a good model path brings it back.
        raw.notifications.clear()
        raw.notify("workspace/didChangeConfiguration", {"settings": {"modelPath": ""}})
        raw.wait_notification("repofill/status", lambda n: n["params"]["state"] == "ready")
    finally:
        raw.close()
