"""Property test: after any sequence of incremental edits, the server's copy of a document is
the client's text, for UTF-16 (the LSP default) and UTF-8 (negotiated) position encodings.

Texts mix ASCII, tabs, CRLF / CR / LF line ends, accents, combining marks, CJK and emoji
(surrogate pairs in UTF-16, four bytes in UTF-8), and U+2028 / form feed, which are not LSP line
ends. One server per encoding serves all examples.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .raw_client import RawClient

ALPHABET = [
    "a",
    "b",
    "x",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "é",
    "e\u0301",
    "中",
    "文",
    "🙂",
    "👍🏽",
    "𝔸",
]
LINE_END = re.compile(r"\r\n|\r|\n")
UNITS = {
    "utf-16": lambda s: len(s.encode("utf-16-le")) // 2,
    "utf-8": lambda s: len(s.encode("utf-8")),
}

texts = st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join)
# An edit: where (fractions of the text) and what to insert.
edits = st.lists(
    st.tuples(st.floats(0, 1), st.floats(0, 1), texts),
    min_size=1,
    max_size=12,
)
_uris = itertools.count()


def _boundaries(text: str) -> list[int]:
    """Offsets a client can put a cursor at: not inside a CRLF pair."""
    return [
        i for i in range(len(text) + 1) if not (0 < i < len(text) and text[i - 1 : i + 1] == "\r\n")
    ]


def position(text: str, offset: int, encoding: str) -> dict[str, int]:
    before = text[:offset]
    ends = list(LINE_END.finditer(before))
    line_start = ends[-1].end() if ends else 0
    return {"line": len(ends), "character": UNITS[encoding](before[line_start:])}


@pytest.fixture(scope="module", params=["utf-16", "utf-8"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RawClient, str]]:
    encoding: str = request.param
    folder = tmp_path_factory.mktemp(f"positions-{encoding}")
    command = [sys.executable, "-m", "tests.e2e.document_server"]
    raw = RawClient(command=command, stderr=folder / "server.stderr")
    offered = ["utf-8", "utf-16"] if encoding == "utf-8" else ["utf-16"]
    answer = raw.initialize(folder, capabilities={"general": {"positionEncodings": offered}})
    negotiated = answer["result"]["capabilities"].get("positionEncoding", "utf-16")
    assert negotiated == encoding
    yield raw, encoding
    raw.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(initial=texts, script=edits)
def test_server_text_matches_client_text(
    server: tuple[RawClient, str], initial: str, script: list[tuple[float, float, str]]
) -> None:
    raw, encoding = server
    uri = f"file:///positions/doc{next(_uris)}.py"
    raw.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": initial}},
    )
    text = initial
    changes = []
    for a, b, new in script:
        cuts = _boundaries(text)
        start, end = sorted((cuts[int(a * (len(cuts) - 1))], cuts[int(b * (len(cuts) - 1))]))
        changes.append(
            {
                "range": {
                    "start": position(text, start, encoding),
                    "end": position(text, end, encoding),
                },
                "text": new,
            }
        )
        text = text[:start] + new + text[end:]
    # Half the examples send all changes in one notification (applied in order, per LSP).
    batches = [changes] if len(changes) % 2 else [[c] for c in changes]
    for version, batch in enumerate(batches, 2):
        raw.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": batch},
        )
    cuts = _boundaries(text)
    probes = sorted({cuts[0], cuts[-1], cuts[len(cuts) // 2]})
    answer = raw.request(
        "repofillTest/document",
        {"uri": uri, "positions": [position(text, o, encoding) for o in probes]},
    )
    assert "result" in answer, answer
    assert answer["result"]["text"] == text
    assert answer["result"]["offsets"] == probes
    raw.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
