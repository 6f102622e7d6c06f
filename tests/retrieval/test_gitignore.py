"""`.gitignore` rules without git (retrieval/gitignore.py) pick the files git itself picks."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from repofill.retrieval.discovery import _walk
from repofill.retrieval.gitignore import IgnoreStack

FILES = [
    "app.py",
    "build/out.py",
    "src/build/gen.py",
    "debug.log",
    "keep.log",
    "deep/drop.py",
    "deep/keep.py",
    "deep/inner/drop.py",
    "vendor/x/lib.py",
    "vendor/x/keep/lib.py",
    "a/b.txt",
    "a/c.txt",
    "pkg/secret_1.py",
    "pkg/mod.py",
    "pkg/sub/secret_2.py",
]

# (root .gitignore, pkg/.gitignore): each case's expected listing is git's own.
CASES = [
    ("build/\n*.log\n!keep.log\n", ""),
    ("deep/**\n!deep/keep.py\n", ""),  # `x/**` leaves `x` open: a negation inside still counts
    ("deep/**\n!deep/inner/\n", ""),  # ... but not for a folder ignored by `x/**` itself
    ("/build/\nvendor/*/\n!vendor/x/keep/\n", ""),
    ("a/[bx].txt\n", "secret_*.py\n"),
    ("*.py\n!/app.py\n", "!mod.py\n"),
]


@pytest.mark.parametrize(("root_rules", "pkg_rules"), CASES)
def test_plain_folder_walk_lists_what_git_lists(
    tmp_path: Path, root_rules: str, pkg_rules: str
) -> None:
    for rel in FILES:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text(root_rules)
    if pkg_rules:
        (tmp_path / "pkg" / ".gitignore").write_text(pkg_rules)
    walked = {p for p in _walk(tmp_path) if not p.endswith(".gitignore")}
    git.Repo.init(tmp_path)
    listed = git.Git(str(tmp_path)).ls_files("--others", "--exclude-standard").split("\n")
    assert walked == {p for p in listed if p and not p.endswith(".gitignore")}


def test_nested_files_apply_below_their_folder(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / ".gitignore").write_text("*.gen.py\n")
    (tmp_path / "pkg" / ".gitignore").write_text("!keep.gen.py\n/local.py\n")
    stack = IgnoreStack().child(tmp_path, "")
    inner = stack.child(tmp_path / "pkg", "pkg")
    assert stack.ignored("x.gen.py", False) and inner.ignored("pkg/x.gen.py", False)
    assert not inner.ignored("pkg/keep.gen.py", False)  # the deeper file's negation wins
    assert stack.ignored("pkg/keep.gen.py", False)  # above pkg, its .gitignore does not apply
    assert inner.ignored("pkg/local.py", False)  # anchored to pkg/, not to the root
    assert not inner.ignored("local.py", False) and not inner.ignored("pkg/sub/local.py", False)
