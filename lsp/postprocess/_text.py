"""Line helpers shared by the filters. Everything here works on a window near the cursor."""

from __future__ import annotations

WINDOW_LINES = 200
CLOSERS = ")]}"


def tail_lines(text: str, n: int = WINDOW_LINES) -> list[str]:
    """The last `n` lines of `text` (the last one may be partial: it is the cursor line)."""
    pos = len(text)
    for _ in range(n):
        pos = text.rfind("\n", 0, pos)
        if pos < 0:
            return text.split("\n")
    return text[pos + 1 :].split("\n")


def head_lines(text: str, n: int = WINDOW_LINES) -> list[str]:
    """The first `n` lines of `text` (the first one is the rest of the cursor line)."""
    pos = -1
    for _ in range(n):
        pos = text.find("\n", pos + 1)
        if pos < 0:
            return text.split("\n")
    return text[:pos].split("\n")


def cursor_line_before(prefix: str) -> str:
    """The text of the cursor line before the cursor."""
    return prefix[prefix.rfind("\n") + 1 :]


def cursor_line_after(suffix: str) -> str:
    """The text of the cursor line after the cursor."""
    end = suffix.find("\n")
    return suffix if end < 0 else suffix[:end]


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def width(line: str, tab: int = 4) -> int:
    """Indentation width in columns, a tab counting `tab` columns."""
    cols = 0
    for ch in indent_of(line):
        cols = cols + tab - cols % tab if ch == "\t" else cols + 1
    return cols


def is_blank(line: str) -> bool:
    return not line.strip()
