"""The last fill per document, so its other candidates stay reachable without the model."""

from __future__ import annotations

from dataclasses import dataclass

from .candidates import FillResult
from .holes import Hole


@dataclass
class FillEntry:
    """One document's last fill: the text before it, its hole and result."""

    version: int | None
    text: str
    """The document before the fill."""
    hole: Hole
    result: FillResult
    applied: int | None = None
    """The candidate the server last sent as an edit (None: none yet)."""

    def filled(self, index: int) -> str:
        text = self.result.candidates[index].text
        return self.text[: self.hole.start] + text + self.text[self.hole.end :]

    def span(self) -> tuple[int, int]:
        """Where the applied candidate is in the filled document (character offsets)."""
        assert self.applied is not None
        return self.hole.start, self.hole.start + len(self.result.candidates[self.applied].text)


class FillCache:
    """The last fill per document: its candidates stay reachable while the document is the one
    filled (unchanged, or with exactly the applied candidate in place)."""

    def __init__(self) -> None:
        self._entries: dict[str, FillEntry] = {}

    def store(self, uri: str, version: int | None, text: str, result: FillResult) -> None:
        if result.hole is not None and result.candidates:
            self._entries[uri] = FillEntry(version, text, result.hole, result)

    def lookup(self, uri: str, text: str, hole: Hole) -> FillResult | None:
        entry = self._entries.get(uri)
        if entry is None or entry.text != text or entry.hole != hole:
            return None
        return entry.result

    def mark_applied(self, uri: str, index: int) -> None:
        entry = self._entries.get(uri)
        if entry is not None:
            entry.applied = index

    def applied(self, uri: str, text: str) -> FillEntry | None:
        """The entry whose applied candidate is in place in `text`, else None."""
        entry = self._entries.get(uri)
        if entry is None or entry.applied is None or entry.filled(entry.applied) != text:
            return None
        return entry

    def forget(self, uri: str) -> None:
        self._entries.pop(uri, None)
