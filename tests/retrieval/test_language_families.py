"""Context stays within the cursor's language family (retrieval/proposals.py `_same_family`):
a Python cursor gets no TypeScript, while JavaScript and TypeScript share context. The real
index over the `mixed_shop` fixture: a Python package and a web folder with the same names."""

from __future__ import annotations

from collections.abc import Callable

from repofill.retrieval import Retriever

from .conftest import approx_tokens, cursor_at

Build = Callable[[str], Retriever]


def test_a_python_cursor_gets_no_typescript_context(indexed: Build) -> None:
    r = indexed("mixed_shop")
    cursor = cursor_at(r.root, "shop/cart.py", "item.price_cents")
    ctx = r.select(cursor, approx_tokens, 2048)
    paths = {s.path for s in ctx.snippets}
    assert paths, "no context at all"
    assert all(p.endswith(".py") for p in paths), paths


def test_javascript_and_typescript_share_context(indexed: Build) -> None:
    r = indexed("mixed_shop")
    cursor = cursor_at(r.root, "web/checkout.js", "item.price_cents")
    ctx = r.select(cursor, approx_tokens, 2048)
    paths = {s.path for s in ctx.snippets}
    assert "web/cart.ts" in paths, paths
    assert not any(p.endswith(".py") for p in paths), paths
