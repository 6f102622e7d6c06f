"""Which language a file is in, and tree-sitter parsers for the languages we understand.

Grammars come from the official wheels (`tree-sitter-python`, …), which ship compiled code and
need no network. Parsers are not thread-safe, so each thread gets its own.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from functools import cache
from pathlib import PurePath

from tree_sitter import Language, Parser

# language id -> (grammar module, function returning the grammar capsule)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}

_EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
}

# LSP languageId values that differ from ours.
_LSP_IDS: dict[str, str] = {
    "javascriptreact": "javascript",
    "typescriptreact": "tsx",
    "c++": "cpp",
}


def language_for_path(path: str | PurePath) -> str | None:
    """Our language id for a file name, or None when we have no grammar for it."""
    return _EXTENSIONS.get(PurePath(path).suffix.lower())


def language_for(path: str | PurePath, lsp_language_id: str | None = None) -> str:
    """Language from the file name first, then the editor's languageId; `plaintext` if unknown."""
    by_path = language_for_path(path)
    if by_path:
        return by_path
    if lsp_language_id:
        lang = _LSP_IDS.get(lsp_language_id, lsp_language_id)
        if lang in _GRAMMARS:
            return lang
        return lsp_language_id
    return "plaintext"


@cache
def grammar(language: str) -> Language | None:
    """The tree-sitter Language for an id, or None when its grammar wheel is missing."""
    spec = _GRAMMARS.get(language)
    if spec is None:
        return None
    module_name, func_name = spec
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    factory: Callable[[], object] = getattr(module, func_name)
    return Language(factory())


_local = threading.local()


def parser(language: str) -> Parser | None:
    """A parser for this thread, or None when the language has no grammar."""
    cache: dict[str, Parser] = _local.__dict__.setdefault("parsers", {})
    found = cache.get(language)
    if found is None:
        lang = grammar(language)
        if lang is None:
            return None
        found = Parser(lang)
        cache[language] = found
    return found


def available_grammars() -> dict[str, bool]:
    """For `repofill doctor`: which grammars load."""
    return {lang: grammar(lang) is not None for lang in _GRAMMARS}
