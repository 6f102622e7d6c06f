"""Where the hole is, for "fill this hole": a selection or a `<FILL>` marker.

Tree-sitter hole kinds (`pass` bodies, `todo!()`, …) extend this in the fill-hole feature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = "<FILL>"
_TODO_FILL = re.compile(r"[ \t]*(#|//)[ \t]*TODO: fill[^\n]*")


@dataclass(frozen=True)
class Hole:
    start: int
    end: int
    kind: str
    """`selection`, `marker` or `todo`."""


def find_hole(text: str, start: int, end: int) -> Hole | None:
    """The hole for a cursor (start == end) or a selection, or None when there is none."""
    if end > start:
        return Hole(start, end, "selection")
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end]
    at = line.find(MARKER)
    if at >= 0:
        return Hole(line_start + at, line_start + at + len(MARKER), "marker")
    todo = _TODO_FILL.search(line)
    if todo:
        return Hole(line_start + todo.start(), line_start + todo.end(), "todo")
    return None
