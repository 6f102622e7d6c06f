"""Filter: reject a candidate that adds tree-sitter ERROR or MISSING nodes.

The errors of the enclosing top-level region are counted without and with the candidate; more
errors with it means it does not fit (Cody does the same). The count alone misses a candidate
that replaces the error of a half-typed line (`let x = |;`) with one of its own, so an ERROR node
lying wholly inside the candidate rejects it too. Languages without a grammar pass.
"""

from __future__ import annotations

from ._syntax import count_errors, window
from .context import PostContext


def reject_syntax_errors(candidate: str, ctx: PostContext) -> str | None:
    counts = count_errors(ctx.language, window(ctx.prefix, ctx.suffix), candidate)
    if counts is None:
        return candidate
    return None if counts.after > counts.before or counts.inside else candidate
