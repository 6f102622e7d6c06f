"""Repository-wide lookup tables that import resolution needs, rebuilt lazily when files come
and go (or a file's Java package changes)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from pathlib import Path

from . import lang_python
from .lang_rust import module_path
from .model import FileEntry

log = logging.getLogger(__name__)

RustCrate = tuple[str, dict[tuple[str, ...], str]]  # (src folder, module path → file)


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

    def invalidate(self, what: str | None = None) -> None:
        with self._lock:
            if what is None:
                self._cache = {}
            else:
                self._cache.pop(what, None)

    def _cached(self, key: str, build: object) -> object:
        found = self._cache.get(key)
        if found is None:
            found = build()  # type: ignore[operator]
            self._cache[key] = found
        return found

    def python_modules(self) -> dict[str, list[str]]:
        return self._cached("python", lambda: lang_python.module_names(self.paths))  # type: ignore[return-value]

    def java_classes(self) -> dict[tuple[str, str], str]:
        def build() -> dict[tuple[str, str], str]:
            out: dict[tuple[str, str], str] = {}
            for p in self.paths:
                if p.endswith(".java"):
                    entry = self._entries.get(p)
                    if entry is not None:
                        stem = p.rsplit("/", 1)[-1][:-5]
                        out[(entry.parsed.package or "", stem)] = p
            return out

        return self._cached("java", build)  # type: ignore[return-value]

    def go_modules(self) -> list[tuple[str, str]]:
        """(folder, module path) for every go.mod, deepest folder first."""

        def build() -> list[tuple[str, str]]:
            out: list[tuple[str, str]] = []
            folders = {p.rpartition("/")[0] for p in self.paths if p.endswith(".go")}
            candidates: set[str] = set()
            for f in folders:
                parts = f.split("/") if f else []
                for i in range(len(parts) + 1):
                    candidates.add("/".join(parts[:i]))
            for folder in candidates:
                text = _read_small(self.root / folder / "go.mod")
                m = re.search(r"^\s*module\s+(\S+)", text, re.M) if text else None
                if m:
                    out.append((folder, m.group(1).strip('"')))
            out.sort(key=lambda fm: -len(fm[0]))
            return out

        return self._cached("go", build)  # type: ignore[return-value]

    def rust_crates(self) -> dict[str, RustCrate]:
        """Crate name (dashes as underscores) → (src folder, module path → file)."""

        def build() -> dict[str, RustCrate]:
            roots: dict[str, str] = {}
            for p in self.paths:
                if not p.endswith(".rs"):
                    continue
                parts = p.split("/")
                if "src" in parts:
                    i = len(parts) - 1 - parts[::-1].index("src")
                    roots.setdefault("/".join(parts[:i]), "/".join(parts[: i + 1]))
            out: dict[str, RustCrate] = {}
            for folder, src in roots.items():
                text = _read_small(self.root / folder / "Cargo.toml")
                m = re.search(r'^\s*name\s*=\s*"([^"]+)"', text or "", re.M)
                name = (m.group(1) if m else (folder.rsplit("/", 1)[-1] or "crate")).replace(
                    "-", "_"
                )
                mods: dict[tuple[str, ...], str] = {}
                for p in self.paths:
                    if p.startswith(src + "/") and p.endswith(".rs"):
                        key = tuple(module_path(p, src))
                        if key not in mods or p.endswith(("lib.rs", "mod.rs")):
                            mods[key] = p
                out[name] = (src, mods)
            return out

        return self._cached("rust", build)  # type: ignore[return-value]

    def rust_crate_of(self, path: str) -> RustCrate | None:
        best: RustCrate | None = None
        for crate in self.rust_crates().values():
            if path.startswith(crate[0] + "/") and (best is None or len(crate[0]) > len(best[0])):
                best = crate
        return best


def _read_small(path: Path) -> str | None:
    try:
        if path.is_file() and path.stat().st_size < 200_000:
            return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        log.debug("cannot read %s: %s", path, exc)
    return None
