"""Issue 16 over LSP: the real server, engine, retrieval and post-processing with a scripted model
(tests/e2e/scripted_server.py) that answers a fixed text and logs every request it receives.

- kind 6: in the middle of a word the item's range covers the rest of the word;
- kind 3: a private key in a file that no name rule matches never reaches the model, neither
  from a completion or fill-hole in it nor as repository context;
- kind 4: a file git-ignored after the server started leaves the context without a restart.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .raw_client import RawClient
from .scripted_server import read_log

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE " + "KEY-----\nb3BlbnNzaC1rZXktdjEAAAAE-LEAK\n"
WATCHED_FILES = {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}}


def _serve(tmp_path: Path, answer: str) -> tuple[RawClient, Path]:
    log = tmp_path / "requests.jsonl"
    command = [sys.executable, "-m", "tests.e2e.scripted_server", "--answer", answer]
    raw = RawClient(command=[*command, "--log", str(log)], stderr=tmp_path / "server.stderr")
    return raw, log


def _start(raw: RawClient, root: Path, capabilities: dict[str, Any] | None = None) -> None:
    raw.initialize(
        root,
        capabilities=capabilities or {},
        initializationOptions={"debounceMs": 0, "deadlineMs": 0},
    )
    raw.wait_notification("repofill/status", lambda n: n["params"]["state"] == "ready")


def _complete(raw: RawClient, uri: str, line: int, character: int) -> dict[str, Any]:
    answer = raw.request(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": 1},
        },
        60,
    )
    assert "result" in answer, answer
    result: dict[str, Any] = answer["result"]
    return result


def _apply(text: str, line: int, item: dict[str, Any]) -> str:
    """The document after accepting `item` (one-line range on `line`, UTF-16 = code points here)."""
    lines = text.split("\n")
    start, end = item["range"]["start"]["character"], item["range"]["end"]["character"]
    assert item["range"]["start"]["line"] == item["range"]["end"]["line"] == line
    lines[line] = lines[line][:start] + item["insertText"] + lines[line][end:]
    return "\n".join(lines)


# -- kind 6: the range of a suggestion in the middle of a word ---------------------------------


def test_a_suggestion_inside_a_word_replaces_the_rest_of_the_word(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    raw, _ = _serve(tmp_path, "ult")
    try:
        _start(raw, root)
        text = "def f():\n    resu = 0\n    return resu\n"
        uri = raw.open(root / "a.py", text)
        result = _complete(raw, uri, 1, 7)  # `    res|u = 0`
        [item] = result["items"]
        assert item["range"] == {
            "start": {"line": 1, "character": 7},
            "end": {"line": 1, "character": 8},
        }
        assert _apply(text, 1, item).split("\n")[1] == "    result = 0"
    finally:
        raw.close()


def test_the_range_counts_utf16_units_and_is_bare_outside_a_word(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    raw, _ = _serve(tmp_path, "x")
    try:
        _start(raw, root)
        text = "ab\U0001d538c = 1\nvalue = \n"
        uri = raw.open(root / "a.py", text)
        [item] = _complete(raw, uri, 0, 2)["items"]  # `ab|𝔸c`: 𝔸 is two UTF-16 units
        assert item["range"]["end"] == {"line": 0, "character": 5}
        [item] = _complete(raw, uri, 1, 8)["items"]  # `value = |`: nothing to replace
        assert item["range"]["start"] == item["range"]["end"] == {"line": 1, "character": 8}
    finally:
        raw.close()


# -- kind 3: secrets recognised by content -----------------------------------------------------


def test_a_private_key_never_reaches_the_model(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "p"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "deploy_key").write_text(PRIVATE_KEY)
    (root / "keys.py").write_text(f"DEPLOY_KEY = '''{PRIVATE_KEY}'''\n\n\ndef deploy_key():\n")
    (root / "helpers.py").write_text("def control_helper():\n    return 'CONTROL-HELPER'\n")
    main = "from keys import deploy_key\nfrom helpers import control_helper\n\nkey = deploy_key()\n"
    (root / "main.py").write_text(main)
    raw, log = _serve(tmp_path, "1")
    try:
        _start(raw, root)
        key_uri = raw.open(root / "deploy_key", PRIVATE_KEY)
        assert _complete(raw, key_uri, 1, 3)["items"] == []
        fill = raw.request(
            "workspace/executeCommand",
            {
                "command": "repofill.fillHole",
                "arguments": [{"uri": key_uri, "position": {"line": 1, "character": 3}}],
            },
            60,
        )
        assert fill.get("result", {}).get("applied") is False, fill
        # the Python file holding the key: not completed, and never context for another file
        keys_text = (root / "keys.py").read_text()
        keys_uri = raw.open(root / "keys.py", keys_text)
        assert _complete(raw, keys_uri, 6, 0)["items"] == []
        main_uri = raw.open(root / "main.py", main)
        _wait_indexed(raw, 2)  # main.py and helpers.py: keys.py holds a key
        _complete(raw, main_uri, 4, 0)
        requests = read_log(log)
        assert requests, "the control completion in main.py reached the model"
        for request in requests:
            assert request["path"] == "main.py"
            assert "LEAK" not in str(request)
        context_paths = {path for request in requests for path, _ in request["context"]}
        assert "helpers.py" in context_paths  # the control: context works
        assert "keys.py" not in context_paths
    finally:
        raw.close()


def _wait_indexed(raw: RawClient, files: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while raw.status()["indexedFiles"] < files:
        assert time.monotonic() < deadline, raw.status()
        time.sleep(0.1)


# -- kind 4: a file git-ignored after the server started ---------------------------------------


def _show_context(raw: RawClient, uri: str, line: int, character: int) -> str:
    answer = raw.request(
        "workspace/executeCommand",
        {
            "command": "repofill.showContext",
            "arguments": [{"uri": uri, "position": {"line": line, "character": character}}],
        },
        60,
    )
    assert "result" in answer, answer
    text: str = answer["result"]["text"]
    return text


def _files_changed(raw: RawClient, *paths: Path) -> None:
    changes = [{"uri": p.as_uri(), "type": 2} for p in paths]
    raw.notify("workspace/didChangeWatchedFiles", {"changes": changes})


def _until(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.parametrize("rule_file", [".gitignore", ".git/info/exclude"])
def test_a_file_ignored_after_start_leaves_the_context(tmp_path: Path, rule_file: str) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "p"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "b.py").write_text("def helper_from_b():\n    return 'SECRET-B-CODE'\n")
    main = "from b import helper_from_b\n\n\ndef run():\n    return helper_from_b()\n"
    (root / "a.py").write_text(main)
    raw, log = _serve(tmp_path, "0")
    try:
        _start(raw, root, WATCHED_FILES)
        # the server asks the client to watch the files that decide what git ignores
        _until(lambda: any(r["method"] == "client/registerCapability" for r in raw.server_requests))
        [register] = [r for r in raw.server_requests if r["method"] == "client/registerCapability"]
        [registration] = register["params"]["registrations"]
        globs = {w["globPattern"] for w in registration["registerOptions"]["watchers"]}
        assert {"**/.gitignore", "**/.git/info/exclude", "**/.git/index"} <= globs

        uri = raw.open(root / "a.py", main)
        _wait_indexed(raw, 2)
        assert "SECRET-B-CODE" in _show_context(raw, uri, 4, 11)  # control: b.py is context

        rules = root / rule_file
        rules.parent.mkdir(parents=True, exist_ok=True)
        rules.write_text("b.py\n")
        _files_changed(raw, rules)
        _until(lambda: "SECRET-B-CODE" not in _show_context(raw, uri, 4, 11))
        before = len(read_log(log))
        _complete(raw, uri, 4, 11)
        requests = read_log(log)[before:]
        assert requests and all("SECRET-B-CODE" not in str(r) for r in requests)

        # and back: un-ignored, it is context again
        rules.write_text("")
        _files_changed(raw, rules)
        _until(lambda: "SECRET-B-CODE" in _show_context(raw, uri, 4, 11))
    finally:
        raw.close()


def test_a_file_added_to_the_index_is_not_ignored_any_more(tmp_path: Path) -> None:
    """A tracked file is never ignored: `git add -f` of an ignored file makes it readable."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "p"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("b.py\n")
    (root / "b.py").write_text("def helper_from_b():\n    return 'TRACKED-B-CODE'\n")
    main = "from b import helper_from_b\n\n\ndef run():\n    return helper_from_b()\n"
    (root / "a.py").write_text(main)
    raw, _ = _serve(tmp_path, "0")
    try:
        _start(raw, root, WATCHED_FILES)
        uri = raw.open(root / "a.py", main)
        _wait_indexed(raw, 1)
        assert "TRACKED-B-CODE" not in _show_context(raw, uri, 4, 11)
        subprocess.run(["git", "-C", str(root), "add", "-f", "b.py"], check=True)
        _files_changed(raw, root / ".git" / "index")
        _until(lambda: "TRACKED-B-CODE" in _show_context(raw, uri, 4, 11))
    finally:
        raw.close()
