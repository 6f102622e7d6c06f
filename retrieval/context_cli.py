"""`repofill context FILE --line L --column C`: the packed context for one cursor."""

from __future__ import annotations

from pathlib import Path

from .languages import language_for
from .types import CountTokens, Cursor


def find_root(path: Path) -> Path:
    for parent in [path.parent, *path.parent.parents]:
        if (parent / ".git").exists():
            return parent
    return path.parent


def context_for_file(
    path: Path, line: int, column: int, budget: int, count_tokens: CountTokens
) -> str:
    """Build the index for the file's repository and show what a cursor at line/column (1-based)
    would get."""
    from .format import format_context
    from .retriever import Retriever

    path = path.resolve()
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")
    line = max(1, min(line, len(lines)))
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + min(
        max(0, column - 1), len(lines[line - 1])
    )
    retriever = Retriever(find_root(path))
    retriever.build()
    cursor = Cursor(text=text, offset=offset, path=path, language=language_for(path))
    return format_context(retriever.select(cursor, count_tokens, budget))
