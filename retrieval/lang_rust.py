"""Rust: extraction patterns, `use`/`mod` reading, and resolution through the crate's module
tree (`crate::`, `self::`, `super::`, `mod x;` → x.rs or x/mod.rs, sibling workspace crates)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .index_entries import FileEntry, ImportRef
from .spec import LanguageSpec

if TYPE_CHECKING:
    from .project import Project

PATTERNS = (
    "(use_declaration) @import",
    "(mod_item name: (identifier) !body) @import",
    "(struct_item name: (type_identifier) @name body: (_)? @body) @def.class",
    "(enum_item name: (type_identifier) @name body: (_) @body) @def.class",
    "(union_item name: (type_identifier) @name body: (_) @body) @def.class",
    "(trait_item name: (type_identifier) @name body: (_) @body) @def.class",
    "(impl_item trait: (_)? @bases type: (_) @impl_type body: (declaration_list)) @impl",
    "(function_item name: (identifier) @name body: (block) @body) @def.function",
    "(function_signature_item name: (identifier) @name) @def.function",
    "(const_item name: (identifier) @name) @def.variable",
    "(static_item name: (identifier) @name) @def.variable",
    "(type_item name: (type_identifier) @name) @def.type",
    "(field_declaration name: (field_identifier) @name) @def.field",
    "(macro_definition name: (identifier) @name) @def.function",
    "(string_literal) @string",
    "(type_identifier) @type",
)


def _split_top(s: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [p.strip() for p in out if p.strip()]


def _expand(prefix: list[str], tree: str, out: list[tuple[list[str], str, str]]) -> None:
    """Flatten a use tree into (path, local name, remote name) triples."""
    tree = tree.strip()
    brace = tree.find("{")
    if brace != -1 and tree.endswith("}"):
        head = [p for p in tree[:brace].split("::") if p]
        for part in _split_top(tree[brace + 1 : -1]):
            _expand(prefix + head, part, out)
        return
    alias = None
    m = re.match(r"^(.*?)\s+as\s+(\w+)$", tree)
    if m:
        tree, alias = m.group(1), m.group(2)
    parts = [p.strip() for p in tree.split("::") if p.strip()]
    if not parts:
        return
    full = prefix + parts
    if full[-1] == "self":
        full = full[:-1]
        out.append((full, alias or full[-1], "self"))
        return
    out.append((full, alias or full[-1], full[-1]))


def parse_import(text: str, line: int) -> list[ImportRef]:
    text = re.sub(r"//[^\n]*", "", text)
    m = re.match(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text)
    if m:
        return [ImportRef(module=m.group(1), local=m.group(1), line=line, kind="mod")]
    m = re.match(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+(.*?);?\s*$", text, re.S)
    if not m:
        return []
    triples: list[tuple[list[str], str, str]] = []
    _expand([], m.group(1).strip().rstrip(";"), triples)
    out: list[ImportRef] = []
    for path, local, remote in triples:
        if remote == "*":
            out.append(ImportRef("::".join(path[:-1]), (("*", "*"),), None, line, "use"))
        elif remote == "self":
            out.append(ImportRef("::".join(path), (), local, line, "use"))
        else:
            out.append(ImportRef("::".join(path), ((local, remote),), None, line, "use"))
    return out


def module_path(path: str, crate_src: str) -> list[str]:
    rel = path[len(crate_src) + 1 :] if crate_src else path
    parts = rel[:-3].split("/") if rel.endswith(".rs") else rel.split("/")
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


RustCrate = tuple[str, dict[tuple[str, ...], str]]
"""(src folder, module path → file)."""

_CRATE_NAME_RE = re.compile(r'^\s*name\s*=\s*"([^"]+)"', re.M)


def crates(project: Project) -> dict[str, RustCrate]:
    """Crate name (dashes as underscores) → (src folder, module path → file), for every `src`
    folder holding Rust files; the name comes from the Cargo.toml beside it, else the folder.
    Cached until the file set changes."""

    def build() -> dict[str, RustCrate]:
        roots: dict[str, str] = {}
        for p in project.paths:
            if not p.endswith(".rs"):
                continue
            parts = p.split("/")
            if "src" in parts:
                i = len(parts) - 1 - parts[::-1].index("src")
                roots.setdefault("/".join(parts[:i]), "/".join(parts[: i + 1]))
        out: dict[str, RustCrate] = {}
        for folder, src in roots.items():
            text = project.read_small(folder, "Cargo.toml")
            m = _CRATE_NAME_RE.search(text or "")
            name = (m.group(1) if m else (folder.rsplit("/", 1)[-1] or "crate")).replace("-", "_")
            mods: dict[tuple[str, ...], str] = {}
            for p in project.paths:
                if p.startswith(src + "/") and p.endswith(".rs"):
                    key = tuple(module_path(p, src))
                    if key not in mods or p.endswith(("lib.rs", "mod.rs")):
                        mods[key] = p
            out[name] = (src, mods)
        return out

    return project.table("rust", build)


def crate_of(project: Project, path: str) -> RustCrate | None:
    """The crate whose src folder holds `path` (the deepest one), or None."""
    best: RustCrate | None = None
    for crate in crates(project).values():
        if path.startswith(crate[0] + "/") and (best is None or len(crate[0]) > len(best[0])):
            best = crate
    return best


def resolve(entry: FileEntry, imp: ImportRef, project: Project) -> list[str]:
    crate = crate_of(project, entry.path)
    if crate is None:
        return []
    src, modules = crate
    here = module_path(entry.path, src)
    if imp.kind == "mod":
        hit = modules.get((*here, imp.module))
        return [hit] if hit else []
    segs = imp.module.split("::") if imp.module else []
    if not segs:
        return []
    if segs[0] == "crate":
        segs = segs[1:]
    elif segs[0] == "self":
        segs = here + segs[1:]
    elif segs[0] == "super":
        up = here
        while segs and segs[0] == "super":
            up = up[:-1]
            segs = segs[1:]
        segs = up + segs
    else:
        other = crates(project).get(segs[0].replace("-", "_"))
        if other is not None:
            modules = other[1]
            segs = segs[1:]
        elif tuple(segs[:1]) not in modules:
            return []  # an external crate
    for cut in range(len(segs), -1, -1):
        hit = modules.get(tuple(segs[:cut]))
        if hit:
            return [hit]
    return []


KEYWORDS = frozenset(
    [
        "as",
        "async",
        "await",
        "break",
        "const",
        "continue",
        "crate",
        "dyn",
        "else",
        "enum",
        "extern",
        "false",
        "fn",
        "for",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "match",
        "mod",
        "move",
        "mut",
        "pub",
        "ref",
        "return",
        "self",
        "Self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "type",
        "unsafe",
        "use",
        "where",
        "while",
    ]
)

SPEC = LanguageSpec("rust", PATTERNS, parse_import, resolve, KEYWORDS)
