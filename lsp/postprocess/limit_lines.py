"""Filter: one line where a single-line suggestion is wanted, at most `max_lines` otherwise.

A candidate that starts with a line break (cursor at the end of a line) keeps its first non-blank
line. When the cut leaves a last line that opens a block with nothing in it, that line goes too.
"""

from __future__ import annotations

from ._text import is_blank
from .context import PostContext
from .limit_scope import opens_block


def limit_lines(candidate: str, ctx: PostContext) -> str | None:
    lines = candidate.split("\n")
    lead = 0
    while lead < len(lines) - 1 and is_blank(lines[lead]):
        lead += 1
    keep = lead + (max(1, ctx.max_lines) if ctx.multiline else 1)
    if len(lines) <= keep:
        return candidate
    out = lines[:keep]
    while len(out) > lead + 1 and opens_block(out[-1], ctx.language):
        out.pop()
    return "\n".join(out).rstrip()
