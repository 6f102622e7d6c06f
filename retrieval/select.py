"""Rank proposals, pack them into the token budget, and order them for the prompt.

Ranking: score = prior(source, type) × (FLOOR + (1 − FLOOR) × relevance to the cursor).
Packing: similar windows first, best first, into their share of the budget (`window_share`,
chosen on the dev projects of `bench repo`); then the other proposals, best score first, into the
rest; a proposal made of units keeps its most relevant units that fit (at most `CAP_SHARE` of the
budget on the first pass, so one big file cannot crowd out the rest); then more windows into what
the structure left, and a last pass lets trimmed proposals grow into what is left after that.
Lines already packed from the same file are not packed twice.
Order: stable tiers first (structure of the repository), cursor-dependent windows last, the best
of them nearest the cursor.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from . import priors as priors_mod
from .proposals import Proposal, Unit
from .types import CountTokens, Snippet

CAP_SHARE = 0.4
MIN_TOKENS = 12


class TokenCountCache:
    """Token counts by text: between keystrokes most candidate texts recur."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._data: OrderedDict[tuple[int, str], int] = OrderedDict()

    def counter(self, count: CountTokens) -> Callable[[str], int]:
        key_id = id(count)

        def cached(text: str) -> int:
            key = (key_id, text)
            found = self._data.get(key)
            if found is not None:
                return found
            n = count(text)
            self._data[key] = n
            if len(self._data) > self._size:
                self._data.popitem(last=False)
            return n

        return cached


@dataclass
class _Packed:
    proposal: Proposal
    score: float
    units: list[Unit]
    text: str
    tokens: int


Spans = dict[str, list[tuple[int, int]]]
"""Lines already packed, per file: (first, last) line pairs, 0-based and inclusive."""


@dataclass
class _Packing:
    """What one `pack` call has packed so far, and the budget left."""

    count: Callable[[str], int]
    remaining: int
    packed: list[_Packed] = field(default_factory=list)
    # Structural units skip only structural duplicates; a window skips both (windows are the
    # cheapest to lose, and the structure keeps its provenance).
    structure_spans: Spans = field(default_factory=dict)
    all_spans: Spans = field(default_factory=dict)

    def mark(self, path: str, units: list[Unit], *, structure: bool) -> None:
        """Record the lines of `units` (of file `path`) as packed."""
        lines = [(u.line, u.end) for u in units]
        if structure:
            self.structure_spans.setdefault(path, []).extend(lines)
        self.all_spans.setdefault(path, []).extend(lines)


def score_of(proposal: Proposal, table: dict[tuple[str, str], float] | None = None) -> float:
    """prior(source, context type) × (FLOOR + (1 − FLOOR) × relevance)."""
    prior = priors_mod.prior(proposal.source, proposal.context_type, table)
    return prior * (priors_mod.FLOOR + (1 - priors_mod.FLOOR) * proposal.relevance)


def _ranked(
    proposals: list[Proposal], table: dict[tuple[str, str], float] | None
) -> list[tuple[float, Proposal]]:
    """(score, proposal), best score first; equal scores keep the proposals' order."""
    scored = sorted(
        ((score_of(p, table), i, p) for i, p in enumerate(proposals)), key=lambda t: (-t[0], t[1])
    )
    return [(s, p) for s, _, p in scored]


def _render(units: list[Unit]) -> str:
    return "\n".join(u.text for u in sorted(units, key=lambda u: u.line))


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> float:
    """Share of lines [start, end] already covered."""
    if not spans:
        return 0.0
    covered = 0
    for s, e in spans:
        lo, hi = max(s, start), min(e, end)
        if lo <= hi:
            covered += hi - lo + 1
    return covered / max(1, end - start + 1)


def _fit_units(
    units: list[Unit], limit: int, taken_lines: list[tuple[int, int]], count: Callable[[str], int]
) -> tuple[list[Unit], str, int]:
    """The most relevant `units` whose rendered text fits `limit` tokens, skipping units mostly
    over `taken_lines`: (units, their text, its tokens), or nothing."""
    taken: list[Unit] = []
    est = 0
    for u in sorted(units, key=lambda u: (-u.weight, u.line)):
        if _overlaps(taken_lines, u.line, u.end) > 0.5:
            continue
        n = count(u.text) + 1
        if est + n > limit:
            continue
        taken.append(u)
        est += n
    while taken:
        text = _render(taken)
        n = count(text)
        if n <= limit:
            return taken, text, n
        taken.pop()
    return [], "", 0


def _take_whole(state: _Packing, p: Proposal, score: float) -> None:
    """An atomic proposal (a window, post lines): all of it, or nothing when it does not fit or
    mostly repeats lines already packed."""
    u = p.units[0]
    if _overlaps(state.all_spans.get(p.path, []), u.line, u.end) > 0.5:
        return
    n = state.count(u.text)
    if n > state.remaining:
        return
    state.packed.append(_Packed(p, score, [u], u.text, n))
    state.remaining -= n
    state.mark(p.path, [u], structure=False)


def _take_units(state: _Packing, p: Proposal, score: float, cap: int) -> None:
    """The proposal's most relevant units that fit in what is left, at most `cap` tokens."""
    taken_lines = state.structure_spans.get(p.path, [])
    units, text, n = _fit_units(p.units, min(state.remaining, cap), taken_lines, state.count)
    if not units:
        return
    state.packed.append(_Packed(p, score, units, text, n))
    state.remaining -= n
    state.mark(p.path, units, structure=True)


def _first_pass(state: _Packing, ranked: list[tuple[float, Proposal]], cap: int) -> None:
    """Best score first, until less than MIN_TOKENS are left."""
    for score, p in ranked:
        if state.remaining < MIN_TOKENS:
            break
        if p.atomic:
            _take_whole(state, p, score)
        else:
            _take_units(state, p, score, cap)


def _grow(state: _Packing, item: _Packed) -> None:
    """Add to a trimmed proposal the units it left out that fit in what is left."""
    have = {id(u) for u in item.units}
    rest = [u for u in item.proposal.units if id(u) not in have]
    taken_lines = state.structure_spans.get(item.proposal.path, [])
    extra, _, _ = _fit_units(rest, state.remaining, taken_lines, state.count)
    if not extra:
        return
    units = item.units + extra
    text = _render(units)
    n = state.count(text)
    if n - item.tokens <= state.remaining:
        state.remaining -= n - item.tokens
        item.units, item.text, item.tokens = units, text, n
        state.mark(item.proposal.path, extra, structure=True)


def _second_pass(state: _Packing) -> None:
    """Trimmed proposals grow into the rest of the budget, in the order they were packed."""
    for item in state.packed:
        if state.remaining < MIN_TOKENS:
            break
        if item.proposal.atomic or len(item.units) == len(item.proposal.units):
            continue
        _grow(state, item)


def _snippet(item: _Packed) -> Snippet:
    relevance = item.proposal.relevance
    # score = prior × (FLOOR + (1 − FLOOR) × relevance): the prior is what the rest leaves
    prior = item.score / (priors_mod.FLOOR + (1 - priors_mod.FLOOR) * relevance)
    return Snippet(
        text=item.text,
        path=item.proposal.path,
        source=item.proposal.source,
        context_type=item.proposal.context_type,
        score=round(item.score, 4),
        tokens=item.tokens,
        prior=round(prior, 4),
        relevance=round(relevance, 4),
    )


WINDOW_SOURCE = "similar_window"


def pack(
    proposals: list[Proposal],
    count: Callable[[str], int],
    budget: int,
    table: dict[tuple[str, str], float] | None = None,
    window_share: float = 0.0,
) -> list[Snippet]:
    """The proposals that fit `budget` tokens (`count` gives a text's tokens), as snippets in
    prompt order (`order`). `table` overrides the priors (retrieval/priors.py). Similar windows
    first fill up to `window_share` (0–1) of the budget, best first; the other proposals then
    take the rest by score, and windows that did not fit take what they leave."""
    ranked = _ranked(proposals, table)
    windows = [(s, p) for s, p in ranked if p.source == WINDOW_SOURCE]
    structure = [(s, p) for s, p in ranked if p.source != WINDOW_SOURCE]
    reserved = int(budget * min(1.0, max(0.0, window_share)))
    state = _Packing(count, reserved)
    _first_pass(state, windows, cap=reserved)
    state.remaining += budget - reserved
    _first_pass(state, structure, cap=max(96, int(budget * CAP_SHARE)))
    packed = {id(item.proposal) for item in state.packed}
    _first_pass(state, [(s, p) for s, p in windows if id(p) not in packed], cap=budget)
    _second_pass(state)
    return order([_snippet(item) for item in state.packed], table)


def order(
    snippets: list[Snippet], table: dict[tuple[str, str], float] | None = None
) -> list[Snippet]:
    """Stable tiers first; inside a tier the fixed prior decides (so small cursor moves keep the
    order), except the last, cursor-driven tier, which goes by score: best last."""

    def key(s: Snippet) -> tuple[int, float, str, str]:
        tier = priors_mod.TIERS.get(s.source, 1)
        if tier >= 2:
            return (tier, s.score, s.path, s.context_type)
        return (tier, priors_mod.prior(s.source, s.context_type, table), s.path, s.context_type)

    return sorted(snippets, key=key)
