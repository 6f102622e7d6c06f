"""Tree-sitter helpers: the region around the cursor, error counts, comment/string tests.

Parsing the whole file for every candidate would cost milliseconds on large files, so what is
parsed is the top-level region that encloses the cursor (found by indentation), at most
WINDOW_LINES lines either side.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from repofill.retrieval.languages import parser
from tree_sitter import Node, Parser, Point, Tree

from ._lexer import multiline_literals
from ._text import CLOSERS, WINDOW_LINES, head_lines, indent_of, is_blank, tail_lines, width

# Lines that continue the statement above them rather than starting a new top-level one.
_CONTINUATIONS = (
    "else",
    "elif",
    "except",
    "finally",
    "catch",
    "case",
    "default",
    "@",
    "{",  # a brace on its own line (Allman style) opens the body of the header above it
    "#",
    "//",
    "/*",
    "*",
    "and ",
    "or ",
    ".",
    "+",
    "-",
    "|",
    "&",
    "?",
    ":",
)


@dataclass(frozen=True)
class Region:
    """The text of the enclosing region: `before` the cursor and `after` it."""

    before: str
    after: str


def _starts_region(line: str) -> bool:
    body = line.lstrip(" \t")
    return (
        not is_blank(line)
        and not indent_of(line)
        and body[0] not in CLOSERS
        and not body.startswith(_CONTINUATIONS)
    )


def enclosing_region(
    prefix: str, suffix: str, max_lines: int = WINDOW_LINES, language: str = ""
) -> Region:
    """The enclosing top-level region around the cursor, bounded to `max_lines` each side. With
    a `language` (`_lexer` families), a line that starts inside a string or block comment
    opened above it (a module docstring's prose at column 0) neither starts nor ends a region."""
    before = tail_lines(prefix, max_lines)
    after = head_lines(suffix, max_lines)
    quoted = _quoted_lines(before, after, language)
    start = None
    for i in range(len(before) - 1, -1, -1):
        if _starts_region(before[i]) and i not in quoted:
            start = i
            break
    if start is None:
        # No top-level line near: start at the least indented line, as far back as possible.
        candidates = [i for i, line in enumerate(before[:-1]) if not is_blank(line)]
        start = min(candidates, key=lambda i: (width(before[i]), i)) if candidates else 0
    end = len(after)
    cursor_line = before[-1] + (after[0] if after else "")
    top = next((t for t in reversed([*before[:-1], cursor_line]) if _is_top(t)), "")
    for i in range(1, len(after)):
        # A top-level decorator (`@...`, its arguments on lines of their own included) belongs
        # to the definition below it: alone it is not valid code, so the right decorator would
        # be judged a syntax error.
        if (
            _starts_region(after[i])
            and len(before) - 1 + i not in quoted
            and not _is_decorator(top)
        ):
            end = i
            break
        if _is_top(after[i]):
            top = after[i]
    return Region("\n".join(before[start:]), "\n".join(after[:end]))


def _quoted_lines(before: list[str], after: list[str], language: str) -> set[int]:
    """Indexes of the lines of `before` + `after[1:]` (the cursor's line counted once) that
    start inside a multi-line string or block comment, lexed from the first line of `before`
    (a literal open above it is missed: lexing the whole prefix cost a millisecond more)."""
    if not language:
        return set()
    before_text = "\n".join(before)
    spans = multiline_literals(before_text + "\n".join(after), language)
    if not spans:
        return set()
    starts: list[int] = []
    offset = 0
    for line in before:
        starts.append(offset)
        offset += len(line) + 1
    offset = len(before_text) + (len(after[0]) + 1 if after else 0)
    for line in after[1:]:
        starts.append(offset)
        offset += len(line) + 1
    return {i for i, at in enumerate(starts) if any(lo < at < hi for lo, hi in spans)}


def _is_top(line: str) -> bool:
    """A line at column 0 that is not blank and does not start with a closing bracket (the `)`
    that ends a decorator's arguments belongs to the decorator)."""
    return not is_blank(line) and not indent_of(line) and line[0] not in CLOSERS


def _is_decorator(line: str) -> bool:
    """A top-level `@decorator` line (Python, TypeScript and JavaScript, Java annotations)."""
    return line.startswith("@")


def _point_after(text: bytes, start: Point) -> Point:
    """The point reached after writing `text` at `start`."""
    lines = text.count(b"\n")
    if not lines:
        return Point(start.row, start.column + len(text))
    return Point(start.row + lines, len(text) - text.rfind(b"\n") - 1)


def error_nodes(tree: Tree) -> list[Node]:
    """ERROR and MISSING nodes in the tree (only subtrees that contain errors are visited)."""
    found: list[Node] = []
    if not tree.root_node.has_error:
        return found
    stack: list[Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(node)
        stack.extend(child for child in node.children if child.has_error or child.is_missing)
    return found


@dataclass(frozen=True)
class ErrorCounts:
    before: int  # errors in the window without the insertion
    after: int  # errors with it
    inside: int  # ERROR nodes lying wholly inside the inserted text
    near: int = 0
    """ERROR or MISSING nodes starting inside the inserted text (or right at its end) where the
    window without it had none: errors the insertion adds even when the cursor's line already
    had one (`name = |` is an error of its own)."""


def count_errors(language: str, region: Region, insert: str) -> ErrorCounts | None:
    """Errors of the window without and with `insert` at the cursor; None without a grammar."""
    ts: Parser | None = parser(language)
    if ts is None:
        return None
    before = region.before.encode()
    after = region.after.encode()
    ins = insert.encode()
    old = ts.parse(before + after)
    old_nodes = error_nodes(old)
    old_errors = len(old_nodes)
    at = _point_after(before, Point(0, 0))
    old.edit(
        start_byte=len(before),
        old_end_byte=len(before),
        new_end_byte=len(before) + len(ins),
        start_point=at,
        old_end_point=at,
        new_end_point=_point_after(ins, at),
    )
    new = error_nodes(ts.parse(before + ins + after, old))
    start, end = len(before), len(before) + len(ins)
    inside = sum(1 for n in new if n.is_error and start <= n.start_byte < n.end_byte <= end)
    # An old error at the cursor may stay there or move past the insertion; later ones move.
    known = {(n.is_missing, n.start_byte) for n in old_nodes if n.start_byte < start}
    for n in old_nodes:
        if n.start_byte >= start:
            known.add((n.is_missing, n.start_byte + len(ins)))
        if n.start_byte == start:
            known.add((n.is_missing, start))
    near = sum(
        1 for n in new if start <= n.start_byte <= end and (n.is_missing, n.start_byte) not in known
    )
    return ErrorCounts(old_errors, len(new), inside, near)


_LITERAL_TYPES = (
    "comment",
    "string",
    "char_literal",
    "character_literal",
    "rune_literal",
    "heredoc",
    "regex",
)


def in_comment_or_string(language: str, region: Region) -> bool | None:
    """Whether the cursor sits inside a comment or a string; None without a grammar."""
    ts = parser(language)
    if ts is None:
        return None
    before = region.before.encode()
    at = len(before)
    tree = ts.parse(before + region.after.encode())
    node: Node | None = tree.root_node.descendant_for_byte_range(max(0, at - 1), at)
    while node is not None:
        kind = node.type
        if any(t in kind for t in _LITERAL_TYPES):
            if node.start_byte < at < node.end_byte:
                return True
            if at == node.end_byte and "comment" in kind:
                text = node.text or b""
                # A line comment runs to the end of the line; a closed block comment has ended.
                return not text.rstrip().endswith(b"*/")
        node = node.parent
    return False


@dataclass(frozen=True)
class _PyError:
    offset: int  # characters into the parsed text
    message: str


def _python_error(source: str) -> _PyError | None:
    """The first error Python's own parser reports for `source` (None: it parses)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for `1if x` and the like
            ast.parse(source)
    except SyntaxError as exc:  # IndentationError and TabError included
        starts = [0]
        for line in source.split("\n"):
            starts.append(starts[-1] + len(line) + 1)
        row = min(max(1, exc.lineno or 1), len(starts) - 1)
        column = max(0, (exc.offset or 1) - 1)
        return _PyError(min(starts[row - 1] + column, len(source)), exc.msg)
    except (ValueError, RecursionError, MemoryError):
        return None  # NUL bytes, or too deep to judge: no verdict
    return None


MISSING_BODY = "expected an indented block"
"""How Python's parser (3.10+) begins the error for a block header without a body."""


def python_adds_error(region: Region, insert: str) -> bool:
    """Whether `insert` at the cursor makes Python's parser fail where it did not before.

    Tree-sitter recovers from an unexpected indent without an ERROR node; Python's parser
    (`ast.parse`, so indentation, unterminated strings and unclosed brackets count) does not.
    The parser reports only its first error, so an error already in the window counts as the
    same one when the new first error lies at its place (shifted past the insertion) with the
    same message; an error inside the inserted text, or before the old one, is the candidate's.
    A missing block body after the inserted text is not an error of the text: the header it
    completes waits for the body the user types next.
    """
    new = _python_error(region.before + insert + region.after)
    if new is None:
        return False
    old = _python_error(region.before + region.after)
    if old is None:
        return True
    start, end = len(region.before), len(region.before) + len(insert)
    if new.offset >= end and new.message.startswith(MISSING_BODY):
        # The candidate finished a block header (`if __name__ == "__main__":`) and its body is
        # not typed yet. Inside a function the error lands elsewhere, so only top-level headers
        # were rejected for it.
        return False
    if start <= new.offset < end:
        return True
    mapped = new.offset if new.offset < start else new.offset - len(insert)
    return mapped < old.offset or (mapped == old.offset and new.message != old.message)
