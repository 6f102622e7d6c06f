"""What every filter is given: the text around the cursor and the limits for this request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PostContext:
    """The document around the cursor. `prefix` may be long: filters only look at a window."""

    prefix: str
    suffix: str
    language: str
    multiline: bool
    max_lines: int
