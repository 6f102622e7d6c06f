"""The document model: lines, positions and incremental edits with LSP's three line ends only."""

from __future__ import annotations

import pytest
from lsprotocol import types
from repofill.lsp.documents import LspTextDocument, line_col_to_offset, split_lines

# Python's str.splitlines breaks at these; LSP does not.
NOT_LSP_LINE_ENDS = ["\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("other", NOT_LSP_LINE_ENDS)
def test_split_lines_breaks_only_at_lsp_line_ends(other: str) -> None:
    text = f"a{other}b\nc\r\nd\re"
    assert split_lines(text) == [f"a{other}b\n", "c\r\n", "d\r", "e"]
    assert "".join(split_lines(text)) == text


def test_split_lines_edges() -> None:
    assert split_lines("") == []
    assert split_lines("x\n") == ["x\n"]
    assert split_lines("\r\n\r\n") == ["\r\n", "\r\n"]


@pytest.mark.parametrize("other", NOT_LSP_LINE_ENDS)
def test_cursor_offset_below_a_non_lsp_line_end(other: str) -> None:
    text = f"{other}\nx = "
    assert line_col_to_offset(text, 1, 4) == len(text)
    with pytest.raises(ValueError, match="outside"):
        line_col_to_offset(text, 2, 0)


def test_cursor_offset_with_bare_cr_lines() -> None:
    text = "ab\rcd\rx"
    assert line_col_to_offset(text, 1, 1) == 4
    assert line_col_to_offset(text, 2, 1) == len(text)
    assert line_col_to_offset("a\r", 1, 0) == 2


def _edit(doc: LspTextDocument, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
    doc.apply_change(
        types.TextDocumentContentChangePartial(
            range=types.Range(
                start=types.Position(line=start[0], character=start[1]),
                end=types.Position(line=end[0], character=end[1]),
            ),
            text=text,
        )
    )


@pytest.mark.parametrize("other", NOT_LSP_LINE_ENDS)
def test_incremental_edit_below_a_page_break(other: str) -> None:
    doc = LspTextDocument("file:///a.py", f"import os\n{other}\ndef f():\n    return 1\n")
    _edit(doc, (3, 11), (3, 12), "2")
    assert doc.source == f"import os\n{other}\ndef f():\n    return 2\n"
    assert doc.offset_at_position(types.Position(line=3, character=4)) == doc.source.index("ret")


def test_line_col_to_offset_and_errors() -> None:
    text = "ab\ncd\r\nef"
    assert line_col_to_offset(text, 0, 0) == 0
    assert line_col_to_offset(text, 1, 2) == 5
    assert line_col_to_offset(text, 2, 2) == len(text)
    with pytest.raises(ValueError, match="outside"):
        line_col_to_offset(text, 3, 0)
    with pytest.raises(ValueError, match="past the end"):
        line_col_to_offset(text, 0, 3)
