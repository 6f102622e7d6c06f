"""The remembering tokenizer: same tokens as tokenizing whole, the head of a line re-used."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from repofill.models.token_cache import MIN_SPLIT_CHARS, TokenCache, lone_break_end

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("a\nb", 2),
        ("a\n\nb", 0),  # beside a blank line: runs of line breaks are single tokens
        ("a\r\nb", 3),
        ("a\r\n\r\nb", 0),
        ("x\ny\n", 2),  # the last break ends the text: the one before it counts
        ("no break", 0),
        ("\nb", 0),
        ("one\ntwo\n\nthree", 4),
    ],
)
def test_lone_break_end(text: str, end: int) -> None:
    assert lone_break_end(text) == end


class CountingTokenizer:
    """Characters as tokens, counting what it was asked to tokenize."""

    def __init__(self) -> None:
        self.characters = 0

    def __call__(self, text: str) -> list[int]:
        self.characters += len(text)
        return [ord(c) for c in text]


def typed_line(head: str, line: str) -> list[str]:
    return [head + line[:k] for k in range(1, len(line) + 1)]


def test_typing_on_a_line_tokenizes_only_the_line() -> None:
    head = "".join(f"line {i} of the file\n" for i in range(100))
    assert len(head) > MIN_SPLIT_CHARS
    tokenizer = CountingTokenizer()
    cache = TokenCache(tokenizer)
    texts = typed_line(head, "    value = compute(x)")
    for text in texts:
        assert cache.tokens(text) == [ord(c) for c in text]
    # The head once, then each key's line: far below tokenizing every text whole.
    whole = sum(len(t) for t in texts)
    assert tokenizer.characters == len(head) + sum(len(t) - len(head) for t in texts)
    assert tokenizer.characters < whole / 10
    assert cache.hits == len(texts) - 1


def test_the_same_text_is_answered_from_memory_and_lists_are_fresh() -> None:
    tokenizer = CountingTokenizer()
    cache = TokenCache(tokenizer)
    first = cache.tokens("short text")
    first.append(0)  # a caller changing its list does not change the cache
    assert cache.tokens("short text") == [ord(c) for c in "short text"]
    assert tokenizer.characters == len("short text")
    assert cache.count("") == 0


def test_the_least_recent_text_is_forgotten() -> None:
    tokenizer = CountingTokenizer()
    cache = TokenCache(tokenizer, capacity=2)
    for text in ("a", "b", "c"):
        cache.tokens(text)
    cache.tokens("a")
    assert tokenizer.characters == 4  # "a" was forgotten and tokenized again


def test_same_tokens_as_the_whole_text_with_the_embedded_model(embedded_model: Path) -> None:
    """On real files and a real vocabulary, head + tail tokens are the whole text's tokens."""
    llama_cpp = pytest.importorskip("llama_cpp")
    llm = llama_cpp.Llama(model_path=str(embedded_model), n_ctx=64, vocab_only=True, verbose=False)

    def whole(text: str) -> list[int]:
        return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    cache = TokenCache(whole)
    rng = random.Random(0)
    files = sorted((REPO / "lsp").glob("*.py")) + sorted((REPO / "models").glob("*.py"))
    checked = 0
    for path in files[:30]:
        text = path.read_text(encoding="utf-8")[:6000]
        if len(text) < 2 * MIN_SPLIT_CHARS:
            continue
        for _ in range(3):
            cut = rng.randrange(len(text) // 2, len(text))
            assert cache.tokens(text[:cut]) == whole(text[:cut]), (path, cut)
            checked += 1
    assert checked >= 60
