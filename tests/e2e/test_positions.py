"""Property test: after any sequence of incremental edits, the server's copy of a document is
the client's text, for UTF-16 (the LSP default) and UTF-8 (negotiated) position encodings.

Texts mix ASCII, tabs, CRLF / CR / LF line ends, accents, combining marks, CJK and emoji
(surrogate pairs in UTF-16, four bytes in UTF-8), and the characters Python's `splitlines` breaks
at but LSP does not (form feed, vertical tab, U+001C-U+001E, NEL, U+2028, U+2029). One server
per encoding serves all examples.
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
    # line breaks for Python's `str.splitlines`, ordinary characters for LSP
    "\f",
    "\v",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
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


def _document(raw: RawClient, uri: str, positions: list[dict[str, int]]) -> dict[str, object]:
    answer = raw.request("repofillTest/document", {"uri": uri, "positions": positions})
    assert "result" in answer, answer
    result: dict[str, object] = answer["result"]
    return result


def test_a_form_feed_line_is_one_line(server: tuple[RawClient, str]) -> None:
    """Issue 16's example: the cursor after `x = ` on the line below a form feed."""
    raw, _ = server
    uri = f"file:///positions/doc{next(_uris)}.py"
    text = "\f\nx = "
    raw.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    assert _document(raw, uri, [{"line": 1, "character": 4}])["offsets"] == [len(text)]
    raw.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


@pytest.mark.parametrize("page_break", ["\f", "\v", "\x1c", "\x85", "\u2028", "\u2029"])
def test_edits_below_a_page_break_land_on_their_line(
    server: tuple[RawClient, str], page_break: str
) -> None:
    raw, _ = server
    uri = f"file:///positions/doc{next(_uris)}.py"
    text = f"import os\n{page_break}\ndef f():\n    return 1\n"
    raw.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    # replace `1` on line 3 (LSP's count: the page-break line is one line, not two)
    start = {"line": 3, "character": 11}
    end = {"line": 3, "character": 12}
    raw.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": {"start": start, "end": end}, "text": "2"}],
        },
    )
    expected = text.replace("return 1", "return 2")
    answer = _document(raw, uri, [{"line": 3, "character": 4}])
    assert answer["text"] == expected
    assert answer["offsets"] == [expected.index("return")]
    raw.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
