"""Answers that need no model: typing through a suggestion, and recently seen cursors.

Type-through: when the user types characters that match the start of the suggestion on screen,
the rest of it is still the suggestion. Recent results: an LRU keyed by the text around the
cursor, so moving back to a place (or undoing) answers at once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

# How much text around the cursor identifies a place for the LRU.
KEY_PREFIX_CHARS = 400
KEY_SUFFIX_CHARS = 200


@dataclass(frozen=True)
class _Shown:
    prefix: str
    suffix: str
    items: tuple[str, ...]


class SuggestionCache:
    def __init__(self, capacity: int = 64) -> None:
        self._capacity = capacity
        self._recent: OrderedDict[tuple[str, str, str], tuple[str, ...]] = OrderedDict()
        self._shown: dict[str, _Shown] = {}
        self.hits = 0

    @staticmethod
    def _key(document: str, prefix: str, suffix: str) -> tuple[str, str, str]:
        return (document, prefix[-KEY_PREFIX_CHARS:], suffix[:KEY_SUFFIX_CHARS])

    def lookup(self, document: str, prefix: str, suffix: str) -> list[str] | None:
        """Items for this cursor without the model, or None."""
        found = self._recent.get(self._key(document, prefix, suffix))
        if found is not None:
            self._recent.move_to_end(self._key(document, prefix, suffix))
            self.hits += 1
            return list(found)
        shown = self._shown.get(document)
        if shown is None or suffix != shown.suffix or not prefix.startswith(shown.prefix):
            return None
        typed = prefix[len(shown.prefix) :]
        if not typed or "\n" in typed:
            return None
        rest = [
            item[len(typed) :]
            for item in shown.items
            if item.startswith(typed) and len(item) > len(typed)
        ]
        if not rest:
            return None
        self.hits += 1
        return rest

    def store(self, document: str, prefix: str, suffix: str, items: list[str]) -> None:
        if not items:
            return
        key = self._key(document, prefix, suffix)
        self._recent[key] = tuple(items)
        self._recent.move_to_end(key)
        while len(self._recent) > self._capacity:
            self._recent.popitem(last=False)
        self._shown[document] = _Shown(prefix, suffix, tuple(items))

    def forget(self, document: str) -> None:
        self._shown.pop(document, None)
        for key in [k for k in self._recent if k[0] == document]:
            del self._recent[key]
