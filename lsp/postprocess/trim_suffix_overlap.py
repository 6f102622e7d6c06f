"""Filter: do not re-type what is already after the cursor on its line.

Mid-line, the editor has usually inserted the closing `)` / `"` / `):` already; a model that
completes the whole line would type it a second time. When the candidate ends with the rest of the
cursor line (or with its leading closing brackets and quotes), that end is cut. A trailing `;`,
`:` or `,` after the overlap goes too: it cannot be placed after text that is already there.
"""

from __future__ import annotations

from ._text import cursor_line_after
from .context import PostContext

_AUTO_CLOSED = set(")]}>\"'`;:, ")
_AFTER = ("", ";", ":", ",")


def trim_suffix_overlap(candidate: str, ctx: PostContext) -> str | None:
    rest = cursor_line_after(ctx.suffix).rstrip()
    if not rest.strip():
        return candidate
    text = candidate.rstrip(" \t")
    # an overlap longer than the candidate cannot match: bounded even on a 10 MB minified line
    for k in range(min(len(rest), len(text)), 0, -1):
        head = rest[:k]
        if k < len(rest) and not set(head) <= _AUTO_CLOSED:
            continue
        for extra in _AFTER:
            if extra and extra in head:
                continue
            tail = head + extra
            if head.strip() and text.endswith(tail):
                return _cut(text, len(tail))
    return candidate


def _cut(text: str, n: int) -> str:
    """`text` without its last `n` characters; the indentation before a closer on a line of its
    own stays, so that the closer after the cursor keeps its place."""
    kept = text[: len(text) - n]
    last = kept[kept.rfind("\n") + 1 :]
    return kept.rstrip(" \t") if last.strip() else kept
