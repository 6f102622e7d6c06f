"""Filter: re-indent the candidate in the file's style (tabs or N spaces).

A model often indents with 4 spaces in a 2-space file, or with spaces in a tab file. The file's
unit is the most common indentation step of the lines near the cursor; the candidate's unit is the
most common step of its own lines. Lines are re-scaled relative to the cursor line.

A Python model that pictured its first line at another level than the cursor's (`x = 1` typed
at a 2-space cursor, `    return x` below it) writes the lines after it deeper than a complete
statement allows; they are first moved back to the cursor's level (`rebase`).
"""

from __future__ import annotations

import itertools
from collections import Counter

from ._lexer import brackets, open_stack
from ._text import cursor_line_before, head_lines, indent_of, is_blank, tail_lines, width
from .context import PostContext

_UNITS = (2, 3, 4, 8)


def _step(widths: list[int]) -> int | None:
    """The most common positive step between consecutive indentation widths, if a usual one."""
    steps = Counter(b - a for a, b in itertools.pairwise(widths) if b > a)
    for step, _ in steps.most_common():
        if step in _UNITS:
            return step
    return None


def file_style(lines: list[str]) -> str | None:
    """A tab for a tab-indented file, " " * n for n-space indentation, None when unknown."""
    tabs = spaces = 0
    widths: list[int] = []
    for line in lines:
        if is_blank(line):
            continue
        ind = indent_of(line)
        if ind.startswith("\t"):
            tabs += 1
        elif ind.startswith(" "):
            spaces += 1
        if "\t" not in ind:
            widths.append(len(ind))
    if tabs > spaces:
        return "\t"
    step = _step(widths) if spaces else None
    return " " * step if step else None


def normalize_indent(candidate: str, ctx: PostContext) -> str | None:
    lines = candidate.split("\n")
    if len(lines) < 2:
        return candidate
    first = cursor_line_before(ctx.prefix) + lines[0]
    body = rebase(first, lines[1:], ctx.language)
    style = file_style(tail_lines(ctx.prefix, 100) + head_lines(ctx.suffix, 50))
    if style is None:
        return "\n".join([lines[0], *body])
    space_widths = [
        len(indent_of(x)) for x in [first, *body] if x.strip() and "\t" not in indent_of(x)
    ]
    own = _step(space_widths) or 4
    if style == "\t":
        out = [_to_tabs(line, own) for line in body]
    else:
        unit = len(style)
        body = [_tabs_to_spaces(line, unit) for line in body]
        base = width(first) if first.strip() else 0
        out = body if own == unit else [_rescale(line, base, own, unit) for line in body]
    return "\n".join([lines[0], *out])


def rebase(first: str, body: list[str], language: str) -> list[str]:
    """Python: `body` moved left so that its shallowest lines sit at `first`'s level, when every
    body line is deeper than `first` and `first` is a complete statement (no block opened, no
    bracket or backslash continuing it) or opens a block whose body comes back to that
    shallowest level (`if y:` / `        x = 1` / `    return x` at a 2-space cursor)."""
    if language != "python" or not first.strip() or first.rstrip().endswith("\\"):
        return body
    if open_stack(brackets(first, language))[0]:
        return body
    widths = [width(line) for line in body if not is_blank(line)]
    if not widths or "\t" in "".join(indent_of(line) for line in body):
        return body
    shift = min(widths) - width(first)
    if shift <= 0 or (first.rstrip().endswith(":") and widths[0] == min(widths)):
        return body
    return [line if is_blank(line) else line[shift:] for line in body]


def _to_tabs(line: str, own: int) -> str:
    ind = indent_of(line)
    if " " not in ind:
        return line
    tabs = ind.count("\t")
    spaces = ind.count(" ")
    return "\t" * (tabs + spaces // own) + " " * (spaces % own) + line[len(ind) :]


def _tabs_to_spaces(line: str, unit: int) -> str:
    ind = indent_of(line)
    if "\t" not in ind:
        return line
    return " " * width(line, unit) + line[len(ind) :]


def _rescale(line: str, base: int, own: int, unit: int) -> str:
    if is_blank(line):
        return line
    ind = indent_of(line)
    rel = len(ind) - base
    if rel % own:
        return line  # an alignment, not an indentation level: leave it
    return " " * max(0, base + rel // own * unit) + line[len(ind) :]
