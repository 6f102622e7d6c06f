"""File-name parts for RLPG's Similar Name source: `test_user_model.py` and `UserModel.java`
share `user` and `model`."""

from __future__ import annotations

import re
from functools import lru_cache

_GENERIC_PARTS = frozenset(
    {
        "test",
        "tests",
        "spec",
        "index",
        "mod",
        "init",
        "main",
        "lib",
        "src",
        "py",
        "base",
        "__init__",
    }
)
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|\d+")


def stem(path: str) -> str:
    """The file's name without extension; a package's `__init__`/`index`/`mod` file is named
    after its folder."""
    parts = path.rsplit("/", 2)
    name = parts[-1].split(".", 1)[0]
    if name in ("__init__", "index", "mod") and len(parts) >= 2:
        return parts[-2]
    return name


def name_parts(path: str) -> frozenset[str]:
    words = _WORD.findall(stem(path).replace("-", "_"))
    return frozenset(w.lower() for w in words if len(w) > 1) - _GENERIC_PARTS


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUBWORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def identifier_tokens(text: str) -> list[str]:
    """Whole identifiers (`[A-Za-z_][A-Za-z0-9_]*`), in order, repeats kept, case kept."""
    return _IDENTIFIER.findall(text)


@lru_cache(maxsize=1 << 16)
def _subwords_of(identifier: str) -> tuple[str, ...]:
    return tuple(part.lower() for part in _SUBWORD.findall(identifier))


def subword_set(text: str) -> set[str]:
    """The distinct sub-words of `text`'s identifiers (`subword_tokens` as a set), each distinct
    identifier split once (the index splits every window of every file)."""
    out: set[str] = set()
    for identifier in set(_IDENTIFIER.findall(text)):
        out.update(_subwords_of(identifier))
    return out


def subword_tokens(text: str) -> list[str]:
    """Each identifier split at underscores, at lower-to-upper case changes, at the end of an
    acronym (`HTTPServer` → http, server) and around digit runs, lower-cased; in order, repeats
    kept: `get_trainable_paths` → get, trainable, paths; `CalibStateRepository` → calib, state,
    repository. The tokens the issue's BM25 reference used; on the dev projects they let
    `trainable_paths = ` find windows that call `get_trainable_paths(`."""
    return [part for ident in _IDENTIFIER.findall(text) for part in _subwords_of(ident)]
