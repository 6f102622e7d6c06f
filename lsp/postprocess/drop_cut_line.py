"""Filter: what generation cut off mid-way does not reach the screen.

A candidate stopped by the deadline or the token limit (`PostContext.cut`) ends wherever the
model happened to be: inside a call, a string, a name. Two rules, in order:

1. A multi-line candidate loses its unfinished last line. Its earlier lines are whole and often
   worth showing; the unfinished one would leave a bracket or a string open, and the syntax check
   would then reject the whole candidate. A line left at the end that opens a block with nothing
   in it goes too, as in `limit_lines`.
2. A candidate that is one line is shown only up to its last boundary that splits no identifier,
   number or string: the model may have been half-way through `BaseTargetsLoader` when it
   wrote `Base`, so a trailing name or number is dropped whole, and so is a string the candidate
   opened and did not close. Nothing left: no suggestion.

The last token of a cut candidate is never trusted to be whole: llama.cpp stops between tokens,
and a name is often several tokens.
"""

from __future__ import annotations

import re

from ._lexer import ends_inside_literal
from .context import PostContext
from .limit_scope import opens_block

# A trailing dotted name (`self.total_co`, `$el`) or number (`3.14`, `0x1F`, `1_000`).
_NAME = r"(?:[^\W\d]|\$)[\w$]*"
_TRAILING_NAME_OR_NUMBER = re.compile(rf"{_NAME}(?:\.{_NAME})*\Z|\d[\w.]*\Z")
# Characters of the cursor's line looked at to tell whether a string is open there.
_LINE_START = 2000


def drop_cut_line(candidate: str, ctx: PostContext) -> str | None:
    if not ctx.cut:
        return candidate
    head, newline, last = candidate.rpartition("\n")
    if newline and head.strip() and last.strip():
        lines = head.split("\n")
        while len(lines) > 1 and opens_block(lines[-1], ctx.language):
            lines.pop()
        return "\n".join(lines)
    if not last.strip():
        return candidate  # the cut fell right after a line break
    kept = _whole_tokens(head + newline, last, ctx)
    return kept if kept.strip() else None


def _whole_tokens(head: str, line: str, ctx: PostContext) -> str:
    """`head + line` without the trailing name, number or string the cut may have split."""
    before = head or ctx.prefix[ctx.prefix.rfind("\n", 0, len(ctx.prefix)) + 1 :][-_LINE_START:]
    language = ctx.language
    if ends_inside_literal(before + line, language):
        if ends_inside_literal(before, language):
            # The user's own string or comment, continued: keep whole words of it.
            return head + line[: _after_last_blank(line)].rstrip()
        # A string or comment the candidate opened: drop it from its opening quote on.
        end = len(line)
        while end > 0 and ends_inside_literal(before + line[:end], language):
            end -= 1
        line = line[:end]
    match = _TRAILING_NAME_OR_NUMBER.search(line)
    if match is not None:
        line = line[: match.start()]
        if line.endswith("."):  # `items[0].pri` -> `items[0]`, not `items[0].`
            line = line[:-1]
    return head + line.rstrip()


def _after_last_blank(line: str) -> int:
    """The offset after the last blank of `line` (0 when it has none): a word boundary."""
    return max(line.rfind(" "), line.rfind("\t")) + 1
