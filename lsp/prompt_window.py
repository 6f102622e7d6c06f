"""The prompt window: the text around the cursor that goes into the prompt, bounded in lines and
characters (`prompt_window`) and then in tokens (`fit_tokens`), and the word a suggestion
replaces (`word_end`).

The prefix window starts on an anchored line boundary (a multiple of ANCHOR_LINES) so that while
the user types on one line the prompt's start does not move and llama.cpp can reuse its KV cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ANCHOR_LINES = 32


@dataclass(frozen=True)
class PromptWindow:
    prefix: str
    suffix: str
    prefix_start_line: int


def prompt_window(
    text: str, offset: int, *, prefix_lines: int, suffix_lines: int, max_chars: int
) -> PromptWindow:
    """Bounded prefix and suffix around `offset`, the prefix anchored to a stable line."""
    before = text[:offset]
    cursor_line = before.count("\n")
    start_line = max(0, cursor_line - prefix_lines)
    start_line -= start_line % ANCHOR_LINES
    start = 0
    if start_line:
        start = _nth_line_start(before, start_line)
    prefix = before[start:]
    if len(prefix) > max_chars:
        # Very long lines: drop whole lines from the front, in anchored steps of lines.
        cut = prefix.find("\n", len(prefix) - max_chars)
        prefix = prefix[cut + 1 :] if cut >= 0 else prefix[-max_chars:]
        start_line = cursor_line - prefix.count("\n")
    after = text[offset:]
    end = -1
    for _ in range(suffix_lines):
        end = after.find("\n", end + 1)
        if end < 0:
            break
    suffix = after if end < 0 else after[: end + 1]
    if len(suffix) > max_chars // 2:
        suffix = suffix[: max_chars // 2]
    return PromptWindow(prefix=prefix, suffix=suffix, prefix_start_line=start_line)


def _nth_line_start(text: str, n: int) -> int:
    pos = -1
    for _ in range(n):
        pos = text.find("\n", pos + 1)
        if pos < 0:
            return 0
    return pos + 1


def word_end(text: str, offset: int) -> int:
    """Where the word the cursor continues ends: past the word characters after `offset` when
    one comes right before it (`res|u = 0` -> after `u`), else `offset` itself. Word characters
    are letters, digits, `_` and `$` (Unicode-aware, as identifiers in the supported languages).
    An inline suggestion replaces text[offset:word_end] (docs/protocol.md)."""
    if offset <= 0 or not _is_word(text[offset - 1]):
        return offset
    end = offset
    while end < len(text) and _is_word(text[end]):
        end += 1
    return end


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


CountTokens = Callable[[str], int]


def fit_tokens(prefix: str, suffix: str, budget: int, count: CountTokens) -> tuple[str, str]:
    """`prefix` and `suffix` cut to `budget` tokens together, each from its far end (the prefix
    loses its start, the suffix its end), so the text nearest the cursor stays.

    The suffix keeps at least a quarter of the budget when it needs it, the prefix the rest. A
    prefix cut inside its first quarter of kept text starts at the next line, as the character
    window does. Never fails: at worst both are empty. `count` gives a text's tokens.
    """
    budget = max(0, budget)
    suffix_tokens = count(suffix)
    prefix_tokens = count(prefix)
    if prefix_tokens + suffix_tokens <= budget:
        return prefix, suffix
    suffix_room = max(budget // 4, budget - prefix_tokens)
    if suffix_tokens > suffix_room:
        suffix = _cut(suffix, suffix_room, count, from_start=False)
        suffix_tokens = count(suffix)
    prefix = _cut(prefix, budget - suffix_tokens, count, from_start=True)
    newline = prefix.find("\n")
    if 0 <= newline < len(prefix) // 4:
        prefix = prefix[newline + 1 :]
    return prefix, suffix


def _cut(text: str, limit: int, count: CountTokens, *, from_start: bool) -> str:
    """`text` shortened from its start (or end) until it has at most `limit` tokens."""
    tokens = count(text)
    while text and tokens > limit:
        keep = min(len(text) - 1, int(len(text) * limit / tokens * 0.95))
        text = text[len(text) - keep :] if from_start else text[:keep]
        tokens = count(text)
    return text
