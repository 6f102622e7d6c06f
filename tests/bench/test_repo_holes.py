"""The two hole kinds of `bench repo` on small projects written here: which names and which uses
each one takes (bench/repo_holes.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from repofill.bench import repo_holes
from repofill.bench.repo_holes import (
    find_crosscodeeval_holes,
    holes_of_kind,
    imported_project_names,
)
from repofill.bench.retrieval import find_holes, holed_cursor
from repofill.retrieval import Retriever

PY_PROJECT = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": (
        "RATIO = 2\n\n\ndef area(shape):\n    return shape.r * shape.r\n\n\n"
        "class Circle:\n    def __init__(self, r):\n        self.r = r\n"
    ),
    "pkg/util.py": "def helper(x):\n    return x\n",
    "pkg/main.py": (
        "import os\n"
        "from pkg.shapes import area, Circle\n"
        "from pkg import util\n"
        "from .shapes import RATIO as R\n"
        "\n"
        "\n"
        "def run(r):\n"
        "    c = Circle(r)\n"  # line 7
        "    total = area(c) * R\n"  # line 8
        "    again = area(c)  # area again\n"  # line 9
        "    return util.helper(total) + len(os.sep)\n"  # line 10
    ),
    # One name used three times: `current` may take any use, `crosscodeeval` only the first.
    "pkg/other.py": "from pkg.shapes import area\n\nx = area(1)\ny = area(2)\nz = area(3)\n",
}

GO_PROJECT = {
    "go.mod": "module example.com/proj\n\ngo 1.21\n",
    "shapes/shapes.go": "package shapes\n\nfunc Area(r int) int {\n\treturn r * r\n}\n",
    "main.go": (
        "package main\n\n"
        'import (\n\t"fmt"\n\n\t"example.com/proj/shapes"\n)\n\n'
        "func main() {\n"
        "\tfmt.Println(shapes.Area(2))\n"  # line 9
        "}\n"
    ),
}


def _project(tmp_path: Path, files: dict[str, str]) -> Retriever:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    retriever = Retriever(tmp_path, use_cache=False)
    retriever.build()
    return retriever


def _sites(holes: list) -> set[tuple[str, int, int, str]]:
    return {(h.path, h.line, h.column, h.name) for h in holes}


def test_crosscodeeval_binds_names_aliases_and_modules_of_the_project(tmp_path: Path) -> None:
    r = _project(tmp_path, PY_PROJECT)
    assert imported_project_names(r, "pkg/main.py") == {
        "area": "pkg/shapes.py",
        "Circle": "pkg/shapes.py",
        "util": "pkg/util.py",  # a module, not a definition
        "R": "pkg/shapes.py",  # an alias
    }  # `os` is not the project's


def test_crosscodeeval_takes_the_first_use_of_each_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo_holes, "PER_FILE", 10)
    r = _project(tmp_path, PY_PROJECT)
    holes = find_crosscodeeval_holes(r, 100, random.Random(0))
    assert _sites(holes) == {
        ("pkg/main.py", 7, 8, "Circle"),
        ("pkg/main.py", 8, 12, "area"),
        ("pkg/main.py", 8, 22, "R"),
        ("pkg/main.py", 10, 11, "util"),
        ("pkg/other.py", 2, 4, "area"),
    }
    assert [(h.path, h.line) for h in holes] == sorted((h.path, h.line) for h in holes)


def test_current_kind_takes_any_use_of_a_name_defined_once_and_no_modules(tmp_path: Path) -> None:
    r = _project(tmp_path, PY_PROJECT)
    holes = find_holes(r, 100, random.Random(0))
    assert {h.name for h in holes} <= {"area", "Circle"}  # neither the alias nor the module
    other = [h for h in holes if h.path == "pkg/other.py"]
    assert len(other) == 2 and {h.line for h in other} <= {2, 3, 4}
    assert {h.line for h in other} != {2}  # two different lines: one is not the first use
    assert holes == holes_of_kind("current", r, 100, random.Random(0))


def test_each_file_gives_at_most_two_holes_and_count_caps_the_total(tmp_path: Path) -> None:
    r = _project(tmp_path, PY_PROJECT)
    holes = holes_of_kind("crosscodeeval", r, 100, random.Random(3))
    assert sum(h.path == "pkg/main.py" for h in holes) == 2
    assert len(holes_of_kind("crosscodeeval", r, 2, random.Random(3))) == 2
    with pytest.raises(ValueError, match="unknown hole kind"):
        holes_of_kind("other", r, 1, random.Random(0))


def test_go_package_uses_are_crosscodeeval_holes_only(tmp_path: Path) -> None:
    r = _project(tmp_path, GO_PROJECT)
    assert imported_project_names(r, "main.go") == {"shapes": "shapes/shapes.go"}
    holes = find_crosscodeeval_holes(r, 10, random.Random(0))
    assert _sites(holes) == {("main.go", 9, 13, "shapes")}
    assert find_holes(r, 10, random.Random(0)) == []
    cursor, lines = holed_cursor(r, holes[0])
    target = r.index.entries["main.go"].lines[9][holes[0].column :]
    assert target == "shapes.Area(2))"  # the rest of the line
    assert lines[9] == "\tfmt.Println(" and cursor.prefix.endswith("\tfmt.Println(")


RUST_PROJECT = {
    "Cargo.toml": '[package]\nname = "tiny"\nversion = "0.1.0"\n',
    "src/lib.rs": "pub mod ast;\npub mod print;\npub use crate::ast::{\n    Ast,\n};\n",
    "src/ast.rs": "pub enum Ast {\n    Class(u8),\n}\n\npub struct Class;\n",
    "src/print.rs": (
        "use crate::ast::{Ast, Class};\n"
        "\n"
        "pub fn show(a: Ast) -> u8 {\n"  # line 2
        "    match a {\n"
        "        Ast::Class(x) => x,\n"  # line 4: `Class` here is the variant, not the import
        "    }\n"
        "}\n"
        "\n"
        "pub fn make() -> Class {\n"  # line 8
        "    Class\n"
        "}\n"
    ),
}


def test_rust_paths_and_pub_use_are_not_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo_holes, "PER_FILE", 10)
    r = _project(tmp_path, RUST_PROJECT)
    assert imported_project_names(r, "src/print.rs") == {"Ast": "src/ast.rs", "Class": "src/ast.rs"}
    holes = find_crosscodeeval_holes(r, 10, random.Random(0))
    assert _sites(holes) == {("src/print.rs", 2, 15, "Ast"), ("src/print.rs", 8, 17, "Class")}
