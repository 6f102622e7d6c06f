"""Python: import resolution, RLPG relations and selection on the `py_shop` fixture project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from repofill.retrieval import Retriever, format_context
from repofill.retrieval.extract import extract
from repofill.retrieval.types import Context

from .conftest import approx_tokens, cursor_at

Build = Callable[[str], Retriever]


def _targets(r: Retriever, path: str) -> dict[str, list[str]]:
    entry = r.index.entries[path]
    return {imp.module: targets for imp, targets in r.index.resolved_imports(entry)}


def test_extracts_classes_methods_fields_and_imports() -> None:
    parsed = extract(
        "python", Path(__file__).parent.joinpath("fixtures/py_shop/src/shop/models.py").read_text()
    )
    by_name = {(d.parent, d.name): d for d in parsed.definitions}
    assert by_name[(None, "Product")].bases == ("Record",)
    assert by_name[("Product", "price_with_tax")].kind == "method"
    assert by_name[("Product", "currency")].kind == "field"
    assert by_name[("Record", "record_id")].kind == "field"  # self.record_id = …
    assert by_name[(None, "TAX_RATE")].kind == "variable"
    assert [i.module for i in parsed.imports] == ["dataclasses"]


def test_relative_absolute_and_src_layout_imports_resolve(indexed: Build) -> None:
    r = indexed("py_shop")
    pricing = _targets(r, "src/shop/pricing.py")
    assert pricing["."] == ["src/shop/__init__.py", "src/shop/util.py"]
    assert pricing[".models"] == ["src/shop/models.py"]
    seasonal = _targets(r, "src/shop/seasonal_discount.py")
    assert seasonal["shop.discount_base"] == ["src/shop/discount_base.py"]
    assert _targets(r, "tests/test_pricing.py")["shop.pricing"] == ["src/shop/pricing.py"]
    assert _targets(r, "src/shop/models.py")["dataclasses"] == []  # the standard library


def test_names_are_chased_through_package_reexports(indexed: Build) -> None:
    r = indexed("py_shop")
    hit = r.index.find_definition("src/shop/__init__.py", "Product")
    assert hit is not None
    assert (hit[0].path, hit[1].name) == ("src/shop/models.py", "Product")


def _by(ctx: Context, source: str, ctype: str | None = None) -> list[str]:
    return [
        s.path
        for s in ctx.snippets
        if s.source == source and (ctype is None or s.context_type == ctype)
    ]


def test_selection_holds_the_imported_definition(indexed: Build) -> None:
    r = indexed("py_shop")
    cursor = cursor_at(r.root, "tests/test_pricing.py", "total_price(items)")
    ctx = r.select(cursor, approx_tokens, 512)
    texts = "\n".join(s.text for s in ctx.snippets if s.path == "src/shop/pricing.py")
    assert "def total_price(products: list[Product]) -> float:" in texts
    assert ctx.used_tokens <= 512
    assert sum(s.tokens for s in ctx.snippets) == ctx.used_tokens


def test_module_attribute_use_brings_the_attribute_definition(indexed: Build) -> None:
    r = indexed("py_shop")
    cursor = cursor_at(r.root, "src/shop/pricing.py", "util.round_money(total)", cut_line=False)
    ctx = r.select(cursor, approx_tokens, 512)
    util = [s.text for s in ctx.snippets if s.path == "src/shop/util.py" and s.source == "import"]
    assert util and "def round_money(value: float) -> float:" in util[0]


def test_parent_class_and_its_import(indexed: Build) -> None:
    r = indexed("py_shop")
    cursor = cursor_at(r.root, "src/shop/seasonal_discount.py", "return product.price > 10")
    ctx = r.select(cursor, approx_tokens, 1024)
    parents = [s for s in ctx.snippets if s.source == "parent_class"]
    assert parents and parents[0].path == "src/shop/discount_base.py"
    sig = next(s.text for s in parents if s.context_type == "signatures")
    assert "class Discount:" in sig and "def apply(self, product: Product) -> float:" in sig


def test_child_classes_of_the_current_class(indexed: Build) -> None:
    r = indexed("py_shop")
    cursor = cursor_at(r.root, "src/shop/discount_base.py", "return True")
    ctx = r.select(cursor, approx_tokens, 1024)
    assert "src/shop/seasonal_discount.py" in _by(ctx, "child_class")


def test_siblings_share_an_import_and_similar_names_share_a_word(indexed: Build) -> None:
    r = indexed("py_shop")
    cursor = cursor_at(r.root, "src/shop/pricing.py", "return util.round_money(total)")
    ctx = r.select(cursor, approx_tokens, 2048)
    siblings = _by(ctx, "sibling")
    assert siblings and all(p.startswith("src/shop/") for p in siblings)
    assert "src/shop/util.py" not in siblings  # util imports nothing the file imports
    cursor = cursor_at(r.root, "tests/test_pricing.py", "assert total_price")
    ctx = r.select(cursor, approx_tokens, 2048)
    assert "src/shop/pricing.py" in {s.path for s in ctx.snippets}
    from repofill.retrieval.naming import name_parts

    assert name_parts("tests/test_pricing.py") == name_parts("src/shop/pricing.py") == {"pricing"}
    assert name_parts("src/SeasonalDiscount.java") == {"seasonal", "discount"}


def test_current_file_sources_skip_what_the_engine_already_shows(indexed: Build) -> None:
    r = indexed("py_shop")
    cursor = cursor_at(r.root, "src/shop/models.py", "return self.price * (1 + TAX_RATE)")
    ctx = r.select(cursor, approx_tokens, 2048)
    assert not _by(ctx, "current")  # the whole file is inside the prefix/suffix windows


def test_order_puts_stable_snippets_first_and_windows_last(indexed: Build) -> None:
    r = indexed("py_shop")
    cursor = cursor_at(r.root, "src/shop/seasonal_discount.py", "return product.price > 10")
    ctx = r.select(cursor, approx_tokens, 2048)
    tiers = [
        0 if s.source not in ("current", "similar_window") else (1 if s.source == "current" else 2)
        for s in ctx.snippets
    ]
    assert tiers == sorted(tiers)
    windows = [s.score for s in ctx.snippets if s.source == "similar_window"]
    assert windows == sorted(windows)
    # a small cursor move keeps the stable part of the prompt in the same order
    moved = cursor_at(r.root, "src/shop/seasonal_discount.py", "> 10")
    again = r.select(moved, approx_tokens, 2048)
    stable = [(s.source, s.path) for s in ctx.snippets if s.source != "similar_window"]
    stable_again = [(s.source, s.path) for s in again.snippets if s.source != "similar_window"]
    assert stable == stable_again


def test_budget_is_respected_at_every_size(indexed: Build) -> None:
    r = indexed("py_shop")
    cursor = cursor_at(r.root, "tests/test_pricing.py", "total_price(items)")
    for budget in (0, 20, 64, 128, 512):
        ctx = r.select(cursor, approx_tokens, budget)
        assert ctx.used_tokens <= budget
        assert all(s.tokens == approx_tokens(s.text) for s in ctx.snippets)


def test_updates_and_removals_change_what_is_selected(indexed: Build) -> None:
    r = indexed("py_shop")
    root = r.root
    util = root / "src/shop/util.py"
    util.write_text("def round_money(value: float, digits: int = 2) -> float:\n    return value\n")
    r.update_file(util)
    cursor = cursor_at(root, "src/shop/pricing.py", "util.round_money(total)", cut_line=False)
    text = " ".join(s.text for s in r.select(cursor, approx_tokens, 1024).snippets)
    assert "digits: int = 2" in text
    r.update_file(root / "src/shop/new_mod.py", "def fresh() -> int:\n    return 1\n")
    assert "src/shop/new_mod.py" in r.index.entries
    r.remove_file(util)
    assert "src/shop/util.py" not in r.index.entries
    assert _targets(r, "src/shop/pricing.py")["."] == ["src/shop/__init__.py"]


def test_unsaved_editor_text_is_used_for_the_current_file(indexed: Build) -> None:
    r = indexed("py_shop")
    path = r.root / "src/shop/pricing.py"
    text = "from .discount_base import Discount\n\nd = Discount()\nd.\n"
    from repofill.retrieval.types import Cursor

    ctx = r.select(Cursor(text, len(text) - 1, path, "python"), approx_tokens, 512)
    assert "src/shop/discount_base.py" in {s.path for s in ctx.snippets if s.source == "import"}


def test_format_context_shows_provenance(indexed: Build) -> None:
    r = indexed("py_shop")
    ctx = r.select(
        cursor_at(r.root, "tests/test_pricing.py", "total_price(items)"), approx_tokens, 512
    )
    out = format_context(ctx)
    headers = [line for line in out.splitlines() if line.startswith("## [")]
    assert len(headers) == len(ctx.snippets)
    first = ctx.snippets[0]
    assert (
        f"source={first.source} type={first.context_type} path={first.path}"
        f" score={first.score:.3f} tokens={first.tokens}"
    ) in headers[0]
    assert first.text in out


def test_each_snippet_says_why_it_was_chosen(indexed: Build) -> None:
    """`repofill context` gives each snippet's score parts, and they multiply to its score."""
    from repofill.retrieval.priors import FLOOR

    r = indexed("py_shop")
    ctx = r.select(
        cursor_at(r.root, "tests/test_pricing.py", "total_price(items)"), approx_tokens, 512
    )
    assert ctx.snippets
    whys = [line for line in format_context(ctx).splitlines() if line.startswith("# why: ")]
    assert len(whys) == len(ctx.snippets)
    for snippet, why in zip(ctx.snippets, whys, strict=True):
        assert 0 < snippet.prior <= 1 and 0 <= snippet.relevance <= 1, snippet
        expected = snippet.prior * (FLOOR + (1 - FLOOR) * snippet.relevance)
        assert abs(expected - snippet.score) < 1e-3, snippet
        assert (
            f"prior {snippet.prior:.2f}" in why
            and f"relevance to the cursor {snippet.relevance:.2f}" in why
        )


def test_disk_cache_makes_a_restart_reuse_parses(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = project("py_shop")
    cache = tmp_path / "c"
    first = Retriever(root, cache)
    first.build()
    assert first.cache_hits == 0
    second = Retriever(root, cache)
    second.build()
    assert second.cache_hits == second.file_count == first.file_count
    for f in cache.iterdir():
        f.write_bytes(b"not a pickle")
    third = Retriever(root, cache)
    third.build()  # a corrupt cache is ignored, not fatal
    assert third.cache_hits == 0 and third.file_count == first.file_count


def test_unwritable_cache_is_not_fatal(project: Callable[[str], Path], tmp_path: Path) -> None:
    root = project("py_shop")
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    r = Retriever(root, blocker / "cache")
    r.build()
    assert r.file_count > 0


def test_build_reports_progress_and_can_be_cancelled(project: Callable[[str], Path]) -> None:
    import threading

    root = project("py_shop")
    seen: list[tuple[int, int]] = []
    r = Retriever(root, use_cache=False)
    r.build(progress=lambda done, total: seen.append((done, total)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] == r.file_count
    stop = threading.Event()
    stop.set()
    cancelled = Retriever(root, use_cache=False)
    cancelled.build(cancel=stop)
    assert cancelled.file_count == 0
