"""Whether a suggestion here may span several lines.

auto: multi-line when nothing follows the cursor on its line (or it sits between `{` and `}`), the
cursor is not inside a comment or a string, and either the cursor is at a block start (its line,
or the previous non-blank line, opens a block) or it is on an empty line inside a block.
Everything else (mid-line, the end of an ordinary statement, a comment, a string) is single-line.
"""

from __future__ import annotations

from typing import Literal

from ._lexer import brackets, ends_inside_literal, open_stack
from ._syntax import enclosing_region, in_comment_or_string
from ._text import CLOSERS, cursor_line_after, cursor_line_before, is_blank, tail_lines, width
from .limit_scope import opens_block

Setting = Literal["auto", "always", "never"]


def decide_multiline(prefix: str, suffix: str, language: str, setting: Setting) -> bool:
    if setting == "always":
        return True
    if setting == "never":
        return False
    before = cursor_line_before(prefix)
    rest = cursor_line_after(suffix).strip()
    between_braces = before.rstrip().endswith("{") and rest.startswith("}")
    if rest and not (between_braces and all(c in CLOSERS + ";, " for c in rest)):
        return False  # mid-line
    if _in_literal(prefix, suffix, language, before):
        return False
    if before.strip():
        return opens_block(before, language)
    previous = next((x for x in reversed(tail_lines(prefix, 50)[:-1]) if not is_blank(x)), None)
    if previous is None:
        return False
    if opens_block(previous, language):
        return True
    if width(before) > 0:
        return True
    stack, _ = open_stack(brackets("\n".join(tail_lines(prefix)), language))
    return bool(stack)


def _in_literal(prefix: str, suffix: str, language: str, before: str) -> bool:
    found = in_comment_or_string(language, enclosing_region(prefix, suffix, language=language))
    if found:
        return True
    if found is None:
        # No grammar: a comment marker or an odd number of quotes on the cursor line.
        body = before.lstrip()
        return (
            body.startswith(("#", "//", "--", ";", "%"))
            or " //" in before
            or (before.count('"') % 2 == 1)
        )
    return ends_inside_literal(before, language)
