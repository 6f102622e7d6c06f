"""JavaScript, TypeScript and TSX: extraction patterns, import reading, and resolution of
relative specifiers (`./x` → x.ts, x.tsx, x.js, …, or x/index.*). Bare package specifiers name
code outside the repository and resolve to nothing."""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from .index_entries import FileEntry, ImportRef
from .spec import LanguageSpec

if TYPE_CHECKING:
    from .project import Project

_COMMON = (
    "(import_statement) @import",
    "(export_statement source: (string)) @import",
    "(call_expression function: (identifier) @_f arguments: (arguments (string))"
    ' (#eq? @_f "require")) @import',
    "(function_declaration name: (identifier) @name body: (statement_block) @body) @def.function",
    "(generator_function_declaration name: (identifier) @name body: (statement_block) @body)"
    " @def.function",
    "(method_definition name: (_) @name body: (statement_block) @body) @def.function",
    "(program (lexical_declaration (variable_declarator name: (identifier) @name)) @def.variable)",
    "(program (variable_declaration (variable_declarator name: (identifier) @name)) @def.variable)",
    "(program (export_statement declaration: (lexical_declaration"
    " (variable_declarator name: (identifier) @name)) @def.variable))",
    "(string) @string",
)

JS_PATTERNS = (
    *_COMMON,
    "(class_declaration name: (identifier) @name (class_heritage)? @bases body: (class_body) @body)"
    " @def.class",
    "(field_definition property: (_) @name) @def.field",
)

TS_PATTERNS = (
    *_COMMON,
    "(class_declaration name: (type_identifier) @name (class_heritage)? @bases"
    " body: (class_body) @body) @def.class",
    "(abstract_class_declaration name: (type_identifier) @name (class_heritage)? @bases"
    " body: (class_body) @body) @def.class",
    "(interface_declaration name: (type_identifier) @name (extends_type_clause)? @bases"
    " body: (_) @body) @def.class",
    "(type_alias_declaration name: (type_identifier) @name) @def.type",
    "(enum_declaration name: (identifier) @name body: (_) @body) @def.type",
    "(public_field_definition name: (_) @name) @def.field",
    "(property_signature name: (_) @name) @def.field",
    "(method_signature name: (_) @name) @def.function",
    "(abstract_method_signature name: (_) @name) @def.function",
    "(function_signature name: (identifier) @name) @def.function",
    "(type_identifier) @type",
)

_SOURCE_RE = re.compile(r"""(?:from\s*|require\s*\(\s*|import\s*\(?\s*)(['"])([^'"]+)\1""")
_CLAUSE_RE = re.compile(r"^\s*(?:import|export)\s+(?:type\s+)?(.*?)\s*from\s*['\"]", re.S)


def parse_import(text: str, line: int) -> list[ImportRef]:
    m = _SOURCE_RE.search(text)
    if not m:
        return []
    module = m.group(2)
    kind = "export" if text.lstrip().startswith("export") else ""
    clause_m = _CLAUSE_RE.match(text)
    clause = clause_m.group(1) if clause_m else ""
    names: list[tuple[str, str]] = []
    local: str | None = None
    if text.lstrip().startswith(("const", "let", "var")) or "require" in text[: m.start() + 9]:
        # const x = require('./x') / const { a, b: c } = require('./x')
        head = text.split("=", 1)[0]
        head = re.sub(r"^\s*(const|let|var)\s+", "", head).strip()
        clause = head
    brace = re.search(r"\{([^}]*)\}", clause)
    if brace:
        for part in brace.group(1).split(","):
            part = part.strip().removeprefix("type ").strip()
            if not part:
                continue
            bits = re.split(r"\s+as\s+|\s*:\s*", part)
            remote = bits[0].strip()
            loc = bits[-1].strip()
            if kind == "export":
                names.append((loc, remote))  # exported name, name in the source module
            else:
                names.append((loc, remote))
        clause = clause[: brace.start()] + clause[brace.end() :]
    star = re.search(r"\*\s*(?:as\s+(\w+))?", clause)
    if star:
        if star.group(1):
            local = star.group(1)
        elif kind == "export":
            names.append(("*", "*"))
        clause = clause[: star.start()] + clause[star.end() :]
    default = re.match(r"\s*([A-Za-z_$][\w$]*)", clause.replace(",", " "))
    if default and default.group(1) not in ("type", "typeof"):
        if "require" in text and not brace:
            local = default.group(1)  # const x = require('./x'): x is the module
        else:
            names.append((default.group(1), "default"))
    return [ImportRef(module=module, names=tuple(names), local=local, line=line, kind=kind)]


_EXTS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


def resolve(entry: FileEntry, imp: ImportRef, project: Project) -> list[str]:
    spec = imp.module
    if not spec.startswith("."):
        return []
    base = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), spec))
    if base.startswith(".."):
        return []
    paths = project.paths
    if base in paths:
        return [base]
    stem = base
    for js in (".js", ".jsx", ".mjs", ".cjs"):
        if base.endswith(js):  # TS sources import "./x.js" meaning x.ts
            stem = base[: -len(js)]
            break
    for ext in _EXTS:
        if stem + ext in paths:
            return [stem + ext]
    for ext in _EXTS:
        if f"{stem}/index{ext}" in paths:
            return [f"{stem}/index{ext}"]
    return []


_KEYWORDS = frozenset(
    [
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "export",
        "extends",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "let",
        "new",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "async",
        "await",
        "static",
        "get",
        "set",
        "of",
        "from",
        "as",
        "interface",
        "type",
        "enum",
        "implements",
        "public",
        "private",
        "protected",
        "readonly",
        "abstract",
        "declare",
        "namespace",
        "module",
        "keyof",
        "any",
        "number",
        "string",
        "boolean",
        "null",
        "undefined",
        "true",
        "false",
    ]
)

JS_SPEC = LanguageSpec("js", JS_PATTERNS, parse_import, resolve, _KEYWORDS)
TS_SPEC = LanguageSpec("js", TS_PATTERNS, parse_import, resolve, _KEYWORDS)
TSX_SPEC = TS_SPEC
