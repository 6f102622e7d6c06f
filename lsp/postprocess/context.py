"""What every filter is given: the text around the cursor and the limits for this request."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class PostContext:
    """The document around the cursor. `prefix` may be long: filters only look at a window."""

    prefix: str
    suffix: str
    language: str
    multiline: bool
    max_lines: int
    cut: bool = False
    """Generation stopped before the model ended the text (the deadline or the token limit)."""

    def for_finish(self, finish_reason: str) -> PostContext:
        """This context for a candidate that ended for `finish_reason` (models/types.py)."""
        return replace(self, cut=finish_reason in ("deadline", "length"))
