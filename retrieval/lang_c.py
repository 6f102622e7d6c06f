"""C and C++: extraction patterns and `#include "…"` resolution (next to the including file,
then any repository file whose path ends with the included path)."""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from .index_entries import FileEntry, ImportRef
from .spec import LanguageSpec

if TYPE_CHECKING:
    from .project import Project

_COMMON = (
    "(preproc_include path: (string_literal)) @import",
    "(function_definition declarator: (function_declarator declarator: (identifier) @name)"
    " body: (compound_statement) @body) @def.function",
    "(declaration declarator: (function_declarator declarator: (identifier) @name)) @def.function",
    "(struct_specifier name: (type_identifier) @name body: (field_declaration_list) @body)"
    " @def.class",
    "(enum_specifier name: (type_identifier) @name body: (enumerator_list) @body) @def.type",
    "(type_definition declarator: (type_identifier) @name) @def.type",
    "(field_declaration declarator: (field_identifier) @name) @def.field",
    "(string_literal) @string",
    "(type_identifier) @type",
)

C_PATTERNS = _COMMON
CPP_PATTERNS = (
    *_COMMON,
    "(class_specifier name: (type_identifier) @name (base_class_clause)? @bases"
    " body: (field_declaration_list) @body) @def.class",
    "(struct_specifier name: (type_identifier) @name (base_class_clause) @bases"
    " body: (field_declaration_list) @body) @def.class",
    "(function_definition declarator: (function_declarator declarator: (qualified_identifier"
    " scope: (_) @qualifier name: (_) @name)) body: (compound_statement) @body) @def.function",
    "(field_declaration declarator: (function_declarator declarator: (field_identifier) @name))"
    " @def.function",
)

_INCLUDE_RE = re.compile(r'#\s*include\s*"([^"]+)"')


def parse_import(text: str, line: int) -> list[ImportRef]:
    m = _INCLUDE_RE.search(text)
    return [ImportRef(module=m.group(1), line=line, kind="include")] if m else []


def resolve(entry: FileEntry, imp: ImportRef, project: Project) -> list[str]:
    near = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), imp.module))
    if near in project.paths:
        return [near]
    name = imp.module.rsplit("/", 1)[-1]
    found = [
        p for p in project.by_name.get(name, []) if p == imp.module or p.endswith("/" + imp.module)
    ]
    return found[:1]


_KEYWORDS = frozenset(
    [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "class",
        "namespace",
        "template",
        "typename",
        "public",
        "private",
        "protected",
        "virtual",
        "override",
        "new",
        "delete",
        "this",
        "nullptr",
        "true",
        "false",
        "bool",
        "using",
    ]
)

C_SPEC = LanguageSpec("c", C_PATTERNS, parse_import, resolve, _KEYWORDS)
CPP_SPEC = LanguageSpec("c", CPP_PATTERNS, parse_import, resolve, _KEYWORDS)
