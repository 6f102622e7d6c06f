"""The retrieval facade the engine uses: build the index, keep it current, select context."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .discovery import discover, may_read, read_text
from .exclusion import MAX_FILE_BYTES, holds_secret, is_excluded
from .index import RepoIndex
from .index_entries import FileEntry, Parsed
from .languages import language_for_path
from .parse_cache import ParseCache, default_cache_dir, digest
from .proposals import Params, propose
from .query import build_query
from .select import TokenCountCache, pack
from .types import Context, CountTokens, Cursor

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
REPARSE_MAX_CHARS = 40_000  # larger unsaved files keep the index's parse until update_file
FLUSH_EVERY = 400  # files between lookup-table refreshes during a build (selection works meanwhile)


class Retriever:
    def __init__(
        self,
        root: Path,
        cache_dir: Path | None = None,
        *,
        params: Params | None = None,
        priors: dict[tuple[str, str], float] | None = None,
        use_cache: bool = True,
    ) -> None:
        self.root = root.resolve()
        self.params = params or Params()
        self.priors = priors
        self.index = RepoIndex(self.root, self.params.window_lines)
        folder = (cache_dir or default_cache_dir(self.root)) if use_cache else None
        self._cache = ParseCache(folder)
        self._tokens = TokenCountCache()
        self._scratch: tuple[str, str, FileEntry] | None = None  # (path, digest, entry)
        self.last_build_s = 0.0
        self.cache_hits = 0
        self._allowed: dict[str, bool] = {}  # may_read verdicts for files found after the build
        self.generation = 0
        """Bumped when the set of readable files is re-decided (`refresh_ignored`): context
        selected before then may hold a file that is now ignored."""

    @property
    def file_count(self) -> int:
        return len(self.index.entries)

    # -- index --------------------------------------------------------------------------------

    def _wanted(self, rel: str) -> bool:
        return language_for_path(rel) is not None

    def build(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> None:
        started = time.perf_counter()
        paths = discover(self.root, self._wanted)
        total = len(paths)
        cached = self._cache.load()
        fresh: dict[str, Parsed] = {}
        if progress is not None:
            progress(0, total)
        for i, rel in enumerate(paths, 1):
            if cancel is not None and cancel.is_set():
                log.info("indexing cancelled after %d of %d files", i - 1, total)
                break
            text = read_text(self.root / rel)
            if text is not None:
                d = digest(text)
                parsed = cached.get(d)
                if parsed is not None:
                    self.cache_hits += 1
                try:
                    if self.index.put(rel, text, parsed, rebuild=False):
                        entry = self.index.entries.get(rel)
                        if entry is not None:
                            fresh[entry.digest] = entry.parsed
                except Exception:  # one bad file must not stop the build
                    log.exception("cannot index %s", rel)
            if i % FLUSH_EVERY == 0:
                self.index.flush()
            if progress is not None and (i % 50 == 0 or i == total):
                progress(i, total)
        else:
            keep = set(paths)
            for rel in [p for p in self.index.entries if p not in keep]:
                self.index.remove(rel)
        self.index.flush()
        self.last_build_s = time.perf_counter() - started
        log.info(
            "indexed %d files in %.1f s (%d from cache)",
            self.file_count,
            self.last_build_s,
            self.cache_hits,
        )
        if cancel is None or not cancel.is_set():
            self._cache.save(fresh)

    def _rel(self, path: Path) -> str | None:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None

    def update_file(self, path: Path, text: str | None = None) -> None:
        rel = self._rel(path)
        if rel is None or is_excluded(rel) or not self._wanted(rel):
            return
        if rel not in self.index.entries and not self._may_read(rel):
            return  # git-ignored (or in a skipped folder): never indexed, even when opened
        if text is None:
            text = read_text(self.root / rel)
        if text is None or holds_secret(text):
            self.index.remove(rel)  # unreadable now, or a secret pasted into an open file
            return
        self.index.put(rel, text)

    def refresh_ignored(self) -> None:
        """Re-decide which files may be read, after a `.gitignore`, `.git/info/exclude` or the git
        index changed: files now ignored leave the index, files no longer ignored join it."""
        readable = set(discover(self.root, self._wanted))
        self._allowed.clear()
        gone = [p for p in self.index.entries if p not in readable]
        new = sorted(readable - set(self.index.entries))
        for rel in gone:
            self.index.remove(rel)
        joined = 0
        for rel in new:
            text = read_text(self.root / rel)  # None for a secret, binary or unreadable file
            if text is not None:
                try:
                    joined += self.index.put(rel, text, rebuild=False)
                except Exception:  # one bad file must not stop the refresh
                    log.exception("cannot index %s", rel)
        self.index.flush()
        if gone or joined:
            # `git status` rewrites the index often: only a real change drops selected context
            self.generation += 1
            log.info("ignore rules changed: %d files left, %d joined", len(gone), joined)

    def _may_read(self, rel: str) -> bool:
        allowed = self._allowed.get(rel)
        if allowed is None:
            allowed = self._allowed[rel] = may_read(self.root, rel)
        return allowed

    def remove_file(self, path: Path) -> None:
        rel = self._rel(path)
        if rel is not None:
            self.index.remove(rel)

    def save_cache(self) -> bool:
        with self.index.lock:
            parsed = {e.digest: e.parsed for e in self.index.entries.values()}
        return self._cache.save(parsed)

    # -- selection ----------------------------------------------------------------------------

    def _current_entry(self, cursor: Cursor) -> FileEntry:
        rel = self._rel(cursor.path) or cursor.path.name
        d = digest(cursor.text)
        entry = self.index.entries.get(rel)
        if entry is not None and entry.digest == d:
            return entry
        if self._scratch is not None and self._scratch[0] == rel and self._scratch[1] == d:
            return self._scratch[2]
        if entry is not None and len(cursor.text) > REPARSE_MAX_CHARS:
            # a large file: reuse its indexed structure (at most one debounce interval old)
            # rather than re-parse it on every keystroke
            parsed = entry.parsed
        elif len(cursor.text) > MAX_FILE_BYTES:
            parsed = Parsed(language=cursor.language)  # minified or generated: not worth parsing
        else:
            parsed = RepoIndex.parse(rel, cursor.text) or Parsed(language=cursor.language)
        entry = FileEntry.of(rel, d, cursor.text, parsed)
        self._scratch = (rel, d, entry)
        return entry

    def select(
        self,
        cursor: Cursor,
        count_tokens: CountTokens,
        budget: int,
        *,
        shows_suffix: bool = True,
    ) -> Context:
        """The context for `cursor`: proposals packed into `budget` tokens (`count_tokens`
        counts them). `shows_suffix` False: the prompt ends at the cursor (a left-to-right
        model), so the buffer's windows just below the cursor may be proposed
        (`Params.suffix_shown`)."""
        started = time.perf_counter()
        if budget <= 0:
            return Context(budget=budget)
        entry = self._current_entry(cursor)
        query = build_query(cursor, self.params.query_lines or self.params.window_lines)
        params = self.params if shows_suffix else replace(self.params, suffix_shown=False)
        with self.index.lock:
            proposals = propose(self.index, entry, query, params)
            snippets = pack(
                proposals,
                self._tokens.counter(count_tokens),
                budget,
                self.priors,
                self.params.window_share,
            )
        used = sum(s.tokens for s in snippets)
        elapsed = (time.perf_counter() - started) * 1000
        return Context(
            snippets=tuple(snippets), budget=budget, used_tokens=used, elapsed_ms=elapsed
        )
