"""Baseline context selectors for `repofill bench retrieval`, each packing snippets into the same
token budget as RLPG so the figures compare like with like.

- in-file: only the current file, beyond what the engine already shows (lines above the prefix
  window, nearest first, then below the suffix window).
- recent (llama.vim): a ring buffer of up to 16 chunks of 64 lines taken around the places the
  user visited before (here: the previous benchmark cursors), similar chunks evicted; newest packed
  first.
- jaccard (Copilot): 60-line windows (step 20) of every other file, ranked by Jaccard similarity
  of identifier sets with the 60 lines before the cursor.
- bm25 (CrossCodeEval): 10-line chunks of every other file ranked by BM25 (k1 1.2, b 0.75) with
  the last 10 non-blank prefix lines as the query; packed in rank order while they fit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from repofill.retrieval.similar_windows import WindowIndex, tokens

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
        self.index = WindowIndex(size=size, step=step)
        for path, lines in files.items():
            self.index.replace(path, lines)

    def select(
        self, path: str, lines: list[str], line: int, head: str, count: Count, budget: int
    ) -> list[Chunk]:
        query = "\n".join([*lines[max(0, line - self.size + 1) : line], head])
        hits = self.index.query(query, k=30, exclude=frozenset({path}))
        chosen: list[Chunk] = []
        for h in hits:
            if any(c.path == h.path and h.start < c.end and c.start < h.end for c in chosen):
                continue
            chosen.append(
                Chunk(h.path, h.start, h.end, "\n".join(self.files[h.path][h.start : h.end]))
            )
        return pack_chunks(chosen, count, budget)


class BM25Chunks:
    def __init__(
        self, files: dict[str, list[str]], size: int = 10, k1: float = 1.2, b: float = 0.75
    ) -> None:
        self.chunks: list[Chunk] = []
        self.k1, self.b = k1, b
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        lengths: list[int] = []
        for path, lines in files.items():
            for s in range(0, len(lines), size):
                text = "\n".join(lines[s : s + size])
                toks = _TOKEN.findall(text)
                if not toks:
                    continue
                cid = len(self.chunks)
                self.chunks.append(Chunk(path, s, min(len(lines), s + size), text))
                lengths.append(len(toks))
                counts: dict[int, int] = {}
                for t in toks:
                    tid = vocab.setdefault(t, len(vocab))
                    counts[tid] = counts.get(tid, 0) + 1
                for tid, c in counts.items():
                    rows.append(tid)
                    cols.append(cid)
                    tfs.append(c)
        self.vocab = vocab
        order = np.argsort(np.asarray(rows, dtype=np.int64), kind="stable")
        self.post_chunk = np.asarray(cols, dtype=np.int32)[order]
        self.post_tf = np.asarray(tfs, dtype=np.float32)[order]
        self.offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.add.at(self.offsets, np.asarray(rows, dtype=np.int64) + 1, 1)
        self.offsets = np.cumsum(self.offsets)
        self.lengths = np.asarray(lengths, dtype=np.float32)
        self.avg = float(self.lengths.mean()) if len(lengths) else 1.0
        self.paths = np.asarray([hash(c.path) for c in self.chunks], dtype=np.int64)

    def select(self, path: str, prefix_lines: list[str], count: Count, budget: int) -> list[Chunk]:
        query_lines = [x for x in prefix_lines if x.strip()][-10:]
        qtoks = set(_TOKEN.findall("\n".join(query_lines)))
        n = len(self.chunks)
        scores = np.zeros(n, dtype=np.float32)
        for t in qtoks:
            tid = self.vocab.get(t)
            if tid is None:
                continue
            lo, hi = self.offsets[tid], self.offsets[tid + 1]
            df = hi - lo
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = self.post_tf[lo:hi]
            docs = self.post_chunk[lo:hi]
            denom = tf + self.k1 * (1 - self.b + self.b * self.lengths[docs] / self.avg)
            scores[docs] += idf * tf * (self.k1 + 1) / denom
        scores[self.paths == hash(path)] = 0
        top = np.argsort(-scores)[:40]
        ranked = [self.chunks[i] for i in top if scores[i] > 0]
        return pack_chunks(ranked, count, budget)
