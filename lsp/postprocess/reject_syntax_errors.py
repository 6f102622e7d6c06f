"""Filter: reject a candidate that does not fit the code around it syntactically.

- Tree-sitter: the errors of the enclosing top-level region are counted without and with the
  candidate; more errors with it means it does not fit (Cody does the same). The count alone
  misses a candidate that replaces the error of a half-typed line (`let x = |;`) with one of its
  own, so an ERROR node lying wholly inside the candidate rejects it too, and so does an ERROR
  or MISSING node that starts in the candidate (or at its end) where the window without it had
  none.
- Strings, templates and comments (`_lexer`): one the candidate opens must be closed by the
  candidate or by the code after it, and a line comment must not swallow the code after the
  cursor. This is judged on the candidate's own tokens, so it holds when the cursor line already
  had an error (`name = |` answered with `"`).
- Python: its own parser, which reports an unexpected indent that tree-sitter recovers from
  silently (`_syntax.python_adds_error`).

Languages without a grammar pass.
"""

from __future__ import annotations

from ._lexer import leaves_literal_open
from ._syntax import count_errors, enclosing_region, python_adds_error
from .context import PostContext


def reject_syntax_errors(candidate: str, ctx: PostContext) -> str | None:
    region = enclosing_region(ctx.prefix, ctx.suffix, language=ctx.language)
    if leaves_literal_open(region.before, candidate, region.after, ctx.language):
        return None
    if ctx.language == "python" and python_adds_error(region, candidate):
        return None
    counts = count_errors(ctx.language, region, candidate)
    if counts is None:
        return candidate
    return None if counts.after > counts.before or counts.inside or counts.near else candidate
