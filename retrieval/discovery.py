"""Which files of a folder RepoFill may read.

In a git work tree: the files git tracks plus untracked files git does not ignore
(`git ls-files --cached --others --exclude-standard`). Elsewhere: a walk of the folder that
honours every `.gitignore` on the way. Either way, `exclusion.is_excluded` files (secrets, keys,
binaries) never come back, symlinks that leave the folder or loop are skipped, and an
unreadable folder is skipped rather than fatal.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from .exclusion import MAX_FILE_BYTES, holds_secret, is_excluded, looks_binary
from .gitignore import IgnoreStack

log = logging.getLogger(__name__)

# Folders no walk enters, git repository or not.
_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        ".venv",
        ".idea",
        ".repofill-cache",
    }
)

Wanted = Callable[[str], bool]


def discover(root: Path, wanted: Wanted | None = None) -> list[str]:
    """Repository-relative posix paths of the readable files under `root`, sorted."""
    root = root.resolve()
    paths = _git_files(root)
    if paths is None:
        paths = list(_walk(root))
    out: list[str] = []
    for rel in paths:
        if is_excluded(rel) or any(part in _SKIP_DIRS for part in rel.split("/")[:-1]):
            continue
        if wanted is not None and not wanted(rel):
            continue
        full = root / rel
        try:
            if full.is_symlink() and not _inside(full, root):
                continue
            if not full.is_file():
                continue
        except OSError:
            continue
        out.append(rel)
    out.sort()
    return out


def may_read(root: Path, rel: str) -> bool:
    """Whether `discover` would list `rel`, for a file found later (created, opened, saved).

    Not excluded, not in a skipped folder, and not ignored: by git in a work tree
    (`git check-ignore`; tracked files are never ignored), else by the `.gitignore` files on
    the way down from `root`.
    """
    parts = rel.split("/")
    if is_excluded(rel) or any(part in _SKIP_DIRS for part in parts[:-1]):
        return False
    root = root.resolve()
    ignored = _git_ignored(root, rel)
    if ignored is None:
        ignores = IgnoreStack().child(root, "")
        folder, folder_rel = root, ""
        for part in parts[:-1]:
            folder_rel = f"{folder_rel}/{part}" if folder_rel else part
            if ignores.ignored(folder_rel, True):
                return False
            folder = folder / part
            ignores = ignores.child(folder, folder_rel)
        ignored = ignores.ignored(rel, False)
    return not ignored


def _git_ignored(root: Path, rel: str) -> bool | None:
    """git's verdict on one path; None when `root` is not in a git work tree or git fails."""
    if not any((folder / ".git").exists() for folder in (root, *root.parents)):
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "-q", "--", rel],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("git check-ignore unavailable for %s: %s", root, exc)
        return None
    if done.returncode in (0, 1):  # 0: ignored, 1: not ignored, 128: an error
        return done.returncode == 0
    return None


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """A file's text, or None when it is excluded, too large, binary, unreadable, or holds a
    secret (`exclusion.holds_secret`)."""
    if is_excluded(path):
        return None
    try:
        if path.stat().st_size > max_bytes:
            return None
        data = path.read_bytes()
    except (OSError, RuntimeError):  # RuntimeError: symlink loop on some Pythons
        return None
    if looks_binary(data):
        return None
    text = data.decode("utf-8", errors="replace")
    return None if holds_secret(text) else text


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(root)
    except (OSError, RuntimeError, ValueError):
        return False
    return True


def _git_files(root: Path) -> list[str] | None:
    """Files git would show, relative to `root`; None when `root` is not in a git work tree."""
    try:
        import git  # gitpython

        runner = git.Git(str(root))
        inside = runner.rev_parse("--is-inside-work-tree").strip()
        if inside != "true":
            return None
        out = runner.ls_files("--cached", "--others", "--exclude-standard", "-z")
    except Exception as exc:  # not a repository, git missing, …
        log.debug("git file listing unavailable for %s: %s", root, exc)
        return None
    return [p for p in dict.fromkeys(out.split("\0")) if p]


def _walk(root: Path) -> Iterator[str]:
    """Walk without following symlinked folders, honouring `.gitignore` files."""
    stack: list[tuple[Path, str, IgnoreStack]] = [(root, "", IgnoreStack().child(root, ""))]
    while stack:
        folder, rel, ignores = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            log.debug("skipping unreadable folder %s: %s", folder, exc)
            continue
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_link = entry.is_symlink()
            except OSError:
                continue
            if is_dir:
                if entry.name in _SKIP_DIRS or ignores.ignored(child_rel, True):
                    continue
                if (Path(entry.path) / "pyvenv.cfg").exists():  # a virtual environment
                    continue
                sub = Path(entry.path)
                stack.append((sub, child_rel, ignores.child(sub, child_rel)))
            elif (not is_link or _inside(Path(entry.path), root)) and not ignores.ignored(
                child_rel, False
            ):
                yield child_rel
