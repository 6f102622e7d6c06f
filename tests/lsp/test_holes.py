from repofill.lsp.holes import find_hole


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
