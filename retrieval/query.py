"""What the cursor is about: identifiers near it, weighted by distance, and the code window used
to find similar code elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .types import Cursor

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NEAR_LINES_BEFORE = 40
NEAR_LINES_AFTER = 10
WINDOW_LINES = 10
"""Lines of a similar-code window (step: half of it). RepoCoder's are 20; 10 put the answer's
whole line in the packed context of 21.8% of the 303 dev holes of `bench repo` against 17.2% for
20 (with BM25 ranking; bench/results/tuning/README.md)."""
QUERY_LINES = 7
"""Lines before the cursor (its own line up to the cursor included) that query the similar
windows. Chosen on the same dev holes from 3, 5, 7, 10 and 15 (RepoCoder: 20, BM25 baseline: 10)."""


@dataclass
class Query:
    line: int  # 0-based cursor line
    lines: list[str]
    weights: dict[str, float] = field(default_factory=dict)
    partial: str = ""  # the identifier being typed at the cursor
    window_text: str = ""
    text: str = ""

    def weight(self, name: str) -> float:
        w = self.weights.get(name, 0.0)
        if self.partial and name != self.partial and name.startswith(self.partial):
            w = max(w, 0.9)
        return w


def build_query(cursor: Cursor, query_lines: int = QUERY_LINES) -> Query:
    """What the cursor is about; `query_lines` lines before the cursor (its line up to the
    cursor included) make the text that queries the similar windows."""
    prefix = cursor.prefix
    line = prefix.count("\n")
    lines = cursor.text.split("\n")
    line_start = prefix.rfind("\n") + 1
    head = prefix[line_start:]
    m = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", head)
    partial = m.group(0) if m else ""
    weights: dict[str, float] = {}
    lo = max(0, line - NEAR_LINES_BEFORE)
    for i in range(lo, line + 1):
        text = head[: len(head) - len(partial)] if i == line else lines[i]
        w = 1.0 / (1.0 + (line - i) / 8.0)
        for name in _IDENT.findall(text):
            if weights.get(name, 0.0) < w:
                weights[name] = w
    hi = min(len(lines), line + 1 + NEAR_LINES_AFTER)
    for i in range(line + 1, hi):
        w = 0.6 / (1.0 + (i - line) / 4.0)
        for name in _IDENT.findall(lines[i]):
            if weights.get(name, 0.0) < w:
                weights[name] = w
    window = "\n".join([*lines[max(0, line - query_lines + 1) : line], head])
    return Query(
        line=line,
        lines=lines,
        weights=weights,
        partial=partial,
        window_text=window,
        text=cursor.text,
    )
