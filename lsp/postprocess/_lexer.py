"""A tiny lexer that finds brackets outside strings and comments.

It is deliberately approximate (no grammar needed, so it also works for a cursor in the middle of a
half-typed line) and fast: one compiled regular expression per language family, run in C.
"""

from __future__ import annotations

import re
from functools import cache

_BRACKET = r"[()\[\]{}]"
_DQ = r'"(?:[^"\\\n]|\\.)*(?:"|$)'
_SQ = r"'(?:[^'\\\n]|\\.)*(?:'|$)"
_BACKTICK = r"`(?:[^`\\]|\\.)*(?:`|\Z)"
_LINE = r"//[^\n]*"
_BLOCK = r"/\*[\s\S]*?(?:\*/|\Z)"

_PATTERNS = {
    "python": "|".join(
        [
            r"#[^\n]*",
            r'"""[\s\S]*?(?:"""|\Z)',
            r"'''[\s\S]*?(?:'''|\Z)",
            _DQ,
            _SQ,
            _BRACKET,
        ]
    ),
    # JavaScript, TypeScript and Go have backtick strings; a quote in Rust is a char or a lifetime.
    "backtick": "|".join([_LINE, _BLOCK, _DQ, _SQ, _BACKTICK, _BRACKET]),
    "rust": "|".join([_LINE, _BLOCK, _DQ, r"'(?:[^'\\\n]|\\[^\n]{1,10}?)'", _BRACKET]),
    "c": "|".join([_LINE, _BLOCK, _DQ, _SQ, _BRACKET]),
    "plain": _BRACKET,
}

_FAMILY = {
    "python": "python",
    "javascript": "backtick",
    "typescript": "backtick",
    "tsx": "backtick",
    "go": "backtick",
    "rust": "rust",
    "java": "c",
    "c": "c",
    "cpp": "c",
    "csharp": "c",
    "kotlin": "c",
    "swift": "c",
    "scala": "c",
    "php": "c",
}

_CLOSERS_OF = {")": "(", "]": "[", "}": "{"}
_OPENER_OF = {v: k for k, v in _CLOSERS_OF.items()}


@cache
def _pattern(language: str) -> re.Pattern[str]:
    return re.compile(_PATTERNS[_FAMILY.get(language, "plain")], re.MULTILINE)


def brackets(text: str, language: str) -> list[tuple[int, str]]:
    """(offset, bracket) for each bracket of `text` that is code, not string or comment."""
    return [
        (m.start(), m.group())
        for m in _pattern(language).finditer(text)
        if len(m.group()) == 1 and m.group() in "()[]{}"
    ]


def multiline_literals(text: str, language: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each string, template or block comment of `text` that spans more
    than one line (a docstring, a `/* … */` or `/*! … */` comment, a template literal), in
    order; an unterminated one runs to the end of `text`."""
    return [
        m.span()
        for m in _pattern(language).finditer(text)
        if len(m.group()) > 1 and "\n" in m.group() and not m.group().startswith(("#", "//"))
    ]


def ends_inside_literal(text: str, language: str) -> bool:
    """Whether the end of `text` is inside a comment or a string (an unterminated token)."""
    last = None
    for last in _pattern(language).finditer(text):  # noqa: B007 - we want the last match
        pass
    if last is None or last.end() != len(text):
        return False
    token = last.group()
    if token in "()[]{}":
        return False
    if token.startswith(("#", "//")):
        return True
    for quote in ('"""', "'''", "/*", '"', "'", "`"):
        if token.startswith(quote):
            closing = "*/" if quote == "/*" else quote
            return len(token) < 2 * len(quote) or not token.endswith(closing) or _escaped(token)
    return False


def _escaped(token: str) -> bool:
    """A string token ending in an escaped quote (`"a\\"`) has not ended."""
    body = token[:-1]
    return (len(body) - len(body.rstrip("\\"))) % 2 == 1


def closer_for(opener: str) -> str:
    return _OPENER_OF[opener]


def opener_for(closer: str) -> str:
    return _CLOSERS_OF[closer]


Token = tuple[int, str]


def open_stack(tokens: list[Token]) -> tuple[list[Token], list[Token]]:
    """Scan bracket tokens: (openers still open, closers that matched nothing), both in order."""
    stack: list[tuple[int, str]] = []
    unmatched: list[tuple[int, str]] = []
    for offset, ch in tokens:
        if ch in "([{":
            stack.append((offset, ch))
        elif stack and stack[-1][1] == _CLOSERS_OF[ch]:
            stack.pop()
        elif not stack:
            unmatched.append((offset, ch))
        else:
            # A mismatched closer: treat it as closing the innermost opener, as editors do.
            stack.pop()
    return stack, unmatched


def leaves_literal_open(before: str, insert: str, after: str, language: str) -> bool:
    """Whether `insert`, placed between `before` and `after`, opens a string, template or
    comment that the code after it does not close, or starts a line comment that swallows the
    code after the cursor on its line. Literals opened before the insertion (a cursor inside a
    string being typed) are the user's, not the insertion's.
    """
    if _FAMILY.get(language, "plain") == "plain" or not insert:
        return False
    start, end = len(before), len(before) + len(insert)
    text = before + insert + after
    for m in _pattern(language).finditer(text):
        if m.start() >= end:
            break
        token = m.group()
        if m.start() < start or token in "()[]{}":
            continue
        if token.startswith(("#", "//")):
            if m.end() > end and text[end : m.end()].strip():
                return True
        elif ends_inside_literal(token, language):
            return True
    return False
