"""Repository-wide lookup tables that import resolution needs, rebuilt lazily when files come
and go.

The generic tables (paths, files by folder, files by name) live here; each language builds its
own tables (Python module names, Java classes, Go modules, Rust crates) in its `lang_*.py`
through `Project.table`, which caches them until the file set changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar, cast

from .index_entries import FileEntry

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_READ_BYTES = 200_000
"""`read_small` reads project files (go.mod, Cargo.toml) up to this size in bytes."""


class Project:
    def __init__(self, root: Path, entries: Mapping[str, FileEntry]) -> None:
        self.root = root
        self._entries = entries
        self._lock = threading.Lock()
        self.paths: set[str] = set()
        self.by_dir: dict[str, list[str]] = {}
        self.by_name: dict[str, list[str]] = {}
        self._cache: dict[str, object] = {}

    def rebuild(self) -> None:
        """Refresh after files were added or removed (cheap: set and dict building)."""
        with self._lock:
            paths = set(self._entries)
            by_dir: dict[str, list[str]] = {}
            by_name: dict[str, list[str]] = {}
            for p in sorted(paths):
                folder, _, name = p.rpartition("/")
                by_dir.setdefault(folder, []).append(p)
                by_name.setdefault(name, []).append(p)
            self.paths, self.by_dir, self.by_name = paths, by_dir, by_name
            self._cache = {}

    def invalidate(self, key: str | None = None) -> None:
        """Drop one language's cached table (`key`), or all of them."""
        with self._lock:
            if key is None:
                self._cache = {}
            else:
                self._cache.pop(key, None)

    def table(self, key: str, build: Callable[[], T]) -> T:
        """The table cached under `key` (a language family), built by `build` when missing."""
        found = self._cache.get(key)
        if found is None:
            found = build()
            self._cache[key] = found
        return cast(T, found)

    def entry(self, path: str) -> FileEntry | None:
        """The indexed file at a repository path, if any."""
        return self._entries.get(path)

    def read_small(self, *parts: str) -> str | None:
        """The text of a repository file (path parts joined under the root; empty parts are
        skipped), or None when it is missing, unreadable or over `MAX_READ_BYTES`."""
        path = self.root.joinpath(*parts)
        try:
            if path.is_file() and path.stat().st_size < MAX_READ_BYTES:
                return path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            log.debug("cannot read %s: %s", path, exc)
        return None
