"""Loader and writer for the golden case files in golden/*.txt (packing and proposals).

Format:

    === case name
    --- budget: 40                  a field: a block with a value and nothing under it
    --- file: pkg/models.py         a file of the small repository (propose.txt); <|> marks
    class User:                     the cursor, in one file
        name: str
    --- proposal: import signatures pkg/models.py relevance=0.8
    @ 0-1 weight=0.9                a unit of the proposal above: its lines, its weight, its text
    class User:
        name: str
    --- snippet: import signatures pkg/models.py score=0.68 tokens=4
    class User:
        name: str

A block runs to the next `---` or `===` line (a unit to the next `@ ` line too), keeping every
line, blank ones too; exactly one blank line separates a case from the next. A `·` at the end of
a line stands for a trailing space. Lines before the first case that start with `#` are comments.
Numbers are written with 4 significant digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from repofill.retrieval.proposals import Proposal, Unit
from repofill.retrieval.types import Snippet

CURSOR = "<|>"
HERE = Path(__file__).parent / "golden"


@dataclass
class Block:
    key: str
    value: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Case:
    name: str
    blocks: list[Block] = field(default_factory=list)

    def field(self, key: str, default: str = "") -> str:
        return next((b.value for b in self.blocks if b.key == key), default)

    def all(self, key: str) -> list[Block]:
        return [b for b in self.blocks if b.key == key]

    def proposals(self) -> list[Proposal]:
        return [parse_proposal(b) for b in self.all("proposal")]


def number(x: float) -> str:
    return f"{x:.4g}"


def _visible(line: str) -> str:
    body = line.rstrip(" ")
    return body + "·" * (len(line) - len(body))


def load(name: str) -> list[Case]:
    cases: list[Case] = []
    lines = (HERE / name).read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file's final newline
    for raw in lines:
        if raw.startswith("=== "):
            if cases and cases[-1].blocks:
                last = cases[-1].blocks[-1].lines
                assert last and not last[-1], f"{name}: one blank line before {raw!r}"
                last.pop()
            cases.append(Case(raw[4:].strip()))
        elif not cases:
            assert not raw.strip() or raw.startswith("#"), f"{name}: text before the first case"
        elif raw.startswith("--- "):
            key, _, value = raw[4:].partition(":")
            cases[-1].blocks.append(Block(key.strip(), value.strip()))
        else:
            assert cases[-1].blocks, f"{name}: text outside a block"
            body = raw.rstrip("·")
            cases[-1].blocks[-1].lines.append(body + " " * (len(raw) - len(body)))
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), f"{name}: case names must be unique"
    return cases


def parse_proposal(block: Block) -> Proposal:
    """A `proposal` block: `source context_type path relevance=R [atomic]`, then its units."""
    source, context_type, path, relevance, *flags = block.value.split()
    units: list[Unit] = []
    texts: list[list[str]] = []
    for line in block.lines:
        if line.startswith("@ "):
            span, weight = line[2:].split()
            start, end = span.split("-")
            units.append(Unit("", int(start), int(end), float(weight.removeprefix("weight="))))
            texts.append([])
        else:
            assert texts, f"{block.value}: text before the first `@` unit line"
            texts[-1].append(line)
    for unit, text in zip(units, texts, strict=True):
        unit.text = "\n".join(text)
    return Proposal(
        source,
        context_type,
        path,
        units,
        float(relevance.removeprefix("relevance=")),
        atomic="atomic" in flags,
    )


def render_proposal(p: Proposal) -> str:
    head = f"--- proposal: {p.source} {p.context_type} {p.path} relevance={number(p.relevance)}"
    lines = [head + (" atomic" if p.atomic else "")]
    for u in p.units:
        lines.append(f"@ {u.line}-{u.end} weight={number(u.weight)}")
        lines.extend(_visible(x) for x in u.text.split("\n"))
    return "\n".join(lines)


def render_snippet(s: Snippet) -> str:
    head = (
        f"--- snippet: {s.source} {s.context_type} {s.path}"
        f" score={number(s.score)} tokens={s.tokens}"
    )
    return "\n".join([head, *(_visible(x) for x in s.text.split("\n"))])


def rendered(case: Case, key: str) -> list[str]:
    """The case's `key` blocks as `render_*` writes them."""
    return [
        "\n".join([f"--- {b.key}: {b.value}", *(_visible(x) for x in b.lines)])
        for b in case.all(key)
    ]
