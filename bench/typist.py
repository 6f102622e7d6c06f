"""A seeded simulated person retyping lines of real source files, key by key.

For each chosen line the typist deletes the line's code (keeping its indentation), thinks for a
moment, then types it again character by character. Pauses between keys are drawn like a
person's: 80-250 ms inside a word, longer after a word boundary (space, punctuation).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

MIN_LINE_CHARS = 12
MAX_LINE_CHARS = 72
WORD_BOUNDARY = set(" .,:;()[]{}=+-*/<>")
KEY_PAUSE_S = (0.08, 0.25)
BOUNDARY_PAUSE_S = (0.25, 0.7)
THINK_PAUSE_S = (0.6, 1.2)


@dataclass(frozen=True)
class Key:
    """One edit: replace columns [start, end) of `line` with `text`, then wait `pause_s`."""

    line: int
    start: int
    end: int
    text: str
    pause_s: float
    first_on_line: bool


@dataclass(frozen=True)
class RetypedLine:
    path: Path
    line: int
    code: str
    keys: tuple[Key, ...]


def typeable(line: str) -> bool:
    """A line of code worth retyping: ASCII, not too short or long, not a comment or string."""
    code = line.strip()
    return (
        line.isascii()
        and MIN_LINE_CHARS <= len(code) <= MAX_LINE_CHARS
        and not code.startswith(("#", '"', "'", "@", "//", "*", "/*"))
        and any(c.isalpha() for c in code)
    )


def plan_line(path: Path, text: str, line: int, rng: random.Random) -> RetypedLine:
    content = text.split("\n")[line]
    indent = len(content) - len(content.lstrip())
    code = content[indent:].rstrip()
    keys = [Key(line, indent, len(content), "", rng.uniform(*THINK_PAUSE_S), True)]
    for i, char in enumerate(code):
        pause = BOUNDARY_PAUSE_S if char in WORD_BOUNDARY else KEY_PAUSE_S
        keys.append(Key(line, indent + i, indent + i, char, rng.uniform(*pause), False))
    return RetypedLine(path, line, code, tuple(keys))


def choose_lines(
    files: list[Path], n_lines: int, rng: random.Random, *, skip_head: int = 10
) -> list[RetypedLine]:
    """`n_lines` typeable lines spread over `files` (round robin), in file order per file."""
    per_file: dict[Path, list[int]] = {}
    texts: dict[Path, str] = {}
    for path in files:
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        candidates = [i for i in range(skip_head, len(lines)) if typeable(lines[i])]
        if candidates:
            per_file[path] = candidates
            texts[path] = text
    chosen: dict[Path, list[int]] = {p: [] for p in per_file}
    order = list(per_file)
    for i in range(n_lines):
        if not order:
            break
        path = order[i % len(order)]
        left = [c for c in per_file[path] if c not in chosen[path]]
        if left:
            chosen[path].append(rng.choice(left))
    plans: list[RetypedLine] = []
    for path, lines_ in chosen.items():
        plans += [plan_line(path, texts[path], n, rng) for n in sorted(lines_)]
    return plans
