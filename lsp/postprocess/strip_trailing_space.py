"""Filter: remove trailing spaces on every line and trailing blank lines."""

from __future__ import annotations

from .context import PostContext


def strip_trailing_space(candidate: str, ctx: PostContext) -> str | None:
    lines = [line.rstrip() for line in candidate.split("\n")]
    return "\n".join(lines).rstrip("\n")
