"""File-name parts for RLPG's Similar Name source: `test_user_model.py` and `UserModel.java`
share `user` and `model`."""

from __future__ import annotations

import re

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
