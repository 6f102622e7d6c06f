"""A scripted stand-in for `repofill serve` (stdlib only), for the plugin's protocol tests.

The real server's answers depend on the model; these tests check what the plugin does with an
answer (a stale one, a ranged one, several, an error message, progress, a loading state), so the
answers are scripted. The script is the `fake` table of the settings the plugin sends as
initializationOptions (and in workspace/didChangeConfiguration):

    items      list of insertText for automatic requests (default ["SUGGESTION"])
    invoked    list of insertText for explicit (Invoked) requests (default: items)
    range      "cursor" (default: start = end = cursor) or "word" (start of the typed word to
               the cursor)
    delay_ms   answer inline completions after this long (default 0)
    error      when set, every inline completion answers nothing and the server sends this text as
               window/showMessage type Error (what `repofill serve` does for a failed request)
    state      repofill.status state (default "ready"); also sent as repofill/status at start
    model      repofill.status model name (default "fake.gguf"; "" while loading)
    model_state  repofill.status modelState (left out when not set, as older servers do)
    fill_ms    repofill.fillHole runs this long with $/progress (default 2000)
    fill_text  when set, repofill.fillHole inserts it at the cursor (workspace/applyEdit) and
               answers a fill result with `cursor` at its end; else it applies nothing

Every message the client sends (requests and notifications, e.g. `repofill/didMoveCursor`) is
appended as one JSON line to $REPOFILL_FAKE_LOG when set.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from typing import Any

_lock = threading.Lock()
_script: dict[str, Any] = {}
_docs: dict[str, list[str]] = {}
_next_id = [1000]


def _send(message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    with _lock:
        sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        sys.stdout.buffer.flush()


def _notify(method: str, params: Any) -> None:
    _send({"method": method, "params": params})


def _request(method: str, params: Any) -> None:
    _next_id[0] += 1
    _send({"id": _next_id[0], "method": method, "params": params})


def _read() -> dict[str, Any] | None:
    length = 0
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(sys.stdin.buffer.read(length))


def _log(message: dict[str, Any]) -> None:
    path = os.environ.get("REPOFILL_FAKE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(message) + "\n")


def _status() -> dict[str, Any]:
    return {
        "state": _script.get("state", "ready"),
        "message": _script.get("message", ""),
        "model": _script.get("model", "fake.gguf"),
        **({"modelState": _script["model_state"]} if "model_state" in _script else {}),
        "family": "fake",
        "indexedFiles": 1,
    }


def _inline(msg: dict[str, Any]) -> None:
    params = msg["params"]
    time.sleep(_script.get("delay_ms", 0) / 1000)
    if _script.get("error"):
        _notify("window/showMessage", {"type": 1, "message": "RepoFill: " + _script["error"]})
        _send({"id": msg["id"], "result": {"items": []}})
        return
    invoked = params.get("context", {}).get("triggerKind") == 1
    texts = _script.get("invoked" if invoked else "items") or _script.get("items") or ["SUGGESTION"]
    pos = params["position"]
    start = dict(pos)
    if _script.get("range") == "word":
        lines = _docs.get(params["textDocument"]["uri"], [""])
        line = lines[pos["line"]] if pos["line"] < len(lines) else ""
        word = re.search(r"\w*$", line[: pos["character"]])
        start["character"] = pos["character"] - len(word.group(0) if word else "")
    items = [{"insertText": t, "range": {"start": start, "end": pos}} for t in texts]
    _send({"id": msg["id"], "result": {"items": items}})


def _fill(msg: dict[str, Any]) -> None:
    token = "fake-fill"
    _request("window/workDoneProgress/create", {"token": token})
    time.sleep(0.1)
    _notify(
        "$/progress",
        {
            "token": token,
            "value": {"kind": "begin", "title": "RepoFill: Fill this hole", "percentage": 0},
        },
    )
    steps = 4
    for i in range(steps):
        time.sleep(_script.get("fill_ms", 2000) / 1000 / steps)
        _notify(
            "$/progress",
            {
                "token": token,
                "value": {
                    "kind": "report",
                    "message": f"candidate {i + 1}/{steps}",
                    "percentage": 25 * i,
                },
            },
        )
    text = _script.get("fill_text")
    if not text:
        end = {"kind": "end", "message": "no valid candidate"}
        _notify("$/progress", {"token": token, "value": end})
        result = {"applied": False, "message": "no valid candidate", "text": "", "candidates": 0}
        _send({"id": msg["id"], "result": result})
        return
    arg = msg["params"]["arguments"][0]
    pos = arg["position"]
    edit = {"changes": {arg["uri"]: [{"range": {"start": pos, "end": pos}, "newText": text}]}}
    _request("workspace/applyEdit", {"edit": edit})
    time.sleep(0.3)
    _notify("$/progress", {"token": token, "value": {"kind": "end", "message": "1 candidate"}})
    cursor = {"line": pos["line"], "character": pos["character"] + len(text)}
    result = {"applied": True, "message": "", "text": text, "candidates": 1, "cursor": cursor}
    _send({"id": msg["id"], "result": result})


def main() -> None:
    while True:
        msg = _read()
        if msg is None:
            return
        _log(msg)
        method = msg.get("method")
        params = msg.get("params") or {}
        if "id" in msg and method is None:
            continue  # a response to our request
        if method == "initialize":
            _script.update((params.get("initializationOptions") or {}).get("fake") or {})
            caps = {
                "textDocumentSync": 1,
                "inlineCompletionProvider": True,
                "executeCommandProvider": {"commands": ["repofill.status", "repofill.fillHole"]},
            }
            _send({"id": msg["id"], "result": {"capabilities": caps}})
        elif method == "initialized":
            _notify(
                "repofill/status",
                {"state": _script.get("state", "ready"), "message": _script.get("message", "")},
            )
        elif method == "workspace/didChangeConfiguration":
            settings = (params.get("settings") or {}).get("repofill") or {}
            _script.update(settings.get("fake") or {})
        elif method in ("textDocument/didOpen", "textDocument/didChange"):
            doc = params["textDocument"]
            text = doc.get("text")
            if text is None:
                text = params["contentChanges"][-1]["text"]
            _docs[doc["uri"]] = text.split("\n")
        elif method == "textDocument/inlineCompletion":
            threading.Thread(target=_inline, args=(msg,), daemon=True).start()
        elif method == "workspace/executeCommand":
            command = params.get("command")
            if command == "repofill.status":
                _send({"id": msg["id"], "result": _status()})
            elif command == "repofill.fillHole":
                threading.Thread(target=_fill, args=(msg,), daemon=True).start()
            else:
                _send({"id": msg["id"], "result": None})
        elif method == "shutdown":
            _send({"id": msg["id"], "result": None})
        elif method == "exit":
            return
        elif "id" in msg:
            _send({"id": msg["id"], "result": None})


if __name__ == "__main__":
    main()
