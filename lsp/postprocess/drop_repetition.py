"""Filter: drop candidate lines that repeat the text after the cursor, or repeat themselves.

- Lines that the suffix already holds (typically a duplicated closing `}` line, or a model that
  re-types the code below the cursor) are cut from the first repeated line on: the first line
  that is the next non-blank line after the cursor (same text, same indentation), even when the
  candidate goes on with other lines after it, or a tail that only repeats the next lines.
- A run of three identical lines (counting the lines just above the cursor) is a loop: it is cut
  after its first line in the candidate.
- A block of two or more lines repeated immediately is cut after its first copy.
"""

from __future__ import annotations

from ._text import cursor_line_after, cursor_line_before, head_lines, is_blank, tail_lines
from .context import PostContext

_RUN = 3
_MAX_LINES = 64


def drop_repetition(candidate: str, ctx: PostContext) -> str | None:
    lines = candidate.split("\n")[:_MAX_LINES]
    before = cursor_line_before(ctx.prefix)
    full = [before + lines[0], *lines[1:]]
    # Line 0 is a whole line only when the cursor line was blank up to the cursor.
    first = 0 if not before.strip() and not cursor_line_after(ctx.suffix).strip() else 1
    cut = min(
        _suffix_repeat(full, first, ctx.suffix),
        _line_run(full, first, ctx.prefix),
        _block_repeat(full),
    )
    if cut >= len(lines) and len(candidate.split("\n")) <= _MAX_LINES:
        return candidate
    return "\n".join(lines[:cut]).rstrip()


def _suffix_repeat(full: list[str], first: int, suffix: str) -> int:
    """The first line that re-types the suffix's next non-blank line, or from which the
    candidate only repeats the suffix's next non-blank lines."""
    below = [x.rstrip() for x in head_lines(suffix, len(full) + 40)[1:] if not is_blank(x)]
    if not below:
        return len(full)
    for i in range(first, len(full)):
        if is_blank(full[i]):
            continue
        if full[i].rstrip() == below[0]:
            return i
        rest = [x.rstrip() for x in full[i:] if not is_blank(x)]
        if len(rest) > len(below):
            continue
        *whole, last = rest
        if whole == below[: len(whole)] and below[len(whole)].startswith(last):
            return i
    return len(full)


def _line_run(full: list[str], first: int, prefix: str) -> int:
    """Where a run of identical lines reaches _RUN (the prefix's last lines count too)."""
    above = [x.rstrip() for x in tail_lines(prefix, _RUN + 1)[:-1] if not is_blank(x)]
    prev: str | None = None
    seed = 0
    if first == 0 and above:
        prev = above[-1]
        for line in reversed(above):
            if line != prev:
                break
            seed += 1
    run, run_start = seed, -1  # run_start -1: the run began in the prefix
    for i, line in enumerate(full):
        if is_blank(line):
            continue
        text = line.rstrip()
        if text == prev:
            run += 1
        else:
            prev, run, run_start = text, 1, i
        if run >= _RUN:
            if run_start < 0:
                # Keep one copy from the candidate, none if the prefix already holds two.
                return first if seed >= 2 else _next_nonblank(full, first)
            return _next_nonblank(full, run_start)
    return len(full)


def _next_nonblank(full: list[str], i: int) -> int:
    """The index of the first non-blank line after line i."""
    j = i + 1
    while j < len(full) and is_blank(full[j]):
        j += 1
    return j


def _block_repeat(full: list[str]) -> int:
    """Where a block of 2+ non-trivial lines is repeated right after itself."""
    n = len(full)
    for start in range(n):
        for size in range(2, (n - start) // 2 + 1):
            block = full[start : start + size]
            if not any(any(c.isalnum() for c in x) for x in block):
                continue
            if [x.rstrip() for x in block] == [
                x.rstrip() for x in full[start + size : start + 2 * size]
            ]:
                return start + size
    return n
