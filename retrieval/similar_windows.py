"""Lexical-similarity windows: fixed-size line windows of the other files (RepoCoder, Zhang et
al. 2023: 20 lines, step 10; RepoFill's are 10, step 5, `query.WINDOW_LINES`) ranked against the
code before the cursor by BM25 (the product's choice) or RepoCoder's Jaccard similarity, over
sub-word tokens by default (`naming.subword_set`; on the dev projects of `bench repo` RepoCoder's
windows scored 21.3 code EM with sub-words against 18.7 with whole identifiers,
bench/results/repo-dev.md).

Windows live in an inverted index (token → window ids, as compact int arrays) so a query costs
one `numpy.bincount` over the postings of the query's tokens, and replacing one file only
appends its new windows and marks the old ones dead.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .naming import subword_set

TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
COMMON_SHARE = 0.25
"""Tokens found in more than this share of all windows are skipped in the intersection: they are
in nearly every window and cost the most to count."""
_BLOCK_CACHE = 20_000
"""Distinct buffer blocks (`step` lines) whose tokens `WindowIndex.score_spans` keeps."""


TokenSet = Callable[[str], set[str]]
Scoring = Literal["jaccard", "bm25"]
BM25_K1 = 1.2
BM25_B = 0.75


def tokens(text: str) -> set[str]:
    """Whole identifiers and numbers."""
    return set(TOKEN_RE.findall(text))


@dataclass(frozen=True)
class WindowHit:
    path: str
    start: int  # 0-based first line
    end: int  # exclusive
    score: float


class WindowIndex:
    def __init__(self, size: int = 20, step: int = 10, tokenize: TokenSet = subword_set) -> None:
        self.size = size
        self.step = step
        self.tokenize = tokenize
        self._vocab: dict[str, int] = {}
        self._postings: list[array[int]] = []
        self._win_path: list[str] = []
        self._win_start = array("i")
        self._win_end = array("i")
        self._win_size = array("i")
        self._alive = bytearray()
        self._by_path: dict[str, list[int]] = {}
        self._dead = 0
        self._np_cache: dict[int, np.ndarray] = {}
        # Per-window arrays for queries, dropped whenever the windows change (`_changed`).
        self._sizes_alive: tuple[np.ndarray, np.ndarray] | None = None
        self._norm: np.ndarray | None = None
        self._block_tokens: dict[str, frozenset[str]] = {}
        """Token sets of buffer blocks `score_spans` has seen (cleared past _BLOCK_CACHE)."""

    @property
    def alive_count(self) -> int:
        return len(self._win_path) - self._dead

    def spans(self, n: int) -> list[tuple[int, int]]:
        """The windows of a file of `n` lines: [start, end) every `step` lines, the last one
        ending at the file's end."""
        if not n:
            return []
        starts = range(0, max(1, n - self.size + self.step), self.step)
        return [(start, min(n, start + self.size)) for start in starts]

    def replace(self, path: str, lines: list[str]) -> None:
        self.remove(path)
        ids: list[int] = []
        for start, end in self.spans(len(lines)):
            toks = self.tokenize("\n".join(lines[start:end]))
            if not toks:
                continue
            wid = len(self._win_path)
            self._win_path.append(path)
            self._win_start.append(start)
            self._win_end.append(end)
            self._win_size.append(len(toks))
            self._alive.append(1)
            for tok in toks:
                tid = self._vocab.get(tok)
                if tid is None:
                    tid = len(self._postings)
                    self._vocab[tok] = tid
                    self._postings.append(array("i"))
                self._postings[tid].append(wid)
                self._np_cache.pop(tid, None)
            ids.append(wid)
        if ids:
            self._by_path[path] = ids
        self._changed()
        if self._dead > 20_000 and self._dead > self.alive_count:
            self.compact()

    def remove(self, path: str) -> None:
        self._changed()
        for wid in self._by_path.pop(path, ()):
            if self._alive[wid]:
                self._alive[wid] = 0
                self._dead += 1

    def compact(self) -> None:
        """Drop dead windows (rebuilds the postings; rare)."""
        keep = [w for w in range(len(self._win_path)) if self._alive[w]]
        remap = {old: new for new, old in enumerate(keep)}
        self._postings = [array("i", (remap[w] for w in p if w in remap)) for p in self._postings]
        self._win_path = [self._win_path[w] for w in keep]
        self._win_start = array("i", (self._win_start[w] for w in keep))
        self._win_end = array("i", (self._win_end[w] for w in keep))
        self._win_size = array("i", (self._win_size[w] for w in keep))
        self._alive = bytearray(b"\1" * len(keep))
        self._by_path = {p: [remap[w] for w in ws if w in remap] for p, ws in self._by_path.items()}
        self._dead = 0
        self._np_cache = {}
        self._changed()

    def _changed(self) -> None:
        self._sizes_alive = None
        self._norm = None

    def _bm25_scores(
        self, postings: list[np.ndarray], sizes: np.ndarray, alive: np.ndarray
    ) -> np.ndarray:
        """Okapi BM25 (Robertson & Zaragoza 2009) of every window for the query tokens whose
        `postings` are given, with a token's presence as its frequency (windows keep token sets):
        sum over shared tokens of idf · (k1 + 1) / (1 + k1 · (1 − b + b · |w| / avg |w|)), idf
        as Lucene's, k1 = 1.2, b = 0.75 (rank-bm25's defaults). |w|: the window's distinct
        tokens. Windows of replaced files stay in the postings until `compact`, so document
        counts and the window total both count them: idf then stays positive (counting live
        windows only in the total made a re-added file's shared tokens score below zero)."""
        total = len(sizes)
        idf_sum = np.zeros(total, dtype=np.float32)
        for posting in postings:  # a token's posting lists each window once
            idf_sum[posting] += _idf(total, len(posting))
        return idf_sum * self._bm25_norm(sizes, alive)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every window's token count and whether it is alive, as arrays (kept until the
        windows change: on a large repository the copy costs about a millisecond)."""
        if self._sizes_alive is None:
            sizes = np.array(self._win_size, dtype=np.int32)
            alive = np.frombuffer(bytes(self._alive), dtype=np.uint8)
            self._sizes_alive = (sizes, alive)
        return self._sizes_alive

    def _bm25_norm(self, sizes: np.ndarray, alive: np.ndarray) -> np.ndarray:
        """BM25's length factor per window (kept until the windows change)."""
        if self._norm is None:
            factor = np.asarray(_length_factor(sizes, _mean_size(sizes, alive)))
            self._norm = factor.astype(np.float32)
        return self._norm

    def _posting(self, tid: int) -> np.ndarray:
        arr = self._np_cache.get(tid)
        if arr is None:
            arr = np.frombuffer(self._postings[tid], dtype=np.int32).copy()
            if len(self._np_cache) > 50_000:
                self._np_cache.clear()
            self._np_cache[tid] = arr
        return arr

    def score_spans(
        self,
        text: str,
        lines: list[str],
        spans: list[tuple[int, int]],
        scoring: Scoring = "bm25",
    ) -> list[float]:
        """Scores of windows that are not in the index, lines [start, end) of `lines` (the open
        buffer's), for the query `text`, on the scale of `query`'s: BM25 with the index's
        document frequencies and average window size (a token the index lacks counts as in one
        window), so a buffer window with an indexed window's text scores as `query` scores
        that one; or Jaccard. Tokens `query` skips as too common are skipped here as well.
        ValueError for another `scoring`."""
        if scoring not in ("jaccard", "bm25"):
            raise ValueError(f"unknown window scoring {scoring!r} (jaccard, bm25)")
        qtoks = self.tokenize(text)
        if not qtoks or not spans:
            return [0.0] * len(spans)
        limit = max(50, int(COMMON_SHARE * self.alive_count))
        total = len(self._win_path)
        idf: dict[str, float] = {}
        for tok in qtoks:
            tid = self._vocab.get(tok)
            df = len(self._postings[tid]) if tid is not None else 1
            if df <= limit:
                idf[tok] = _idf(total, df)
        avg = _mean_size(*self._arrays())
        if len(self._block_tokens) > _BLOCK_CACHE:
            self._block_tokens.clear()
        # Windows start every `step` lines: each step's lines are one block, tokenized once
        # and kept by its text (typing changes one block between selections), and a window's
        # tokens are its blocks' union. Tokens are line-local, so this is exact.
        step = max(1, self.step)
        last = max(end for _, end in spans)
        blocks: list[frozenset[str]] = []
        for i in range(0, last, step):
            block = "\n".join(lines[i : min(i + step, last)])
            toks = self._block_tokens.get(block)
            if toks is None:
                toks = self._block_tokens[block] = frozenset(self.tokenize(block))
            blocks.append(toks)
        wanted = frozenset(idf)
        scores: list[float] = []
        for start, end in spans:
            if start % step == 0 and (end % step == 0 or end == last):
                window = frozenset().union(*blocks[start // step : -(-end // step)])
            else:
                window = frozenset(self.tokenize("\n".join(lines[start:end])))
            if not window:
                scores.append(0.0)
            elif scoring == "jaccard":
                shared = len(qtoks & window)
                scores.append(shared / (len(qtoks) + len(window) - shared))
            else:
                norm = float(_length_factor(len(window), avg))
                scores.append(sum(idf[tok] for tok in wanted & window) * norm)
        return scores

    def query(
        self,
        text: str,
        k: int = 8,
        exclude: frozenset[str] = frozenset(),
        min_score: float = 0.0,
        only: Callable[[str], bool] | None = None,
        scoring: Scoring = "jaccard",
    ) -> list[WindowHit]:
        """The `k` best windows for `text`, best first; `only` keeps the windows of the paths it
        accepts. `scoring`: `jaccard` (RepoCoder: shared tokens over all tokens, 0–1) or `bm25`
        (`_bm25_scores`: rare shared tokens count more; unbounded, comparable within a query).
        ValueError for another `scoring`."""
        if scoring not in ("jaccard", "bm25"):
            raise ValueError(f"unknown window scoring {scoring!r} (jaccard, bm25)")
        qtoks = self.tokenize(text)
        n = len(self._win_path)
        if not qtoks or n == 0:
            return []
        limit = max(50, int(COMMON_SHARE * self.alive_count))
        arrays = []
        for tok in qtoks:
            tid = self._vocab.get(tok)
            if tid is None:
                continue
            posting = self._postings[tid]
            if len(posting) > limit:
                continue
            arrays.append(self._posting(tid))
        if not arrays:
            return []
        sizes, alive = self._arrays()
        if scoring == "bm25":
            scores = self._bm25_scores(arrays, sizes, alive)
        else:
            inter = np.bincount(np.concatenate(arrays), minlength=n).astype(np.float32)
            scores = inter / (len(qtoks) + sizes - inter)
        scores[alive == 0] = 0
        for path in exclude:
            ids = self._by_path.get(path)
            if ids:
                scores[np.asarray(ids, dtype=np.int64)] = 0
        kk = min(k * (3 if only is None else 12), n)
        top = np.argpartition(-scores, kk - 1)[:kk] if kk < n else np.arange(n)
        top = top[np.argsort(-scores[top], kind="stable")]
        hits: list[WindowHit] = []
        for wid in top:
            score = float(scores[wid])
            if score <= min_score:
                break
            if only is not None and not only(self._win_path[wid]):
                continue
            hits.append(
                WindowHit(self._win_path[wid], self._win_start[wid], self._win_end[wid], score)
            )
            if len(hits) >= k:
                break
        return hits


def _idf(total: int, df: int) -> float:
    """Lucene's BM25 idf of a token in `df` of `total` windows: log(1 + (N − df + 0.5) /
    (df + 0.5)), positive for every df ≤ N."""
    return float(np.log1p((total - df + 0.5) / (df + 0.5)))


def _length_factor(size: float | np.ndarray, avg: float) -> float | np.ndarray:
    """BM25's term factor for a present token, (k1 + 1) / (1 + k1 · (1 − b + b · |w| / avg)),
    of a window size or an array of them."""
    return (BM25_K1 + 1) / (1 + BM25_K1 * (1 - BM25_B + BM25_B * size / avg))


def _mean_size(sizes: np.ndarray, alive: np.ndarray) -> float:
    """The live windows' mean token count, at least 1 (1 when none is alive)."""
    return max(1.0, float(sizes[alive == 1].mean())) if alive.any() else 1.0
