"""Hole detection: textual kinds, and golden cases per language (holes_golden/*.txt)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from repofill.lsp.fill.holes import error_outside, find_hole, syntax_errors

GOLDEN = Path(__file__).with_name("holes_golden")
CURSOR, OPEN, CLOSE = "‸", "⟦", "⟧"
_HEADER = re.compile(r"^=== (.+) \((\w+)\)$")


@dataclass(frozen=True)
class Case:
    language: str
    name: str
    kind: str
    text: str
    cursor: int
    hole: tuple[int, int] | None


def _case(language: str, name: str, kind: str, marked: str) -> Case:
    plain = ""
    cursor = -1
    start = end = -1
    for ch in marked:
        if ch == CURSOR:
            cursor = len(plain)
        elif ch == OPEN:
            start = len(plain)
        elif ch == CLOSE:
            end = len(plain)
        else:
            plain += ch
    assert cursor >= 0, f"{language}: {name}: no cursor"
    hole = (start, end) if start >= 0 else None
    assert (hole is None) == (kind == "none"), f"{language}: {name}: kind and ⟦⟧ disagree"
    return Case(language, name, kind, plain, cursor, hole)


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(GOLDEN.glob("*.txt")):
        header: tuple[str, str] | None = None
        body: list[str] = []
        for line in [*path.read_text().splitlines(keepends=True), "=== end (none)\n"]:
            match = _HEADER.match(line.rstrip("\n"))
            if match:
                if header is not None:
                    cases.append(_case(path.stem, header[0], header[1], "".join(body)))
                header, body = (match.group(1), match.group(2)), []
            else:
                body.append(line)
    return cases


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.language}: {c.name}" for c in CASES])
def test_golden(case: Case) -> None:
    hole = find_hole(case.text, case.cursor, case.cursor, case.language)
    if case.hole is None:
        assert hole is None, f"unexpected {hole}"
        return
    assert hole is not None, "no hole found"
    assert (hole.start, hole.end) == case.hole, repr(case.text[hole.start : hole.end])
    assert hole.kind == case.kind


def test_every_language_has_golden_cases_of_every_tree_kind() -> None:
    kinds = {(c.language, c.kind) for c in CASES}
    for language in ("python", "javascript", "typescript", "go", "rust", "java"):
        assert (language, "stub") in kinds and (language, "none") in kinds
        if language != "python":
            assert (language, "empty") in kinds


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "empty"], ids=lambda c: c.name)
def test_empty_body_fill_lands_on_its_own_indented_lines(case: Case) -> None:
    hole = find_hole(case.text, case.cursor, case.cursor, case.language)
    assert hole is not None
    filled = case.text[: hole.start] + hole.lead + "BODY" + hole.trail + case.text[hole.end :]
    line = next(ln for ln in filled.splitlines() if "BODY" in ln)
    closing = filled[filled.index("BODY") :].splitlines()[1]
    assert line.strip() == "BODY" and closing.lstrip().startswith("}")
    body_indent = line[: len(line) - len(line.lstrip())]
    closing_indent = closing[: len(closing) - len(closing.lstrip())]
    assert body_indent.startswith(closing_indent) and len(body_indent) > len(closing_indent)


def test_stub_hole_knows_its_function_names() -> None:
    text = "class Shape:\n    def area(self):\n        pass\n"
    hole = find_hole(text, text.index("pass"), text.index("pass"), "python")
    assert hole is not None and hole.function == ("Shape", "area")


def test_go_empty_body_indents_with_a_tab() -> None:
    text = "package m\n\nfunc f() {\n\treturn\n}\n\nfunc g() int {}\n"
    at = text.index("g()")
    hole = find_hole(text, at, at, "go")
    assert hole is not None and hole.lead == "\n\t" and hole.trail == "\n"


def test_selection_is_the_hole() -> None:
    hole = find_hole("abcdef", 1, 4)
    assert hole is not None and (hole.start, hole.end, hole.kind) == (1, 4, "selection")


def test_marker_on_the_cursor_line() -> None:
    text = "def f(x):\n    return <FILL>\n"
    hole = find_hole(text, text.index("return"), text.index("return"))
    assert hole is not None and text[hole.start : hole.end] == "<FILL>"


def test_todo_fill_comment() -> None:
    text = "fn f() {\n    // TODO: fill in the loop\n}\n"
    at = text.index("TODO")
    hole = find_hole(text, at, at)
    assert hole is not None and hole.kind == "todo"
    assert text[hole.start : hole.end] == "    // TODO: fill in the loop"


def test_no_hole() -> None:
    assert find_hole("x = 1\n", 2, 2) is None


def test_offsets_are_characters_not_bytes() -> None:
    text = 'def greet():\n    """Grüße, 世界."""\n    pass\n'
    at = text.index("pass")
    hole = find_hole(text, at, at, "python")
    assert hole is not None and text[hole.start : hole.end] == "pass"


def test_syntax_errors_and_errors_away_from_the_hole() -> None:
    assert syntax_errors("x = 1\n", "python") == []
    assert syntax_errors("x = 1\n", "plaintext") is None
    text = "def f(x):\n    return <FILL>\n\ndef g(:\n    pass\n"
    at = text.index("<FILL>")
    hole = find_hole(text, at, at, "python")
    assert hole is not None
    assert error_outside(text, hole, "python") == 3
    fine = "x = <FILL>\ny = 2\n"
    hole = find_hole(fine, 4, 4, "python")
    assert hole is not None and syntax_errors(fine, "python")
    assert error_outside(fine, hole, "python") is None
