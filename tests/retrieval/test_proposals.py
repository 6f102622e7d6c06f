"""`propose` against the golden cases in golden/propose.txt: a small repository (its files, the
cursor marked `<|>` in one) in, the proposals out in the order `propose` makes them.

A file-level `identifiers` unit lists a file's identifiers best first; identifiers that weigh the
same come in set order, which changes between runs, so both sides are compared with the words of
such units sorted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repofill.retrieval.index import RepoIndex
from repofill.retrieval.languages import language_for
from repofill.retrieval.proposals import Params, Proposal, propose
from repofill.retrieval.query import build_query
from repofill.retrieval.types import Cursor

from .golden import CURSOR, Case, load, parse_proposal, render_proposal


def proposals_for(case: Case, root: Path) -> list[Proposal]:
    """Write the case's files under `root`, index them, and propose for its cursor."""
    index = RepoIndex(root)
    cursor: Cursor | None = None
    for block in case.all("file"):
        text = block.text + "\n"
        path = root / block.value
        if CURSOR in text:
            offset = text.index(CURSOR)
            text = text.replace(CURSOR, "", 1)
            cursor = Cursor(text, offset, path, language_for(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        index.put(block.value, text, rebuild=False)
    index.flush()
    assert cursor is not None, f"{case.name}: mark the cursor with {CURSOR}"
    entry = index.entries[cursor.path.relative_to(root).as_posix()]
    return propose(index, entry, build_query(cursor), Params())


def _comparable(p: Proposal) -> str:
    if p.context_type == "identifiers":
        for unit in p.units:
            unit.text = " ".join(sorted(unit.text.split()))
    return render_proposal(p)


@pytest.mark.parametrize("case", load("propose.txt"), ids=lambda c: c.name)
def test_propose(case: Case, tmp_path: Path) -> None:
    got = [_comparable(p) for p in proposals_for(case, tmp_path)]
    want = [_comparable(parse_proposal(b)) for b in case.all("proposal")]
    assert got == want
