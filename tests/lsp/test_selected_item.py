"""Suggestions that extend the suggest list's selected item (engine `complete_selected`).

VS Code sends the item selected in its suggest list with an inline-completion request; the
engine completes the document as if that item were accepted and returns item + continuation,
so the ghost text shows beside the list and one Tab takes both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repofill.lsp.engine import SelectedItem
from repofill.retrieval.types import Cursor

from .test_speed_behaviour import ScriptedBackend, make_engine

TEXT = "def total(item):\n    price = it\n    return price\n"
CURSOR = TEXT.index("it\n") + 2  # after the typed `it`


def _cursor() -> Cursor:
    return Cursor(TEXT, CURSOR, Path("/project/shop.py"), "python")


def test_accepted_is_the_document_with_the_item_in_place() -> None:
    selected = SelectedItem(CURSOR - 2, CURSOR, "item")
    accepted = selected.accepted(_cursor())
    assert accepted.text == TEXT.replace("price = it\n", "price = item\n")
    assert accepted.prefix.endswith("price = item") and accepted.suffix.startswith("\n")
    with pytest.raises(ValueError):
        SelectedItem(0, len(TEXT) + 1, "x").accepted(_cursor())


async def test_suggestions_start_with_the_selected_item() -> None:
    # The script ends its line, so the token limit (its finish reason) cuts no name.
    backend = ScriptedBackend(".price_cents * item.quantity\n")
    engine = make_engine(backend)
    selected = SelectedItem(CURSOR - 2, CURSOR, "item")
    result = await engine.complete_selected("shop.py", _cursor(), selected)
    assert result.items == ["item.price_cents * item.quantity"]
    request = backend.requests[-1]
    # the prompt is the document as if the item were accepted
    assert request.prefix.endswith("    price = item")
    assert request.suffix.startswith("\n    return price")


async def test_no_continuation_gives_no_item() -> None:
    engine = make_engine(ScriptedBackend("", tokens=0))
    selected = SelectedItem(CURSOR - 2, CURSOR, "item")
    result = await engine.complete_selected("shop.py", _cursor(), selected)
    assert result.items == []
