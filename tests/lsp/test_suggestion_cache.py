from repofill.lsp.suggestion_cache import SuggestionCache


def test_typing_through_a_suggestion_serves_the_rest() -> None:
    cache = SuggestionCache()
    cache.store("a.py", "return fib", ")\n", ["onacci(n - 1)"])
    assert cache.lookup("a.py", "return fibo", ")\n") == ["nacci(n - 1)"]
    assert cache.lookup("a.py", "return fibonacci(n - ", ")\n") == ["1)"]


def test_typing_something_else_misses() -> None:
    cache = SuggestionCache()
    cache.store("a.py", "return fib", "\n", ["onacci(n)"])
    assert cache.lookup("a.py", "return fibx", "\n") is None
    assert cache.lookup("a.py", "return fibonacci(n)", "\n") is None  # nothing left to show
    assert cache.lookup("a.py", "return fibo", "other suffix") is None
    assert cache.lookup("b.py", "return fibo", "\n") is None
    assert cache.lookup("a.py", "return fib\n", "\n") is None


def test_recent_cursor_is_served_from_the_lru_and_evicted_by_age() -> None:
    cache = SuggestionCache(capacity=2)
    cache.store("a.py", "x = ", "\n", ["1"])
    cache.store("a.py", "y = ", "\n", ["2"])
    assert cache.lookup("a.py", "x = ", "\n") == ["1"]
    cache.store("a.py", "z = ", "\n", ["3"])  # evicts y (x was used more recently)
    assert cache.lookup("a.py", "y = ", "\n") is None
    assert cache.lookup("a.py", "x = ", "\n") == ["1"]


def test_forget_a_document() -> None:
    cache = SuggestionCache()
    cache.store("a.py", "x = ", "\n", ["1"])
    cache.forget("a.py")
    assert cache.lookup("a.py", "x = ", "\n") is None
