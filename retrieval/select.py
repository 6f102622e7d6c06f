"""Rank proposals, pack them into the token budget, and order them for the prompt.

Ranking: score = prior(source, type) × (FLOOR + (1 − FLOOR) × relevance to the cursor).
Packing: best score first; a proposal made of units keeps its most relevant units that fit (at
most `CAP_SHARE` of the budget on the first pass, so one big file cannot crowd out the rest); a
second pass lets trimmed proposals grow into what is left. Lines already packed from the same
file are not packed twice.
Order: stable tiers first (structure of the repository), cursor-dependent windows last, the best
of them nearest the cursor.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from . import priors as priors_mod
from .proposals import Proposal, Unit
from .types import CountTokens, Snippet

CAP_SHARE = 0.4
MIN_TOKENS = 12


class TokenCache:
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


def pack(
    proposals: list[Proposal],
    count: Callable[[str], int],
    budget: int,
    table: dict[tuple[str, str], float] | None = None,
) -> list[Snippet]:
    scored = sorted(
        (
            (
                priors_mod.prior(p.source, p.context_type, table)
                * (priors_mod.FLOOR + (1 - priors_mod.FLOOR) * p.relevance),
                i,
                p,
            )
            for i, p in enumerate(proposals)
        ),
        key=lambda t: (-t[0], t[1]),
    )
    remaining = budget
    # Lines already packed, per file. Structural units skip only structural duplicates; a window
    # skips both (windows are the cheapest to lose, and the structure keeps its provenance).
    spans: dict[str, list[tuple[int, int]]] = {}
    all_spans: dict[str, list[tuple[int, int]]] = {}
    packed: list[_Packed] = []
    cap_first = max(96, int(budget * CAP_SHARE))

    def fits(units: list[Unit], limit: int, path: str) -> tuple[list[Unit], str, int]:
        taken: list[Unit] = []
        est = 0
        for u in sorted(units, key=lambda u: (-u.weight, u.line)):
            if _overlaps(spans.get(path, []), u.line, u.end) > 0.5:
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

    for score, _, p in scored:
        if remaining < MIN_TOKENS:
            break
        if p.atomic:
            u = p.units[0]
            if _overlaps(all_spans.get(p.path, []), u.line, u.end) > 0.5:
                continue
            n = count(u.text)
            if n > remaining:
                continue
            packed.append(_Packed(p, score, [u], u.text, n))
            remaining -= n
            all_spans.setdefault(p.path, []).append((u.line, u.end))
            continue
        units, text, n = fits(p.units, min(remaining, cap_first), p.path)
        if not units:
            continue
        packed.append(_Packed(p, score, units, text, n))
        remaining -= n
        spans.setdefault(p.path, []).extend((u.line, u.end) for u in units)
        all_spans.setdefault(p.path, []).extend((u.line, u.end) for u in units)
    # second pass: trimmed proposals grow into the rest of the budget
    for item in packed:
        if remaining < MIN_TOKENS:
            break
        if item.proposal.atomic or len(item.units) == len(item.proposal.units):
            continue
        have = {id(u) for u in item.units}
        rest = [u for u in item.proposal.units if id(u) not in have]
        extra, _, _ = fits(rest, remaining, item.proposal.path)
        if not extra:
            continue
        units = item.units + extra
        text = _render(units)
        n = count(text)
        if n - item.tokens <= remaining:
            remaining -= n - item.tokens
            item.units, item.text, item.tokens = units, text, n
            spans.setdefault(item.proposal.path, []).extend((u.line, u.end) for u in extra)
            all_spans.setdefault(item.proposal.path, []).extend((u.line, u.end) for u in extra)
    return order(
        [
            Snippet(
                text=item.text,
                path=item.proposal.path,
                source=item.proposal.source,
                context_type=item.proposal.context_type,
                score=round(item.score, 4),
                tokens=item.tokens,
            )
            for item in packed
        ],
        table,
    )


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
