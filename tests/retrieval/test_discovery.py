"""Which files are read: git's view of the tree, .gitignore without git, never a secret."""

from __future__ import annotations

import json
import os
from pathlib import Path

import git
import pytest
from repofill.retrieval import Retriever, is_excluded
from repofill.retrieval.discovery import discover, read_text
from repofill.retrieval.exclusion import MAX_FILE_BYTES

CASES = json.loads((Path(__file__).parent / "exclusion_cases.json").read_text())


@pytest.mark.parametrize("path", CASES["excluded"])
def test_secret_and_binary_names_are_excluded(path: str) -> None:
    assert is_excluded(path)


@pytest.mark.parametrize("path", CASES["included"])
def test_ordinary_source_names_are_not_excluded(path: str) -> None:
    assert not is_excluded(path)


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


def test_plain_folder_honours_nested_gitignore_files(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".gitignore": "build/\n*.log\n/generated.py\n!keep.log\n",
            "app.py": "x = 1\n",
            "generated.py": "x = 2\n",
            "pkg/generated.py": "x = 3\n",  # only the root one is ignored (anchored)
            "build/out.py": "x = 4\n",
            "debug.log": "log\n",
            "keep.log": "kept\n",
            "pkg/.gitignore": "secret_*.py\n",
            "pkg/secret_local.py": "x = 5\n",
            "pkg/mod.py": "x = 6\n",
            "node_modules/dep/index.js": "x\n",
        },
    )
    found = discover(tmp_path)
    assert "app.py" in found and "pkg/generated.py" in found and "pkg/mod.py" in found
    assert "keep.log" in found
    for ignored in (
        "generated.py",
        "build/out.py",
        "debug.log",
        "pkg/secret_local.py",
        "node_modules/dep/index.js",
    ):
        assert ignored not in found


def test_secrets_are_never_discovered_or_read(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app.py": "import os\n",
            ".env": "API_TOKEN=not-a-real-token\n",
            "deploy/id_rsa": "not a real key\n",
            "deploy/server.pem": "not a real certificate\n",
            "config/credentials.json": "{}\n",
        },
    )
    found = discover(tmp_path)
    assert found == ["app.py"]
    assert read_text(tmp_path / ".env") is None
    assert read_text(tmp_path / "deploy" / "id_rsa") is None


def test_binary_and_oversized_files_are_not_read(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "blob.py": b"x = 1\0\1\2",
            "big.py": "x = 1\n" * (MAX_FILE_BYTES // 6 + 10),
            "ok.py": "x = 1\n",
        },
    )
    assert read_text(tmp_path / "blob.py") is None
    assert read_text(tmp_path / "big.py") is None
    assert read_text(tmp_path / "ok.py") == "x = 1\n"
    r = Retriever(tmp_path, use_cache=False)
    r.build()
    assert sorted(r.index.entries) == ["ok.py"]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_loops_and_links_out_of_the_tree_are_skipped(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    _write(root, {"a.py": "x = 1\n", "sub/b.py": "y = 2\n"})
    _write(outside, {"stolen.py": "z = 3\n"})
    os.symlink(root, root / "sub" / "loop")  # a folder link back to the root
    os.symlink(root / "self_a", root / "self_b")
    os.symlink(root / "self_b", root / "self_a")  # a file link loop
    os.symlink(outside / "stolen.py", root / "link_out.py")
    os.symlink(root / "a.py", root / "alias.py")
    found = discover(root)
    assert "a.py" in found and "sub/b.py" in found and "alias.py" in found
    assert not any(p.startswith("sub/loop") for p in found)
    assert "link_out.py" not in found and "self_a" not in found


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_folder_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path, {"a.py": "x = 1\n", "locked/b.py": "y = 2\n"})
    (tmp_path / "locked").chmod(0)
    try:
        assert discover(tmp_path) == ["a.py"]
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_git_repository_lists_tracked_and_unignored_untracked_files(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path)
    _write(
        tmp_path,
        {
            ".gitignore": "ignored/\n",
            "tracked.py": "x = 1\n",
            ".env": "TOKEN=not-real\n",
            "ignored/gen.py": "x = 2\n",
            "untracked.py": "x = 3\n",
            "deleted.py": "x = 4\n",
        },
    )
    repo.index.add([".gitignore", "tracked.py", "deleted.py"])
    repo.git.add("-f", ".env")  # even a tracked secret is never read
    (tmp_path / "deleted.py").unlink()
    found = discover(tmp_path)
    assert found == [".gitignore", "tracked.py", "untracked.py"]
    r = Retriever(tmp_path, use_cache=False)
    r.build()
    assert sorted(r.index.entries) == ["tracked.py", "untracked.py"]


def test_update_ignores_excluded_files(tmp_path: Path) -> None:
    _write(tmp_path, {"a.py": "x = 1\n"})
    r = Retriever(tmp_path, use_cache=False)
    r.build()
    (tmp_path / "secret.pem").write_text("def leaked(): pass\n")
    r.update_file(tmp_path / "secret.pem")
    r.update_file(tmp_path / ".env", "API=1\n")
    assert sorted(r.index.entries) == ["a.py"]
