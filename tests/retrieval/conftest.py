"""Fixture projects live in tests/retrieval/fixtures/; each test works on its own copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from repofill.retrieval import Retriever
from repofill.retrieval.languages import language_for
from repofill.retrieval.types import Cursor

FIXTURES = Path(__file__).parent / "fixtures"
collect_ignore_glob = ["fixtures/*"]  # the fixture projects' own tests are data here


def approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@pytest.fixture
def indexed(project: Callable[[str], Path], tmp_path: Path) -> Callable[[str], Retriever]:
    def build(name: str) -> Retriever:
        retriever = Retriever(project(name), tmp_path / "cache")
        retriever.build()
        return retriever

    return build


def cursor_at(root: Path, rel: str, marker: str, *, cut_line: bool = True) -> Cursor:
    """A cursor placed just before `marker` in file `rel`; the rest of that line is removed, as
    if the user were about to type it."""
    path = root / rel
    text = path.read_text()
    offset = text.index(marker)
    if cut_line:
        eol = text.find("\n", offset)
        text = text[:offset] + (text[eol:] if eol != -1 else "")
    return Cursor(text=text, offset=offset, path=path, language=language_for(path))
