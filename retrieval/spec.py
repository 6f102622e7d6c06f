"""The per-language knowledge the generic extractor and resolver need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .index_entries import ImportRef

if TYPE_CHECKING:
    from .index_entries import FileEntry
    from .project import Project

ParseImport = Callable[[str, int], list[ImportRef]]
"""(text of an import node, its 0-based line) → imports."""

Resolve = Callable[["FileEntry", ImportRef, "Project"], list[str]]
"""(importing file, import, project) → repository paths the import refers to."""


@dataclass(frozen=True)
class LanguageSpec:
    """Tree-sitter query patterns with standard capture names, and import handling.

    Captures: `@import` (an import statement, given to `parse_import`), `@def.<kind>` with
    `@name` (and optionally `@body`, `@bases`, `@receiver`), `@impl` with `@impl_type` and
    optional `@bases` (Rust impl blocks), `@string`, `@type`, `@package`.
    """

    family: str
    patterns: tuple[str, ...]
    parse_import: ParseImport
    resolve: Resolve
    keywords: frozenset[str] = field(default_factory=frozenset)
    # Same-package files see each other's names without an import (Go, Java).
    package_scoped: bool = False
    # The language's project tables read package declarations (Java's classes by package): a
    # file whose package changes drops them (`Project.invalidate(family)`).
    package_tables: bool = False
