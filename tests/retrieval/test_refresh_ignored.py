"""Ignore rules that change after the index was built (issue 16 kind 4): `refresh_ignored`
re-decides which files may be read (the LSP path is in tests/e2e/test_completion_guards.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from repofill.retrieval import Retriever


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.py").write_text("from b import helper\n")
    (tmp_path / "b.py").write_text("def helper():\n    return 1\n")
    (tmp_path / "c.py").write_text("def other():\n    return 2\n")
    return tmp_path


def test_rules_added_later_take_files_out_and_rules_removed_bring_them_back(repo: Path) -> None:
    retriever = Retriever(repo, use_cache=False)
    retriever.build()
    assert set(retriever.index.entries) == {"a.py", "b.py", "c.py"}
    (repo / ".gitignore").write_text("b.py\n")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("c.py\n")
    retriever.refresh_ignored()
    assert set(retriever.index.entries) == {"a.py"}
    # opened in the editor afterwards: still not indexed
    retriever.update_file(repo / "b.py", "def helper():\n    return 3\n")
    assert "b.py" not in retriever.index.entries
    (repo / ".gitignore").write_text("")
    retriever.refresh_ignored()
    assert set(retriever.index.entries) == {"a.py", "b.py"}


def test_a_tracked_file_is_never_ignored(repo: Path) -> None:
    (repo / ".gitignore").write_text("b.py\n")
    retriever = Retriever(repo, use_cache=False)
    retriever.build()
    assert "b.py" not in retriever.index.entries
    subprocess.run(["git", "-C", str(repo), "add", "-f", "b.py"], check=True)
    retriever.refresh_ignored()
    assert "b.py" in retriever.index.entries


def test_only_a_real_change_invalidates_selected_context(repo: Path) -> None:
    retriever = Retriever(repo, use_cache=False)
    retriever.build()
    generation = retriever.generation
    retriever.refresh_ignored()  # e.g. `git status` rewrote the index
    assert retriever.generation == generation
    (repo / ".gitignore").write_text("c.py\n")
    retriever.refresh_ignored()
    assert retriever.generation == generation + 1
