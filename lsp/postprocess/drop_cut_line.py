"""Filter: drop the last line of a multi-line candidate that generation cut off mid-line.

A candidate stopped by the deadline or the token limit (`PostContext.cut`) ends wherever the
model happened to be: inside a call, a string, an f-string. Its earlier lines are whole and often
worth showing; the unfinished last one would leave a bracket or a string open, and the syntax
check would then reject the whole candidate. A single line is kept: there is nothing before it,
and later filters balance or reject it. A line left at the end that opens a block with nothing in
it goes too, as in `limit_lines`.
"""

from __future__ import annotations

from .context import PostContext
from .limit_scope import opens_block


def drop_cut_line(candidate: str, ctx: PostContext) -> str | None:
    if not ctx.cut:
        return candidate
    head, newline, last = candidate.rpartition("\n")
    if not newline or not head.strip() or not last.strip():
        return candidate  # one line, or the cut fell right after a line break
    lines = head.split("\n")
    while len(lines) > 1 and opens_block(lines[-1], ctx.language):
        lines.pop()
    return "\n".join(lines)
