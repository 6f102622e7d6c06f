"""Java: extraction patterns, imports, and resolution by package declaration and class name."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .index_entries import FileEntry, ImportRef
from .spec import LanguageSpec

if TYPE_CHECKING:
    from .project import Project

PATTERNS = (
    "(package_declaration (_) @package)",
    "(import_declaration) @import",
    "(class_declaration name: (identifier) @name superclass: (superclass)? @bases"
    " interfaces: (super_interfaces)? @bases2 body: (class_body) @body) @def.class",
    "(interface_declaration name: (identifier) @name (extends_interfaces)? @bases"
    " body: (interface_body) @body) @def.class",
    "(enum_declaration name: (identifier) @name body: (enum_body) @body) @def.class",
    "(record_declaration name: (identifier) @name body: (class_body) @body) @def.class",
    "(method_declaration name: (identifier) @name body: (block)? @body) @def.function",
    "(constructor_declaration name: (identifier) @name body: (constructor_body) @body)"
    " @def.function",
    "(field_declaration declarator: (variable_declarator name: (identifier) @name)) @def.field",
    "(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @def.field",
    "(string_literal) @string",
    "(type_identifier) @type",
)

_IMPORT_RE = re.compile(r"^\s*import\s+(static\s+)?([\w.]+)(\.\*)?\s*;")


def parse_import(text: str, line: int) -> list[ImportRef]:
    m = _IMPORT_RE.match(text)
    if not m:
        return []
    is_static, name, star = m.group(1), m.group(2), m.group(3)
    kind = "static" if is_static else ""
    if star:
        return [ImportRef(module=name, names=(("*", "*"),), line=line, kind=kind)]
    last = name.rsplit(".", 1)[-1]
    return [ImportRef(module=name, names=((last, last),), line=line, kind=kind)]


def classes_by_package(project: Project) -> dict[tuple[str, str], str]:
    """(package, class name) → file, for every Java file of the project (a file's class is its
    name: `a/b/Foo.java` declaring `package a.b;` gives ("a.b", "Foo")). Cached until the file
    set or a file's package changes."""

    def build() -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for p in project.paths:
            if p.endswith(".java"):
                entry = project.entry(p)
                if entry is not None:
                    stem = p.rsplit("/", 1)[-1][:-5]
                    out[(entry.parsed.package or "", stem)] = p
        return out

    return project.table("java", build)


def resolve(entry: FileEntry, imp: ImportRef, project: Project) -> list[str]:
    classes = classes_by_package(project)
    parts = imp.module.split(".")
    if imp.names and imp.names[0][0] == "*":
        pkg = imp.module
        found = [p for (k, _), p in classes.items() if k == pkg]
        if found or imp.kind != "static":
            return sorted(found)
    # a.b.C, a.b.C.Inner, or (static) a.b.C.member: the longest prefix naming a class
    for cut in range(len(parts) - 1, 0, -1):
        hit = classes.get((".".join(parts[:cut]), parts[cut]))
        if hit:
            return [hit]
    return []


_KEYWORDS = frozenset(
    [
        "abstract",
        "assert",
        "boolean",
        "break",
        "byte",
        "case",
        "catch",
        "char",
        "class",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extends",
        "final",
        "finally",
        "float",
        "for",
        "goto",
        "if",
        "implements",
        "import",
        "instanceof",
        "int",
        "interface",
        "long",
        "native",
        "new",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "short",
        "static",
        "strictfp",
        "super",
        "switch",
        "synchronized",
        "this",
        "throw",
        "throws",
        "transient",
        "try",
        "void",
        "volatile",
        "while",
        "var",
        "record",
        "null",
        "true",
        "false",
    ]
)

SPEC = LanguageSpec(
    "java", PATTERNS, parse_import, resolve, _KEYWORDS, package_scoped=True, package_tables=True
)
