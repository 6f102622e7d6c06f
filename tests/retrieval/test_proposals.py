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


def _index_with(root: Path, files: dict[str, str]) -> RepoIndex:
    index = RepoIndex(root)
    for rel, text in files.items():
        index.put(rel, text, rebuild=False)
    index.flush()
    return index


IMPORTS = "from shop.prices import (\n    price_of,\n    discount,\n)\nimport os\n\n\n"


def test_import_lines_above_the_prefix_window_are_proposed(tmp_path: Path) -> None:
    body = "".join(f"x{i} = {i}\n" for i in range(12))
    text = IMPORTS + body + "total = "
    index = _index_with(tmp_path, {"shop/prices.py": "def price_of(i):\n    pass\n"})
    index.put("shop/cart.py", text)
    entry = index.entries["shop/cart.py"]
    cursor = Cursor(text, len(text), tmp_path / "shop/cart.py", "python")

    def imports(params: Params) -> list[Proposal]:
        found = propose(index, entry, build_query(cursor), params)
        return [p for p in found if (p.source, p.context_type) == ("current", "imports")]

    (proposal,) = imports(Params(prefix_lines=4))
    assert [u.text for u in proposal.units] == [
        IMPORTS.split("\n\n")[0][: -len("\nimport os")],
        "import os",
    ]
    assert [(u.line, u.end) for u in proposal.units] == [(0, 3), (4, 4)]
    # the prefix window shows them already: nothing to propose
    assert imports(Params()) == []
    assert imports(Params(prefix_lines=4, current_imports=False)) == []


def test_windows_match_sub_words_of_the_names_near_the_cursor(tmp_path: Path) -> None:
    """`trainable_paths = ` finds the window calling `get_trainable_paths(`: whole identifiers
    share no token with it."""
    other = "found = get_trainable_paths(cfg)\n"
    text = "trainable_paths = "
    index = _index_with(tmp_path, {"lib/util.py": other})
    index.put("lib/train.py", text)
    cursor = Cursor(text, len(text), tmp_path / "lib/train.py", "python")
    found = propose(index, index.entries["lib/train.py"], build_query(cursor), Params())
    windows = [p for p in found if p.source == "similar_window"]
    assert [(p.path, p.units[0].text) for p in windows] == [("lib/util.py", other)]


def test_window_lines_sets_the_window_and_the_query_length(tmp_path: Path) -> None:
    """`Params.window_lines` through `Retriever`: windows of that many lines, step half of it,
    and a query of that many lines before the cursor."""
    from repofill.retrieval.retriever import Retriever

    (tmp_path / "lib").mkdir()
    lines = [f"value_{i} = compute_{i}()" for i in range(30)]
    (tmp_path / "lib/other.py").write_text("\n".join(lines))  # 30 lines, no empty 31st
    for window_lines, starts in ((10, [0, 5, 10, 15, 20]), (20, [0, 10])):
        retriever = Retriever(tmp_path, use_cache=False, params=Params(window_lines=window_lines))
        retriever.build()
        windows = retriever.index.windows
        got = sorted(
            (windows._win_start[w], windows._win_end[w]) for w in windows._by_path["lib/other.py"]
        )
        assert got == [(s, min(30, s + window_lines)) for s in starts]
    text = "".join(f"line_{i} = {i}\n" for i in range(30)) + "total = "
    cursor = Cursor(text, len(text), tmp_path / "lib/new.py", "python")
    assert build_query(cursor, 10).window_text.split("\n") == [
        *(f"line_{i} = {i}" for i in range(21, 30)),
        "total = ",
    ]


def test_the_buffer_below_the_cursor_is_a_window_source_for_left_to_right_prompts(
    tmp_path: Path,
) -> None:
    """A prompt that ends at the cursor does not show the code below it: with `suffix_shown`
    False (`Retriever.select(shows_suffix=False)`) the buffer's own window that uses the names
    near the cursor is proposed, its text from the buffer (not the file on disk); with the
    suffix shown, or `file_windows` off, it is not. Post lines keep their place: after the
    lines a FIM prompt would show."""
    below = "\n".join(["", "", "", "", "", "receipt = format_receipt(order, currency)"] * 2)
    text = "order = load()\ncurrency = 'EUR'\nlabel = " + "\n" + below + "\n"
    index = _index_with(tmp_path, {"lib/other.py": "x = 1\n"})
    index.put("lib/shop.py", "stale = 'the file on disk'\n")
    cursor = Cursor(
        text, text.index("label = ") + len("label = "), tmp_path / "lib/shop.py", "python"
    )
    query = build_query(cursor)

    def buffer_windows(params: Params) -> list[Proposal]:
        found = propose(index, index.entries["lib/shop.py"], query, params)
        return [p for p in found if p.source == "similar_window" and p.path == "lib/shop.py"]

    found = buffer_windows(Params(suffix_shown=False))
    assert found and all("format_receipt(order, currency)" in p.units[0].text for p in found)
    assert all(p.units[0].line > query.line for p in found)
    assert buffer_windows(Params()) == []  # the suffix's 40 lines hold the whole buffer
    assert buffer_windows(Params(suffix_shown=False, file_windows=False)) == []
    every = propose(index, index.entries["lib/shop.py"], query, Params(suffix_shown=False))
    assert not [p for p in every if p.context_type == "post_lines"]
