"""Plain data exchanged between retrieval and the engine (they meet only through data:
docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CountTokens = Callable[[str], int]
"""Counts tokens with the model's own tokenizer; retrieval never imports a model."""


@dataclass(frozen=True)
class Cursor:
    """Where the user is: the whole document text and a character offset into it."""

    text: str
    offset: int
    path: Path
    language: str

    @property
    def prefix(self) -> str:
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        return self.text[self.offset :]

    @property
    def line(self) -> int:
        """The cursor's zero-based line number."""
        return self.text.count("\n", 0, self.offset)


@dataclass(frozen=True)
class Snippet:
    """One piece of repository context, with where it came from."""

    text: str
    path: str
    source: str
    context_type: str
    score: float
    tokens: int
    prior: float = 0.0
    """The score's first factor: how useful this source and context type is, 0–1
    (`retrieval/priors.py`)."""
    relevance: float = 0.0
    """The score's second factor: how close the snippet is to the code at the cursor, 0–1
    (shared names for structure; token-set similarity for windows; `retrieval/proposals.py`)."""


@dataclass(frozen=True)
class Context:
    """Snippets packed into a token budget.

    Ordered for the prompt: the most stable snippets first, the best-ranked one last (nearest the
    cursor's own code), so small cursor moves do not reorder the prompt's start.
    """

    snippets: tuple[Snippet, ...] = ()
    budget: int = 0
    used_tokens: int = 0
    elapsed_ms: float = 0.0
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.snippets
