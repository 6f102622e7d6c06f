"""The server's copy of the editor's documents, split into lines the way LSP counts them.

LSP has three line terminators: LF, CR LF and CR (specification 3.17, "Position"). pygls splits
with `str.splitlines`, which also breaks at VT, FF, U+001C-U+001E, NEL, U+2028 and U+2029; a
form feed (page break) line in a Python file would then shift every position below it by one
line and corrupt incremental edits there. `LspTextDocument` counts LSP's three only, and
`install` makes a workspace create such documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pygls.workspace import TextDocument, Workspace

LINE_END = re.compile(r"\r\n|\r|\n")
"""LSP's line terminators, the two-character one first."""


def split_lines(text: str) -> list[str]:
    """`text` split after each LSP line terminator, ends kept (like `splitlines(True)`): an
    empty text has no lines, and a text ending in a terminator has no empty last line."""
    lines: list[str] = []
    start = 0
    for match in LINE_END.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def line_col_to_offset(text: str, line: int, column: int) -> int:
    """0-based line and column (code points) to an offset, lines ended by LSP's terminators
    (`\\n`, `\\r\\n`, `\\r`: `LINE_END`); ValueError when outside the text. The column may be
    the line's length: the end of the line, before its terminator."""
    if line < 0 or column < 0:
        raise ValueError(f"position {line}:{column} is negative")
    lines = split_lines(text)
    if not lines or LINE_END.search(lines[-1]):
        lines.append("")  # after a final line end (or in an empty text) there is one more line
    if line >= len(lines):
        raise ValueError(f"line {line} is outside the document ({len(lines)} lines)")
    width = len(lines[line].rstrip("\r\n"))
    if column > width:
        raise ValueError(f"column {column} is past the end of line {line} ({width} characters)")
    return sum(len(x) for x in lines[:line]) + column


class LspTextDocument(TextDocument):
    """pygls' document with LSP's line terminators for positions and incremental changes."""

    @property
    def lines(self) -> Sequence[str]:
        return tuple(split_lines(self.source))


class LspWorkspace(Workspace):
    """A workspace whose text documents are `LspTextDocument`s."""

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )


def install(protocol: Any) -> None:
    """Make the protocol's workspace (created by pygls at `initialize`) an `LspWorkspace`, so
    documents opened from now on count lines as LSP does. Call from the initialize handler."""
    workspace = protocol.workspace
    if not isinstance(workspace, LspWorkspace):
        workspace.__class__ = LspWorkspace
