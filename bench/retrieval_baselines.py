"""Baseline context selectors for `repofill bench retrieval` and `bench repo`, each packing
snippets into the same token budget as RLPG so the figures compare like with like.

- in-file: only the current file, beyond what the engine already shows (lines above the prefix
  window, nearest first, then below the suffix window).
- recent (llama.vim): a ring buffer of up to 16 chunks of 64 lines taken around the places the
  user visited before (here: the previous benchmark cursors), similar chunks evicted; newest packed
  first.
- jaccard (Copilot): 60-line windows (step 20) of every other file, ranked by Jaccard similarity
  of identifier sets with the 60 lines before the cursor.
- BM25 windows (`BM25Windows`): line windows of every other file ranked by Okapi BM25 as the
  `rank-bm25` library scores it (`BM25Okapi` with its defaults: k1 1.5, b 0.75, epsilon 0.25),
  the last 10 lines before the cursor as the query: 10-line chunks in `bench retrieval`
  (CrossCodeEval's chunking), 20-line windows with a step of 10 in `bench repo`.
- RepoCoder windows (`JaccardWindowsRepoCoder`): 20-line windows with a step of 10 of every other
  file ranked by the Jaccard similarity of their token set with that of the last 20 lines before
  the cursor (RepoCoder's sparse retrieval; Zhang et al., EMNLP 2023).

The windowed baselines pack the best windows that do not overlap an already chosen one, in rank
order while they fit. Their tokens are whole identifiers (`identifier_tokens`) or identifiers split
into lower-case sub-words (`subword_tokens`: `get_trainable_paths` → get, trainable, paths;
`CalibStateRepository` → calib, state, repository).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from repofill.retrieval.naming import identifier_tokens, subword_tokens
from repofill.retrieval.similar_windows import WindowIndex, tokens

Tokenize = Callable[[str], list[str]]

TOKENIZERS: dict[str, Tokenize] = {"identifiers": identifier_tokens, "subwords": subword_tokens}


@dataclass(frozen=True)
class Chunk:
    path: str
    start: int
    end: int  # exclusive
    text: str


Count = Callable[[str], int]


def pack_chunks(chunks: list[Chunk], count: Count, budget: int) -> list[Chunk]:
    out: list[Chunk] = []
    left = budget
    for c in chunks:
        n = count(c.text)
        if n <= left:
            out.append(c)
            left -= n
        if left < 12:
            break
    return out


def in_file(
    path: str,
    lines: list[str],
    line: int,
    count: Count,
    budget: int,
    prefix_lines: int = 64,
    suffix_lines: int = 40,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    top = max(0, line - prefix_lines)
    for end in range(top, 0, -20):
        s = max(0, end - 20)
        chunks.append(Chunk(path, s, end, "\n".join(lines[s:end])))
    for s in range(line + suffix_lines + 1, len(lines), 20):
        chunks.append(Chunk(path, s, min(len(lines), s + 20), "\n".join(lines[s : s + 20])))
    return pack_chunks(chunks, count, budget)


class RecentChunks:
    """llama.vim's ring buffer of chunks from where the user has been."""

    def __init__(self, size: int = 16, lines: int = 64) -> None:
        self.size = size
        self.lines = lines
        self.ring: list[tuple[Chunk, set[str]]] = []

    def visit(self, path: str, lines: list[str], line: int) -> None:
        s = max(0, line - self.lines // 2)
        e = min(len(lines), s + self.lines)
        chunk = Chunk(path, s, e, "\n".join(lines[s:e]))
        toks = tokens(chunk.text)
        kept = []
        for c, t in self.ring:
            sim = len(toks & t) / max(1, len(toks | t))
            if sim <= 0.9:
                kept.append((c, t))
        kept.append((chunk, toks))
        self.ring = kept[-self.size :]

    def select(self, path: str, count: Count, budget: int) -> list[Chunk]:
        newest_first = [c for c, _ in reversed(self.ring) if c.path != path]
        return pack_chunks(newest_first, count, budget)


class JaccardWindows:
    def __init__(self, files: dict[str, list[str]], size: int = 60, step: int = 20) -> None:
        self.files = files
        self.size = size
        self.index = WindowIndex(size=size, step=step, tokenize=tokens)
        for path, lines in files.items():
            self.index.replace(path, lines)

    def select(
        self, path: str, lines: list[str], line: int, head: str, count: Count, budget: int
    ) -> list[Chunk]:
        query = query_before_cursor(lines, line, head, self.size)
        hits = self.index.query(query, k=30, exclude=frozenset({path}))
        ranked = (
            Chunk(h.path, h.start, h.end, "\n".join(self.files[h.path][h.start : h.end]))
            for h in hits
        )
        return pack_chunks(non_overlapping(ranked), count, budget)


def non_overlapping(ranked: Iterable[Chunk]) -> list[Chunk]:
    """The chunks in order, less each one that overlaps an earlier one of the same file."""
    chosen: list[Chunk] = []
    for h in ranked:
        if any(c.path == h.path and h.start < c.end and c.start < h.end for c in chosen):
            continue
        chosen.append(h)
    return chosen


def query_before_cursor(lines: list[str], line: int, head: str, count: int) -> str:
    """The last `count` lines before the cursor: the `count - 1` whole lines above the cursor's
    line (0-based `line`) and that line up to the cursor (`head`)."""
    return "\n".join([*lines[max(0, line - count + 1) : line], head])


class RankedWindows:
    """Line windows of every file (`size` lines starting every `step` lines; a file's last one may
    be shorter; windows without a token left out) with their tokens and an inverted index from
    token to window ids. A subclass scores the windows that share a token with the query
    (`scores`); `select` packs the best of them."""

    def __init__(
        self,
        files: dict[str, list[str]],
        tokenize: Tokenize = identifier_tokens,
        size: int = 20,
        step: int = 10,
        query_lines: int = 20,
    ) -> None:
        self.tokenize = tokenize
        self.query_lines = query_lines
        self.windows: list[Chunk] = []
        self.window_tokens: list[list[str]] = []
        postings: dict[str, list[int]] = {}
        for path, lines in files.items():
            n = len(lines)
            for start in range(0, max(1, n - size + step), step) if n else range(0):
                end = min(n, start + size)
                text = "\n".join(lines[start:end])
                toks = tokenize(text)
                if not toks:
                    continue
                wid = len(self.windows)
                self.windows.append(Chunk(path, start, end, text))
                self.window_tokens.append(toks)
                for tok in set(toks):
                    postings.setdefault(tok, []).append(wid)
        self.postings = {t: np.asarray(ids, dtype=np.int64) for t, ids in postings.items()}
        self.paths = np.asarray([w.path for w in self.windows], dtype=object)

    def scores(self, query: list[str], candidates: np.ndarray) -> np.ndarray:
        """The score of each candidate window (ids) for the query's tokens."""
        raise NotImplementedError

    def rank(self, query_text: str, exclude: str = "", k: int = 40) -> list[tuple[Chunk, float]]:
        """Up to `k` windows outside the file `exclude` with a positive score, best first (ties:
        the earlier window first), with their scores."""
        query = self.tokenize(query_text)
        hits = [self.postings[t] for t in dict.fromkeys(query) if t in self.postings]
        if not hits:
            return []
        candidates = np.unique(np.concatenate(hits))
        if exclude:
            candidates = candidates[self.paths[candidates] != exclude]
        if not len(candidates):
            return []
        scores = np.asarray(self.scores(query, candidates), dtype=np.float64)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.windows[candidates[i]], float(scores[i])) for i in order if scores[i] > 0]

    def select(
        self, path: str, lines: list[str], line: int, head: str, count: Count, budget: int
    ) -> list[Chunk]:
        """The best non-overlapping windows of the other files for a cursor on `line` (0-based)
        after `head`, packed in rank order into `budget` tokens as `count` counts them."""
        query = query_before_cursor(lines, line, head, self.query_lines)
        ranked = (chunk for chunk, _ in self.rank(query, exclude=path))
        return pack_chunks(non_overlapping(ranked), count, budget)


class BM25Windows(RankedWindows):
    """Windows ranked by `rank_bm25.BM25Okapi` over their tokens; the query is the last
    `query_lines` lines before the cursor (default 10). Needs the `rank-bm25` package (in the
    bench and test extras)."""

    def __init__(
        self,
        files: dict[str, list[str]],
        tokenize: Tokenize = identifier_tokens,
        size: int = 20,
        step: int = 10,
        query_lines: int = 10,
    ) -> None:
        from rank_bm25 import BM25Okapi

        super().__init__(files, tokenize, size, step, query_lines)
        self.bm25 = BM25Okapi(self.window_tokens) if self.window_tokens else None

    def scores(self, query: list[str], candidates: np.ndarray) -> np.ndarray:
        if self.bm25 is None:
            return np.zeros(len(candidates))
        return np.asarray(self.bm25.get_batch_scores(query, candidates.tolist()))


class JaccardWindowsRepoCoder(RankedWindows):
    """RepoCoder's sparse retrieval: windows ranked by the Jaccard similarity of their token set
    with the query's (the last `query_lines` lines before the cursor, default 20)."""

    def __init__(
        self,
        files: dict[str, list[str]],
        tokenize: Tokenize = identifier_tokens,
        size: int = 20,
        step: int = 10,
        query_lines: int = 20,
    ) -> None:
        super().__init__(files, tokenize, size, step, query_lines)
        self.sets = [frozenset(t) for t in self.window_tokens]

    def scores(self, query: list[str], candidates: np.ndarray) -> np.ndarray:
        qset = set(query)
        out = np.empty(len(candidates), dtype=np.float64)
        for i, w in enumerate(candidates.tolist()):
            inter = len(qset & self.sets[w])
            out[i] = inter / (len(qset) + len(self.sets[w]) - inter)
        return out
