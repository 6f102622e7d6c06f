"""The ordered list of filters, and the function the engine calls.

Each filter is pure: (candidate, context) -> new candidate, or None to reject. The order matters:
a line the deadline cut off goes first, then indentation is normalised so later filters compare
lines like with like, repetition of the suffix is dropped before the overlap on the cursor line is
trimmed, the scope and line limits come before brackets are balanced, and the syntax check judges
the final text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .balance_brackets import balance_brackets
from .context import PostContext
from .drop_cut_line import drop_cut_line
from .drop_repetition import drop_repetition
from .limit_lines import limit_lines
from .limit_scope import limit_scope
from .normalize_indent import normalize_indent
from .reject_syntax_errors import reject_syntax_errors
from .strip_trailing_space import strip_trailing_space
from .trim_suffix_overlap import trim_suffix_overlap

FilterFn = Callable[[str, PostContext], "str | None"]


@dataclass(frozen=True)
class Filter:
    """A named step, so tests and the log can say which filter changed or rejected a candidate."""

    name: str
    run: FilterFn

    def __call__(self, candidate: str, ctx: PostContext) -> str | None:
        return self.run(candidate, ctx)


FILTERS: tuple[Filter, ...] = (
    Filter("drop_cut_line", drop_cut_line),
    Filter("strip_trailing_space", strip_trailing_space),
    Filter("normalize_indent", normalize_indent),
    Filter("drop_repetition", drop_repetition),
    Filter("trim_suffix_overlap", trim_suffix_overlap),
    Filter("limit_scope", limit_scope),
    Filter("limit_lines", limit_lines),
    Filter("balance_brackets", balance_brackets),
    Filter("reject_syntax_errors", reject_syntax_errors),
)

_EDGE = 4000  # characters either side of the cursor searched for a CRLF document


@dataclass(frozen=True)
class Outcome:
    """What the pipeline did: the final text (None: rejected), which filters changed it, and
    which one rejected it (`empty` when there was nothing to filter)."""

    text: str | None
    changed_by: tuple[str, ...] = ()
    rejected_by: str | None = None


def explain(candidate: str, ctx: PostContext, filters: tuple[Filter, ...] = FILTERS) -> Outcome:
    """Run the filters in order and record what each did."""
    crlf = "\r\n" in ctx.prefix[-_EDGE:] or "\r\n" in ctx.suffix[:_EDGE]
    if crlf or "\r" in candidate:
        ctx = replace(
            ctx,
            prefix=ctx.prefix[-64 * _EDGE :].replace("\r\n", "\n"),
            suffix=ctx.suffix[: 64 * _EDGE].replace("\r\n", "\n"),
        )
        candidate = candidate.replace("\r\n", "\n")
    if not candidate.strip():
        return Outcome(None, (), "empty")
    text: str | None = candidate
    changed: list[str] = []
    for step in filters:
        assert text is not None
        result = step(text, ctx)
        if result is None or not result.strip():
            return Outcome(None, tuple(changed), step.name)
        if result != text:
            changed.append(step.name)
        text = result
    if crlf and text is not None:
        text = text.replace("\n", "\r\n")
    return Outcome(text, tuple(changed))


def postprocess(candidate: str, ctx: PostContext) -> str | None:
    """The candidate after all filters; None when it is rejected or nothing is left."""
    return explain(candidate, ctx).text
