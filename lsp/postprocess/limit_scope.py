"""Filter: keep a multi-line candidate inside the cursor's block, judged by indentation.

- The candidate's first line opens a block while the cursor line already has code (`def f():|`,
  `if (x) {|`): keep the block's body and one closing line at the opener's indentation.
- Otherwise (cursor on an empty line): keep lines indented at least as deep as the first one; a
  less indented closing line (`}`, `);`) ends the scope and is kept as its closing part only. At
  the top level, stop after the first complete construct.
- A less indented line may still finish the enclosing blocks, down to (not including) the
  indentation where the code after the cursor resumes, and at that indentation only a clause of
  the same statement (`elif`, `else`, `except`): at the end of an inner block whose function goes
  on after it (or ends the file), the candidate may finish the function, as in the InCoder
  multi-line task; with the next line at the cursor's own level, nothing changes.
"""

from __future__ import annotations

from ._text import CLOSERS, cursor_line_before, is_blank, width
from .context import PostContext

_OPENERS_PY = (":", "(", "[", "{")
_OPENERS = ("{", "(", "[")


def opens_block(line: str, language: str) -> bool:
    """Whether a line ends by opening a block or a bracketed list."""
    body = line.rstrip()
    return body.endswith(_OPENERS_PY if language == "python" else _OPENERS)


def _closing_part(line: str) -> str | None:
    """`}`, `});` … of a line that starts with a closer; None when it does not."""
    body = line.lstrip(" \t")
    if not body or body[0] not in CLOSERS:
        return None
    end = 0
    while end < len(body) and body[end] in CLOSERS + ";,":
        end += 1
    return line[: len(line) - len(body)] + body[:end]


def limit_scope(candidate: str, ctx: PostContext) -> str | None:
    lines = candidate.split("\n")
    if not ctx.multiline or len(lines) < 2:
        return candidate
    before = cursor_line_before(ctx.prefix)
    full = [before + lines[0], *lines[1:]]
    start = 0
    while start < len(full) and is_blank(full[start]):
        start += 1
    if start == len(full):
        return candidate
    base = width(full[start])
    opener = bool(before.strip()) and opens_block(full[0], ctx.language) and start == 0
    kept = _scan(full, start, base, opener, _resume_width(ctx.suffix))
    if kept is None:
        return candidate
    end, closing = kept
    out = lines[:end]
    if closing is not None:
        out.append(closing)
    return "\n".join(out).rstrip()


def _resume_width(suffix: str) -> int:
    """The indentation of the first non-blank line after the cursor's line (0: none)."""
    for line in suffix.split("\n")[1:]:
        if not is_blank(line):
            return width(line)
    return 0


def _scan(
    full: list[str], start: int, base: int, opener: bool, resume: int
) -> tuple[int, str | None] | None:
    """(lines to keep, closing line to add) or None when everything stays."""
    deeper = left = False
    for i in range(start + 1, len(full)):
        line = full[i]
        if is_blank(line):
            continue
        w = width(line)
        if opener:
            if w > base:
                continue
            return i, _closing_part(line) if w == base else None
        if w > base:
            deeper = True
            continue
        if w == base:
            # Back at the top level after a construct, or at the level where the code after the
            # cursor resumes: only a clause of the same statement (`else:`) goes on.
            settled = (base == 0 and deeper) or (left and base == resume)
            if settled and not _continues(line):
                return i, _closing_part(line)
            continue
        if resume < w or (resume == w and _continues(line)):
            # finishing an enclosing block before the code after the cursor resumes
            base, left = w, True
            continue
        return i, _closing_part(line)
    return None


def _continues(line: str) -> bool:
    """A top-level line that belongs to the construct above (`else:`, `} else {`, `except`)."""
    body = line.strip()
    return body.startswith(("else", "elif", "except", "finally", "catch", "} else", "} catch"))
