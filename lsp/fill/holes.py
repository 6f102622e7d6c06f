"""Where the hole is, for "fill this hole".

A hole is a span of the document that the fill replaces:

- `selection`: what the user selected;
- `marker`: a `<FILL>` marker on the cursor line;
- `todo`: a whole-line `# TODO: fill` / `// TODO: fill` comment on the cursor line;
- `stub`: the placeholder statement of a function whose body is only that placeholder
  (Python `pass`, `...`, `raise NotImplementedError`; Rust `todo!()`, `unimplemented!()`;
  Java/JS/TS `throw new UnsupportedOperationException()` or `throw new Error("not implemented")`;
  Go `panic("not implemented")`), found with tree-sitter around the cursor;
- `empty`: the inside of an empty `{}` function body (JS/TS, Go, Rust, Java, C/C++).

An `empty` hole has no room for code on its own lines, so the fill starts with `lead` (a newline
and the body's indentation) and ends with `trail` (a newline and the closing brace's indentation).
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

from repofill.retrieval.languages import parser
from tree_sitter import Node

MARKER = "<FILL>"
_TODO_FILL = re.compile(r"[ \t]*(#|//)[ \t]*TODO: fill[^\n]*")
_NOT_IMPLEMENTED = re.compile(r"not\s+(yet\s+)?implemented|unimplemented|\btodo\b", re.IGNORECASE)

# Node types that are functions, per language (their body is the field `body`).
_FUNCTIONS: dict[str, frozenset[str]] = {
    "python": frozenset({"function_definition"}),
    "javascript": frozenset(
        {
            "function_declaration",
            "function_expression",
            "function",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
        }
    ),
    "go": frozenset({"function_declaration", "method_declaration", "func_literal"}),
    "rust": frozenset({"function_item", "closure_expression"}),
    "java": frozenset({"method_declaration", "constructor_declaration", "lambda_expression"}),
    "c": frozenset({"function_definition"}),
    "cpp": frozenset({"function_definition"}),
}
_FUNCTIONS["typescript"] = _FUNCTIONS["javascript"]
_FUNCTIONS["tsx"] = _FUNCTIONS["javascript"]
_BRACED = ("{", "}")


@dataclass(frozen=True)
class Hole:
    start: int
    end: int
    kind: str
    """`selection`, `marker`, `todo`, `stub` or `empty`."""
    lead: str = ""
    """Text every fill starts with (an `empty` body: newline and indentation)."""
    trail: str = ""
    """Text every fill ends with (an `empty` body: newline and the closing indentation)."""
    function: tuple[str, ...] = ()
    """Names of the enclosing functions and classes, outermost first (when tree-sitter knows)."""


def find_hole(text: str, start: int, end: int, language: str = "") -> Hole | None:
    """The hole for a cursor (start == end) or a selection, or None when there is none.

    Offsets are character offsets into `text`. Without a `language` only the textual kinds
    (selection, marker, todo) are found.
    """
    simple = _textual_hole(text, start, end)
    if simple is not None:
        return _with_function(text, simple, language)
    return _tree_hole(text, start, end, language)


def _textual_hole(text: str, start: int, end: int) -> Hole | None:
    if end > start:
        return Hole(start, end, "selection")
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end]
    at = line.find(MARKER)
    if at >= 0:
        return Hole(line_start + at, line_start + at + len(MARKER), "marker")
    todo = _TODO_FILL.search(line)
    if todo:
        return Hole(line_start + todo.start(), line_start + todo.end(), "todo")
    return None


# -- tree-sitter holes --------------------------------------------------------------------------


class _Source:
    """The document as bytes for tree-sitter, with character ↔ byte offset conversion."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.ascii = len(self.data) == len(text)

    def byte(self, offset: int) -> int:
        return offset if self.ascii else len(self.text[:offset].encode("utf-8"))

    def char(self, offset: int) -> int:
        return offset if self.ascii else len(self.data[:offset].decode("utf-8", "ignore"))


def _parse(source: _Source, language: str) -> Node | None:
    ts = parser(language)
    if ts is None:
        return None
    return ts.parse(source.data).root_node


def _tree_hole(text: str, start: int, end: int, language: str) -> Hole | None:
    kinds = _FUNCTIONS.get(language)
    if kinds is None:
        return None
    source = _Source(text)
    root = _parse(source, language)
    if root is None:
        return None
    function = _innermost(root, source.byte(start), source.byte(end), kinds)
    if function is None:
        return None
    body = function.child_by_field_name("body")
    if body is None:
        return None
    names = _names(function)
    statements = _statements(body)
    if language == "python":
        found = _python_stub(statements)
        if found is None:
            return None
        return _stub_hole(source, found, names)
    if body.type == "arrow_function" or not body.children or body.children[0].type != _BRACED[0]:
        return None  # an expression-bodied arrow or lambda has no block to fill
    if not statements:
        if body.children[-1].type != _BRACED[1]:
            return None
        return _empty_hole(source, body, names)
    found = _braced_stub(statements, language)
    if found is None:
        return None
    return _stub_hole(source, found, names)


def _stub_hole(source: _Source, node: Node, names: tuple[str, ...]) -> Hole:
    return Hole(source.char(node.start_byte), source.char(node.end_byte), "stub", function=names)


def _innermost(root: Node, start: int, end: int, kinds: frozenset[str]) -> Node | None:
    """The innermost function node that contains [start, end] (a cursor just past its end too)."""
    for lo in (start, max(0, start - 1)):
        node: Node | None = root.descendant_for_byte_range(lo, end)
        while node is not None:
            if node.type in kinds and node.start_byte <= start and end <= node.end_byte:
                return node
            node = node.parent
    return None


def _statements(body: Node) -> list[Node]:
    """The statements of a body, comments left out (Go wraps them in a `statement_list`)."""
    out: list[Node] = []
    for child in body.named_children:
        if child.type == "statement_list":
            out.extend(c for c in child.named_children if "comment" not in c.type)
        elif "comment" not in child.type:
            out.append(child)
    return out


def _python_stub(statements: list[Node]) -> Node | None:
    """`pass`, `...` or `raise NotImplementedError[(...)]`, alone or after a docstring."""
    if statements and _is_docstring(statements[0]):
        statements = statements[1:]
    if len(statements) != 1:
        return None
    node = statements[0]
    if node.type == "pass_statement":
        return node
    if node.type == "expression_statement" and [c.type for c in node.named_children] == [
        "ellipsis"
    ]:
        return node
    if node.type == "raise_statement":
        raised = node.named_children[0] if node.named_children else None
        if raised is not None and raised.type == "call":
            raised = raised.child_by_field_name("function")
        if raised is not None and _text(raised) == "NotImplementedError":
            return node
    return None


def _is_docstring(node: Node) -> bool:
    return node.type == "expression_statement" and [c.type for c in node.named_children] == [
        "string"
    ]


def _braced_stub(statements: list[Node], language: str) -> Node | None:
    if len(statements) != 1:
        return None
    node = statements[0]
    inner = node.named_children[0] if node.type == "expression_statement" else node
    if inner is None:
        return None
    if language == "rust" and inner.type == "macro_invocation":
        name = inner.child_by_field_name("macro") or (
            inner.named_children[0] if inner.named_children else None
        )
        if name is not None and _text(name) in ("todo", "unimplemented"):
            return node
        return None
    if language == "go" and inner.type == "call_expression":
        callee = inner.child_by_field_name("function")
        if (
            callee is not None
            and _text(callee) == "panic"
            and _NOT_IMPLEMENTED.search(_text(inner))
        ):
            return node
        return None
    if node.type == "throw_statement":
        thrown = _text(node)
        if "UnsupportedOperationException" in thrown or _NOT_IMPLEMENTED.search(thrown):
            return node
    return None


def _empty_hole(source: _Source, body: Node, names: tuple[str, ...]) -> Hole:
    """The inside of `{}`: the fill goes on its own lines, indented one level deeper."""
    open_byte, close_byte = body.start_byte + 1, body.end_byte - 1
    text = source.text
    start, end = source.char(open_byte), source.char(close_byte)
    close_line_start = text.rfind("\n", 0, end) + 1
    if "\n" in text[start:end]:
        closing = text[close_line_start:end]  # the `}` line's indentation
    else:
        open_line_start = text.rfind("\n", 0, start) + 1
        line = text[open_line_start:start]
        closing = line[: len(line) - len(line.lstrip(" \t"))]
    return Hole(
        start,
        end,
        "empty",
        lead="\n" + closing + _indent_unit(text),
        trail="\n" + closing,
        function=names,
    )


def _indent_unit(text: str) -> str:
    """One level of indentation as the file does it: a tab, or its smallest space step."""
    widths: list[int] = []
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        if not stripped or len(stripped) == len(line):
            continue
        if line[0] == "\t":
            return "\t"
        widths.append(len(line) - len(stripped))
    return " " * min(widths) if widths else "    "


def _names(function: Node) -> tuple[str, ...]:
    """Names of the enclosing functions and classes, outermost first."""
    names: list[str] = []
    node: Node | None = function
    while node is not None:
        name = node.child_by_field_name("name")
        if name is not None and (node.type.endswith(("definition", "declaration", "item"))):
            names.append(_text(name))
        node = node.parent
    return tuple(reversed(names))


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _with_function(text: str, hole: Hole, language: str) -> Hole:
    """A textual hole, with the names of the functions around it when tree-sitter knows them."""
    kinds = _FUNCTIONS.get(language)
    if kinds is None:
        return hole
    source = _Source(text)
    root = _parse(source, language)
    if root is None:
        return hole
    function = _innermost(root, source.byte(hole.start), source.byte(hole.start), kinds)
    if function is None:
        return hole
    return Hole(hole.start, hole.end, hole.kind, hole.lead, hole.trail, _names(function))


# -- syntax checks ------------------------------------------------------------------------------


def syntax_errors(text: str, language: str) -> list[tuple[int, int]] | None:
    """(start, end) character spans of ERROR and MISSING nodes; None without a grammar."""
    source = _Source(text)
    root = _parse(source, language)
    if root is None:
        return None
    spans: list[tuple[int, int]] = []
    if not root.has_error:
        return spans
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            spans.append((source.char(node.start_byte), source.char(node.end_byte)))
            continue
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    return sorted(spans)


def error_outside(text: str, hole: Hole, language: str) -> int | None:
    """The 0-based line of the first syntax error away from the hole's lines, or None.

    The hole is judged as a hole, not as text: the file is parsed with the hole as it is and with
    each of `placeholders(language)` in its place (`perim = <FILL>` parses once the marker is an
    identifier), and it is refused only when every version has an error outside the hole's lines.
    Errors on the hole's lines never count: the fill is checked separately once it is in place.
    The line reported is where the version with an identifier in the hole's place fails.
    """
    lines: list[int] = []
    for placeholder in (text[hole.start : hole.end], *placeholders(language)):
        variant = text[: hole.start] + placeholder + text[hole.end :]
        line = _error_away(variant, hole.start, hole.start + len(placeholder), language)
        if line is None:
            return None
        if line > text.count("\n", 0, hole.start):  # back to the lines of `text`
            line += text.count("\n", hole.start, hole.end) - placeholder.count("\n")
        lines.append(line)
    return lines[1]  # the hole as an identifier: the marker's own confusion left out


def placeholders(language: str) -> tuple[str, ...]:
    """Stand-ins for a hole's code that parse where an expression or a statement goes."""
    return ("_fill_", "", "pass") if language == "python" else ("_fill_", "")


def _error_away(text: str, start: int, end: int, language: str) -> int | None:
    spans = syntax_errors(text, language)
    if not spans:
        return None
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    for span_start, span_end in spans:
        if span_end < lo or span_start > hi:
            return text.count("\n", 0, span_start)
    return None


def python_compiles(text: str) -> bool:
    """Whether CPython's own parser accepts `text` (stricter than tree-sitter's recovery, which
    accepts `return sum(x for x in xs)x`). Warnings such as invalid escapes are not errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            return False
    return True
