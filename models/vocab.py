"""Special tokens of a loaded llama.cpp model, and tokenization of rendered FIM pieces.

Facts about llama.cpp (0.3.x bindings) this relies on:
- `llama_vocab_get_attr` gives a token's attributes; CONTROL marks special tokens. llama.cpp
  itself retypes the FIM tokens it recognises to CONTROL when the GGUF typed them otherwise.
- `llama_tokenize(..., parse_special=False)` never produces CONTROL tokens, but it still matches
  USER_DEFINED tokens in raw text, so text is checked for the special ones separately (`_plain`).
- SentencePiece vocabularies with `add_space_prefix` put a "▁" before every separately tokenized
  text; pieces here are literal, so that implicit space is removed (`_literal`).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import llama_cpp

from .fim import FORMATS, FimFormat, Piece, Special
from .token_cache import TokenCache

_SPECIAL_ATTRS = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED
# Characters tried, in order, as a throw-away first character to suppress SentencePiece's
# implicit leading space (Meta's CodeLlama code uses "☺" for the same purpose).
_SENTINELS = ("\n", "☺", "a")
_FIM_STRINGS = frozenset(s for fmt in FORMATS.values() for s in fmt.special_tokens)


@dataclass(frozen=True)
class _VocabInfo:
    by_text: dict[str, int]
    """Special (control or user-defined) tokens by text; `▁<PRE>` is also found as `<PRE>`."""
    control: frozenset[int]
    eog: frozenset[int]
    guarded: frozenset[int]
    """Tokens that must never come out of tokenizing user text."""
    implicit_space: bool


_cache: weakref.WeakKeyDictionary[Any, _VocabInfo] = weakref.WeakKeyDictionary()


def _vocab(llm: Any) -> Any:
    return llm._model.vocab


def _info(llm: Any) -> _VocabInfo:
    """Scan the vocabulary once per model (about a few hundred ms for 256k tokens)."""
    info = _cache.get(llm)
    if info is not None:
        return info
    vocab = _vocab(llm)
    by_text: dict[str, int] = {}
    stripped: dict[str, int] = {}
    control: set[int] = set()
    eog: set[int] = set()
    for token in range(llama_cpp.llama_vocab_n_tokens(vocab)):
        attr = llama_cpp.llama_vocab_get_attr(vocab, token)
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            eog.add(token)
        if not attr & _SPECIAL_ATTRS:
            continue
        if attr & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL:
            control.add(token)
        text = llama_cpp.llama_vocab_get_text(vocab, token).decode("utf-8", "replace")
        by_text.setdefault(text, token)
        if text.startswith("▁") and len(text) > 1:
            stripped.setdefault(text[1:], token)
    for text, token in stripped.items():
        by_text.setdefault(text, token)
    for token in (llama_cpp.llama_vocab_eos(vocab), llama_cpp.llama_vocab_eot(vocab)):
        if token >= 0:
            eog.add(token)
    fim_ids = {token for text, token in by_text.items() if text in _FIM_STRINGS}
    sample = llm.tokenize(b"a", add_bos=False, special=False)
    implicit_space = bytes(llm.detokenize(sample)) == b" a"
    info = _VocabInfo(
        by_text=by_text,
        control=frozenset(control),
        eog=frozenset(eog),
        guarded=frozenset(control | eog | fim_ids),
        implicit_space=implicit_space,
    )
    _cache[llm] = info
    return info


def special_token_id(llm: Any, text: str) -> int | None:
    """The id of `text` when it is one special (control or user-defined) token, else None."""
    return _info(llm).by_text.get(text)


def is_control(llm: Any, token_id: int) -> bool:
    return token_id in _info(llm).control


def stop_token_ids(llm: Any, fmt: FimFormat | None) -> frozenset[int]:
    """Every token that ends generation: eos/eot and llama.cpp's end-of-generation set, all
    control tokens, every FIM-family token string the vocabulary has (even when typed
    USER_DEFINED), and the format's stop tokens. A special token must never reach the editor.

    Other USER_DEFINED tokens are not stops: vocabularies use them for ordinary text (Gemma's
    runs of newlines and tabs, DeepSeek's accented letters).
    """
    info = _info(llm)
    stops = set(info.guarded)
    if fmt is not None:
        for text in fmt.special_tokens:
            token = info.by_text.get(text)
            if token is not None:
                stops.add(token)
    return frozenset(stops)


_token_caches: weakref.WeakKeyDictionary[Any, TokenCache] = weakref.WeakKeyDictionary()


def token_cache(llm: Any) -> TokenCache:
    """The model's tokenizer, with recent texts remembered (`token_cache.TokenCache`)."""
    cache = _token_caches.get(llm)
    if cache is None:

        def tokenize(text: str) -> list[int]:
            return list(llm.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=False))

        cache = TokenCache(tokenize)
        _token_caches[llm] = cache
    return cache


def _tokenize(llm: Any, text: str) -> list[int]:
    return token_cache(llm).tokens(text)


def _detok(llm: Any, tokens: Sequence[int]) -> bytes:
    return bytes(llm.detokenize(list(tokens), special=True))


def _literal(llm: Any, text: str, info: _VocabInfo) -> list[int]:
    """Tokens that read exactly `text` (no SentencePiece implicit leading space)."""
    if not text:
        return []
    if not info.implicit_space:
        return _tokenize(llm, text)
    # What the text reads as once tokenized (SentencePiece reads a literal "▁" as a space).
    default = _tokenize(llm, text)
    reads = _detok(llm, default)
    want = reads[1:] if reads.startswith(b" ") else reads
    for sentinel in _SENTINELS:
        head = _tokenize(llm, sentinel)
        ids = _tokenize(llm, sentinel + text)
        if ids[: len(head)] == head and _detok(llm, ids[len(head) :]) == want:
            return ids[len(head) :]
    if text.startswith(" "):
        return _tokenize(llm, text[1:])  # the implicit space stands for the real one
    return default  # cannot avoid the extra space; better than failing


def _plain(llm: Any, text: str, info: _VocabInfo, *, literal: bool = True) -> list[int]:
    """Tokenize user text; a special-token string in it stays text (split so it cannot match)."""
    ids = _literal(llm, text, info) if literal else _tokenize(llm, text)
    bad = next((t for t in ids if t in info.guarded), None)
    if bad is None:
        return ids
    special = _detok(llm, [bad]).decode("utf-8", "replace").lstrip(" ")
    at = text.find(special) if special else -1
    if at < 0 or len(special) < 2:
        return ids
    end = at + len(special)
    return [
        *_plain(llm, text[:at], info, literal=literal),
        *_plain(llm, special[:1], info, literal=literal or at > 0),
        *_plain(llm, special[1:], info),
        *_plain(llm, text[end:], info),
    ]


def tokenize_pieces(llm: Any, pieces: Sequence[Piece], add_bos: bool) -> list[int]:
    """Token ids for a rendered prompt: `Special` pieces by id, text never parsed for specials.

    Text pieces are literal. The one exception is text at the very start of the prompt, which is
    tokenized the model's default way (with SentencePiece's leading space where the vocabulary
    asks for it), as documents were during training.
    """
    info = _info(llm)
    ids: list[int] = []
    if add_bos:
        bos = llama_cpp.llama_vocab_bos(_vocab(llm))
        if bos >= 0:
            ids.append(bos)
    for index, piece in enumerate(pieces):
        if isinstance(piece, Special):
            token = info.by_text.get(piece.text)
            if token is None:
                raise ValueError(f"{piece.text!r} is not a special token of this model")
            ids.append(token)
        else:
            ids += _plain(llm, piece, info, literal=index > 0)
    return ids
