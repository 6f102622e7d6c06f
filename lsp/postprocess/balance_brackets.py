"""Filter: make the candidate's brackets agree with the code around it.

Brackets are matched outside strings and comments (`_lexer`). Let `free` be the brackets open
before the cursor that nothing after the cursor closes. A candidate may close at most `free` more
brackets than it opens: past that it closes what the suffix already closes (the auto-inserted `)`
after the cursor, the `}` of the enclosing function) and is cut before the closer that overdoes
it. A candidate that opens more than it closes gets the missing closers (innermost first, on its
last line or, for a block opened on an earlier line, on a line of their own at the opener's
indentation), unless the suffix holds spare closers for them or the candidate ends where more
obviously follows (`foo(`, `a +`). A closer that does not match its opener is cut too.
"""

from __future__ import annotations

from ._lexer import Token, brackets, closer_for, open_stack, opener_for
from ._text import cursor_line_before, head_lines, indent_of, tail_lines
from .context import PostContext

_LANGUAGES = frozenset(
    {"python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "csharp"}
)
_CONTINUES = tuple("([{,+-*/%=&|<>.:\\?")


def balance_brackets(candidate: str, ctx: PostContext) -> str | None:
    if ctx.language not in _LANGUAGES:
        return candidate
    pre = "\n".join(tail_lines(ctx.prefix))
    suf = "\n".join(head_lines(ctx.suffix))
    original = brackets(pre + suf, ctx.language)
    prefix_open, _ = open_stack([t for t in original if t[0] < len(pre)])
    _, suffix_closes = open_stack([t for t in original if t[0] >= len(pre)])
    free = len(prefix_open) - len(suffix_closes)  # negative: the suffix has spare closers
    at = len(pre)
    tokens = [
        (offset - at, ch)
        for offset, ch in brackets(pre + candidate + suf, ctx.language)
        if at <= offset < at + len(candidate)
    ]
    # States at which the candidate could end: before each closer of an outer bracket, and at
    # its end. Each is (end offset, outer brackets closed, own brackets left open).
    states: list[tuple[int, int, list[Token]]] = []
    own: list[Token] = []
    closed = 0
    end = len(candidate)
    for offset, ch in tokens:
        if ch in "([{":
            own.append((offset, ch))
        elif own:
            if own[-1][1] != opener_for(ch):
                end = offset
                break
            own.pop()
        else:
            outer = len(prefix_open) - 1 - closed
            if outer < 0 or prefix_open[outer][1] != opener_for(ch):
                end = offset
                break
            states.append((offset, closed, list(own)))
            closed += 1
    states.append((end, closed, own))
    for end, closed, left in reversed(states):
        if closed - len(left) <= max(0, free):
            text = candidate[:end]
            text = text if end == len(candidate) else text.rstrip()
            missing = len(left) - closed - max(0, -free)
            if missing > 0:
                text = _close(text, left[len(left) - missing :], cursor_line_before(ctx.prefix))
            return text
    return candidate[: states[0][0]].rstrip()


def _close(text: str, pending: list[Token], before: str) -> str:
    """Append closers for `pending` (outermost first), innermost first."""
    if not text.strip() or text.rstrip().endswith(_CONTINUES):
        return text
    last_line = text.rfind("\n") + 1
    for offset, ch in reversed(pending):
        if offset >= last_line:
            text += closer_for(ch)
        else:
            line_start = text.rfind("\n", 0, offset) + 1
            line = text[line_start:offset] if line_start else before + text[:offset]
            text += "\n" + indent_of(line) + closer_for(ch)
    return text
