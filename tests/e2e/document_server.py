"""`repofill serve` plus one test-only request, `repofillTest/document`, run by test_positions.

It answers the server's own copy of a document and the offsets `RepoFillServer.cursor_at` gives
for some positions, so a test can compare them with the text the client holds. Everything else
is the real server (no model: positions do not need one).
"""

from __future__ import annotations

import sys
from typing import Any

from lsprotocol import types
from repofill.lsp.cli_commands import claim_stdout
from repofill.lsp.runtime import Runtime
from repofill.lsp.server import RepoFillServer, create_server
from repofill.lsp.settings import Settings


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def main() -> None:
    runtime = Runtime(Settings().merged({"modelPath": "/nonexistent/model.gguf"}), index=False)
    server = create_server(runtime)

    @server.feature("repofillTest/document")
    def document(ls: RepoFillServer, params: Any) -> dict[str, Any]:
        uri = _get(params, "uri")
        doc = ls.workspace.get_text_document(uri)
        offsets = []
        for p in _get(params, "positions"):
            position = types.Position(line=_get(p, "line"), character=_get(p, "character"))
            offsets.append(ls.cursor_at(uri, position).offset)
        return {"text": doc.source, "version": doc.version, "offsets": offsets}

    server.start_io(sys.stdin.buffer, claim_stdout())


if __name__ == "__main__":
    main()
