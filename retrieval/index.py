"""The repository index: parsed files, lookup tables, similarity windows, and the relations
RLPG needs (imports resolved to files, where a class is defined, who extends it).

Writers (build, update) and readers (selection) share one re-entrant lock; parsing happens
outside it so a build never blocks a completion for long.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .extract import extract, spec_for
from .index_entries import Definition, FileEntry, ImportRef, Parsed
from .languages import language_for_path
from .naming import name_parts
from .parse_cache import digest
from .project import Project
from .query import WINDOW_LINES
from .similar_windows import WindowIndex

Resolved = list[tuple[ImportRef, list[str]]]
MAX_CHASE = 4


class RepoIndex:
    def __init__(self, root: Path, window_lines: int = WINDOW_LINES) -> None:
        self.root = root
        self.entries: dict[str, FileEntry] = {}
        self.project = Project(root, self.entries)
        self.windows = WindowIndex(size=window_lines, step=max(1, window_lines // 2))
        self.lock = threading.RLock()
        self.classes: dict[str, set[str]] = {}  # class name → files defining it
        self.children: dict[str, set[str]] = {}  # base class name → files with a subclass
        self.parts: dict[str, set[str]] = {}  # file-name part → files (Similar Name)
        self._resolved: dict[str, tuple[str, int, Resolved]] = {}
        self._generation = 0  # bumps when the file set (and so resolution) changes
        self._pending_rebuild = False

    # -- writing ------------------------------------------------------------------------------

    @staticmethod
    def parse(path: str, text: str) -> Parsed | None:
        language = language_for_path(path)
        if language is None:
            return None
        return extract(language, text)

    def put(
        self, path: str, text: str, parsed: Parsed | None = None, *, rebuild: bool = True
    ) -> bool:
        """Add or replace a file. `parsed` may come from the cache. False when not indexable."""
        d = digest(text)
        with self.lock:
            old = self.entries.get(path)
            if old is not None and old.digest == d:
                return True
        if parsed is None:
            parsed = self.parse(path, text)
            if parsed is None:
                return False
        entry = FileEntry.of(path, d, text, parsed)
        with self.lock:
            old = self.entries.get(path)
            self._unlink(old)
            self.entries[path] = entry
            self._link(entry)
            self.windows.replace(path, entry.lines)
            self._resolved.pop(path, None)
            if old is None:
                self._pending_rebuild = True
                for part in name_parts(path):
                    self.parts.setdefault(part, set()).add(path)
            elif old.parsed.package != parsed.package and (
                family := _package_tables(parsed.language)
            ):
                self.project.invalidate(family)
                self._generation += 1
            if rebuild:
                self.flush()
        return True

    def remove(self, path: str) -> None:
        with self.lock:
            old = self.entries.pop(path, None)
            if old is None:
                return
            self._unlink(old)
            self.windows.remove(path)
            for part in name_parts(path):
                _discard(self.parts, part, path)
            self._resolved.pop(path, None)
            self._pending_rebuild = True
            self.flush()

    def flush(self) -> None:
        """Apply a pending change of the file set to the lookup tables."""
        with self.lock:
            if self._pending_rebuild:
                self.project.rebuild()
                self._generation += 1
                self._pending_rebuild = False

    def _link(self, entry: FileEntry) -> None:
        for d in entry.parsed.definitions:
            if d.kind == "class":
                self.classes.setdefault(d.name, set()).add(entry.path)
                for base in d.bases:
                    self.children.setdefault(base, set()).add(entry.path)

    def _unlink(self, entry: FileEntry | None) -> None:
        if entry is None:
            return
        for d in entry.parsed.definitions:
            if d.kind == "class":
                _discard(self.classes, d.name, entry.path)
                for base in d.bases:
                    _discard(self.children, base, entry.path)

    # -- reading ------------------------------------------------------------------------------

    def resolved_imports(self, entry: FileEntry) -> Resolved:
        """Each import of `entry` with the repository files it refers to (cached per version)."""
        cached = self._resolved.get(entry.path)
        if cached is not None and cached[0] == entry.digest and cached[1] == self._generation:
            return cached[2]
        spec = spec_for(entry.parsed.language)
        out: Resolved = []
        if spec is not None:
            for imp in entry.parsed.imports:
                try:
                    targets = [t for t in spec.resolve(entry, imp, self.project) if t != entry.path]
                except Exception:  # a malformed import must not break selection
                    targets = []
                out.append((imp, targets))
        if self.entries.get(entry.path) is entry:
            self._resolved[entry.path] = (entry.digest, self._generation, out)
        return out

    def import_targets(self, entry: FileEntry) -> list[str]:
        return list(dict.fromkeys(t for _, ts in self.resolved_imports(entry) for t in ts))

    def package_files(self, entry: FileEntry) -> list[str]:
        """Same-package files (Go, Java): they share names without imports."""
        folder = entry.path.rpartition("/")[0]
        ext = entry.path.rpartition(".")[2]
        return [
            p
            for p in self.project.by_dir.get(folder, [])
            if p != entry.path and p.endswith("." + ext) and not p.endswith("_test.go")
        ]

    def find_definition(
        self, path: str, name: str, depth: int = 0, entry: FileEntry | None = None
    ) -> tuple[FileEntry, Definition] | None:
        """Where `name`, as seen from file `path`, is defined: the file itself, its package, or
        through its imports and re-exports."""
        entry = entry or self.entries.get(path)
        if entry is None or depth > MAX_CHASE:
            return None
        for d in entry.parsed.definitions:
            if d.name == name and d.parent is None:
                return entry, d
        spec = spec_for(entry.parsed.language)
        if spec is not None and spec.package_scoped:
            for p in self.package_files(entry):
                other = self.entries.get(p)
                if other is None:
                    continue
                for d in other.parsed.definitions:
                    if d.name == name and d.parent is None:
                        return other, d
        for imp, targets in self.resolved_imports(entry):
            for local, remote in imp.names:
                if local == name or local == "*":
                    want = name if remote in ("*", "default") else remote
                    for t in targets:
                        hit = self.find_definition(t, want, depth + 1)
                        if hit is not None:
                            return hit
        return None

    def class_definition(self, name: str, near: FileEntry) -> tuple[FileEntry, Definition] | None:
        """A class (or interface, trait, struct) called `name` as seen from `near`."""
        hit = self.find_definition(near.path, name, entry=near)
        if hit is not None and hit[1].kind == "class":
            return hit
        paths = self.classes.get(name)
        if not paths:
            return None
        best = max(paths, key=lambda p: (_common(p, near.path), -len(p)))
        entry = self.entries.get(best)
        if entry is None:
            return None
        for d in entry.parsed.definitions:
            if d.kind == "class" and d.name == name:
                return entry, d
        return None


def _package_tables(language: str) -> str | None:
    """The family whose project tables read package declarations, if `language` has such."""
    spec = spec_for(language)
    return spec.family if spec is not None and spec.package_tables else None


def _discard(table: dict[str, set[str]], key: str, path: str) -> None:
    found = table.get(key)
    if found is not None:
        found.discard(path)
        if not found:
            del table[key]


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n
