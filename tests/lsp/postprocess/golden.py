"""Loader for the golden case files in golden/*.txt.

Format (one file per filter, plus pipeline.txt and multiline.txt):

    === case name
    --- language: python          one-line fields: language, multiline, max_lines, cut, setting
    --- code                      the document; <|> marks the cursor
    def f(x):
        return foo(<|>)
    --- candidate                 what the model produced
    x, y)
    --- expected                  what the filter (or pipeline) returns ...
    x, y
    --- rejected                  ... or this, with nothing under it: the candidate is dropped

A block runs to the next `---` or `===` line; blank lines at its end are not part of it (they
separate cases), blank lines at its start are. A `·` at the end of a line stands for a trailing
space, so that trailing spaces can be seen. The document gets a final newline. Lines before the
first case that start with `#` are comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from repofill.lsp.postprocess import PostContext

CURSOR = "<|>"
HERE = Path(__file__).parent / "golden"


@dataclass
class Case:
    name: str
    fields: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return self.fields.get("language", "python")

    @property
    def prefix_suffix(self) -> tuple[str, str]:
        code = self.blocks["code"] + "\n"
        assert code.count(CURSOR) == 1, f"{self.name}: mark the cursor once with {CURSOR}"
        before, after = code.split(CURSOR)
        return before, after

    def context(self) -> PostContext:
        prefix, suffix = self.prefix_suffix
        return PostContext(
            prefix=prefix,
            suffix=suffix,
            language=self.language,
            multiline=self.fields.get("multiline", "true") == "true",
            max_lines=int(self.fields.get("max_lines", "8")),
            cut=self.fields.get("cut", "false") == "true",
        )

    @property
    def expected(self) -> str | None:
        """The expected text, or None when the case says `rejected`."""
        if "rejected" in self.blocks:
            return None
        return self.blocks["expected"]


def load(name: str) -> list[Case]:
    cases: list[Case] = []
    raw_blocks: list[dict[str, list[str]]] = []
    block: list[str] | None = None
    for raw in (HERE / name).read_text(encoding="utf-8").split("\n"):
        if raw.startswith("=== "):
            cases.append(Case(raw[4:].strip()))
            raw_blocks.append({})
            block = None
        elif not cases:
            assert not raw.strip() or raw.startswith("#"), f"{name}: text before the first case"
        elif raw.startswith("--- "):
            key, sep, value = raw[4:].partition(":")
            if sep:
                cases[-1].fields[key.strip()] = value.strip()
                block = None
            else:
                block = raw_blocks[-1].setdefault(key.strip(), [])
        elif block is not None:
            body = raw.rstrip("·")
            block.append(body + " " * (len(raw) - len(body)))
    for case, blocks in zip(cases, raw_blocks, strict=True):
        for key, lines in blocks.items():
            while lines and not lines[-1].strip():
                lines.pop()
            case.blocks[key] = "\n".join(lines)
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), f"{name}: case names must be unique"
    return cases
