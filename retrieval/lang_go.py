"""Go: extraction patterns, import specs, and resolution through the module path of `go.mod`
(an import path under the module names a folder; all its non-test files are the package)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .index_entries import FileEntry, ImportRef
from .spec import LanguageSpec

if TYPE_CHECKING:
    from .project import Project

PATTERNS = (
    "(package_clause (package_identifier) @package)",
    "(import_spec) @import",
    "(function_declaration name: (identifier) @name body: (block) @body) @def.function",
    "(method_declaration receiver: (parameter_list) @receiver name: (field_identifier) @name"
    " body: (block) @body) @def.method",
    "(type_declaration (type_spec name: (type_identifier) @name type: (struct_type) @body))"
    " @def.class",
    "(type_declaration (type_spec name: (type_identifier) @name type: (interface_type) @body))"
    " @def.class",
    "(type_declaration (type_spec name: (type_identifier) @name type: [(type_identifier)"
    " (qualified_type) (function_type) (map_type) (slice_type) (pointer_type)]))"
    " @def.type",
    "(field_declaration name: (field_identifier) @name) @def.field",
    "(source_file (const_declaration (const_spec name: (identifier) @name) @def.variable))",
    "(source_file (var_declaration (var_spec name: (identifier) @name) @def.variable))",
    "(interpreted_string_literal) @string",
    "(type_identifier) @type",
)

_SPEC_RE = re.compile(r'^\s*([\w.]+)?\s*"([^"]+)"')
_MODULE_RE = re.compile(r"^\s*module\s+(\S+)", re.M)


def parse_import(text: str, line: int) -> list[ImportRef]:
    m = _SPEC_RE.match(text)
    if not m:
        return []
    alias, path = m.group(1), m.group(2)
    local = alias if alias and alias not in ("_", ".") else path.rsplit("/", 1)[-1]
    return [ImportRef(module=path, local=local, line=line)]


def modules(project: Project) -> list[tuple[str, str]]:
    """(folder, module path) for every go.mod above a Go file, deepest folder first. Cached
    until the file set changes."""

    def build() -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        folders = {p.rpartition("/")[0] for p in project.paths if p.endswith(".go")}
        candidates: set[str] = set()
        for f in folders:
            parts = f.split("/") if f else []
            for i in range(len(parts) + 1):
                candidates.add("/".join(parts[:i]))
        for folder in candidates:
            text = project.read_small(folder, "go.mod")
            m = _MODULE_RE.search(text) if text else None
            if m:
                out.append((folder, m.group(1).strip('"')))
        out.sort(key=lambda fm: -len(fm[0]))
        return out

    return project.table("go", build)


def resolve(entry: FileEntry, imp: ImportRef, project: Project) -> list[str]:
    for mod_dir, mod_path in modules(project):
        if imp.module == mod_path or imp.module.startswith(mod_path + "/"):
            rel = imp.module[len(mod_path) :].strip("/")
            folder = "/".join(p for p in (mod_dir, rel) if p)
            return [
                p
                for p in project.by_dir.get(folder, [])
                if p.endswith(".go") and not p.endswith("_test.go")
            ]
    return []


KEYWORDS = frozenset(
    [
        "break",
        "case",
        "chan",
        "const",
        "continue",
        "default",
        "defer",
        "else",
        "fallthrough",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "import",
        "interface",
        "map",
        "package",
        "range",
        "return",
        "select",
        "struct",
        "switch",
        "type",
        "var",
    ]
)
"""The Go specification's keywords."""
_KEYWORDS = KEYWORDS | {"nil", "true", "false"}
"""Left out of identifier sets: the keywords and the predeclared nil, true, false."""

SPEC = LanguageSpec("go", PATTERNS, parse_import, resolve, _KEYWORDS, package_scoped=True)
