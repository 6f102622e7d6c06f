"""Python: what to extract, how imports read, and how they resolve to repository files.

Module names come from package structure (folders with `__init__.py`), from the repository root
(namespace packages) and from `src/`-style layouts; relative imports climb from the importing
file's package.
"""

from __future__ import annotations

import keyword
import re
from typing import TYPE_CHECKING

from .index_entries import FileEntry, ImportRef
from .spec import LanguageSpec

if TYPE_CHECKING:
    from .project import Project

PATTERNS = (
    "(import_statement) @import",
    "(import_from_statement) @import",
    "(class_definition name: (identifier) @name superclasses: (argument_list)? @bases"
    " body: (block) @body) @def.class",
    "(function_definition name: (identifier) @name body: (block) @body) @def.function",
    "(module (expression_statement (assignment left: (identifier) @name) @def.variable))",
    "(class_definition body: (block (expression_statement"
    " (assignment left: (identifier) @name) @def.field)))",
    "(assignment left: (attribute object: (identifier) @_self attribute: (identifier) @name)"
    ' (#eq? @_self "self")) @def.field',
    "(string) @string",
    "(type (identifier) @type)",
    "(type (generic_type (identifier) @type))",
    "(class_definition superclasses: (argument_list (identifier) @type))",
)

_FROM_RE = re.compile(r"^\s*from\s+([.\w]+)\s+import\s+(.*)$", re.S)
_IMPORT_RE = re.compile(r"^\s*import\s+(.*)$", re.S)


def _clean(names: str) -> list[str]:
    names = re.sub(r"#[^\n]*", "", names)
    names = names.replace("(", " ").replace(")", " ").replace("\\", " ")
    return [n.strip() for n in names.split(",") if n.strip()]


def parse_import(text: str, line: int) -> list[ImportRef]:
    m = _FROM_RE.match(text)
    if m:
        module, rest = m.group(1), m.group(2)
        pairs: list[tuple[str, str]] = []
        for part in _clean(rest):
            bits = part.split()
            if len(bits) == 3 and bits[1] == "as":
                pairs.append((bits[2], bits[0]))
            elif bits:
                pairs.append((bits[0], bits[0]))
        return [ImportRef(module=module, names=tuple(pairs), line=line, kind="from")]
    m = _IMPORT_RE.match(text)
    if not m:
        return []
    out: list[ImportRef] = []
    for part in _clean(m.group(1)):
        bits = part.split()
        if len(bits) == 3 and bits[1] == "as":
            out.append(ImportRef(module=bits[0], local=bits[2], line=line))
        elif bits:
            out.append(ImportRef(module=bits[0], local=bits[0].split(".")[0], line=line))
    return out


def module_names(paths: set[str]) -> dict[str, list[str]]:
    """Dotted module name → files, for every Python file of the repository."""
    init_dirs = {
        p.rsplit("/", 1)[0] if "/" in p else "" for p in paths if p.endswith("/__init__.py")
    }
    out: dict[str, list[str]] = {}
    for p in paths:
        if not p.endswith((".py", ".pyi")):
            continue
        stem = p.rsplit(".", 1)[0]
        parts = stem.split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names = {".".join(parts)}
        # package root: climb while the folder is a package
        folder = p.rsplit("/", 1)[0] if "/" in p else ""
        depth = 0
        while folder and folder in init_dirs:
            depth += 1
            folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
        file_parts = stem.split("/")
        tail = file_parts[len(file_parts) - depth - 1 :]
        if tail and tail[-1] == "__init__":
            tail = tail[:-1]
        if tail:
            names.add(".".join(tail))
        for marker in ("src", "lib", "python"):
            if marker in parts[:-1]:
                i = parts.index(marker)
                if parts[i + 1 :]:
                    names.add(".".join(parts[i + 1 :]))
        for name in names:
            if name:
                out.setdefault(name, []).append(p)
    return out


def modules(project: Project) -> dict[str, list[str]]:
    """`module_names` of the project's files, cached until the file set changes."""
    return project.table("python", lambda: module_names(project.paths))


def _package_of(path: str) -> list[str]:
    parts = path.rsplit(".", 1)[0].split("/")
    return parts[:-1]  # the folder is the package, for __init__.py and modules alike


def resolve(entry: FileEntry, imp: ImportRef, project: Project) -> list[str]:
    mods = modules(project)
    module = imp.module
    targets: list[str] = []
    if module.startswith("."):
        dots = len(module) - len(module.lstrip("."))
        base = _package_of(entry.path)
        if dots - 1 > len(base):
            return []
        base = base[: len(base) - (dots - 1)]
        rest = [p for p in module[dots:].split(".") if p]
        parts = base + rest
        candidates = [
            "/".join(parts) + ".py",
            "/".join(parts) + "/__init__.py",
            "/".join(parts) + ".pyi",
        ]
        found = [c.lstrip("/") for c in candidates if c.lstrip("/") in project.paths]
        if found:
            targets.append(found[0])
        for _, remote in imp.names:
            sub = "/".join([*parts, remote])
            for c in (sub + ".py", sub + "/__init__.py"):
                c = c.lstrip("/")
                if c in project.paths:
                    targets.append(c)
                    break
        return list(dict.fromkeys(targets))
    best = _closest(mods.get(module, []), entry.path)
    if best:
        targets.append(best)
    for _, remote in imp.names:
        submodule = _closest(mods.get(f"{module}.{remote}", []), entry.path)
        if submodule:
            targets.append(submodule)
    if not targets and imp.local is not None:
        # `import a.b.c`: fall back to the longest prefix that is a module
        parts = module.split(".")
        while parts and not targets:
            parts.pop()
            best = _closest(mods.get(".".join(parts), []), entry.path)
            if best:
                targets.append(best)
    return list(dict.fromkeys(targets))


def _closest(candidates: list[str], path: str) -> str | None:
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    return max(candidates, key=lambda c: (_common(c, path), -len(c)))


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n


SPEC = LanguageSpec(
    family="python",
    patterns=PATTERNS,
    parse_import=parse_import,
    resolve=resolve,
    keywords=frozenset(keyword.kwlist) | frozenset({"self", "cls"}),
)
