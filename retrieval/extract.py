"""Turn a file's text into `Parsed`: one tree-sitter query pass per file, driven by `LanguageSpec`.

All node matching happens in tree-sitter's C code (a query); Python only touches the captured
nodes, which keeps a cold index of thousands of files within seconds.
"""

from __future__ import annotations

import logging
import re
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from . import lang_c, lang_go, lang_java, lang_js, lang_python, lang_rust
from .index_entries import Definition, ImportRef, Parsed
from .languages import grammar, parser
from .spec import LanguageSpec

log = logging.getLogger(__name__)

SPECS: dict[str, LanguageSpec] = {
    "python": lang_python.SPEC,
    "javascript": lang_js.JS_SPEC,
    "typescript": lang_js.TS_SPEC,
    "tsx": lang_js.TSX_SPEC,
    "go": lang_go.SPEC,
    "rust": lang_rust.SPEC,
    "java": lang_java.SPEC,
    "c": lang_c.C_SPEC,
    "cpp": lang_c.CPP_SPEC,
}

IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_STRINGS = 200
MAX_STRING_CHARS = 120
_CONTAINERS = ("class", "function", "method", "impl")
_DECLARATION_PARENTS = frozenset(
    {"variable_declarator", "lexical_declaration", "variable_declaration"}
)


def spec_for(language: str) -> LanguageSpec | None:
    return SPECS.get(language)


@cache
def _query(language: str) -> Query | None:
    """The language's patterns joined into one query; a pattern the grammar rejects is dropped."""
    spec = SPECS.get(language)
    lang = grammar(language)
    if spec is None or lang is None:
        return None
    good: list[str] = []
    for pattern in spec.patterns:
        try:
            Query(lang, pattern)
        except Exception as exc:  # a grammar version without this node type
            log.debug("%s: dropping query pattern %r: %s", language, pattern, exc)
            continue
        good.append(pattern)
    return Query(lang, "\n".join(good)) if good else None


def _text(node: Node) -> str:
    data = node.text
    return data.decode("utf-8", errors="replace") if data is not None else ""


def _simple_name(raw: str) -> str:
    """`pkg.Foo<T>` / `a::B` / `*T` → the last identifier."""
    names = IDENT_RE.findall(raw.split("<", 1)[0])
    return names[-1] if names else raw


class _Open:
    __slots__ = ("end", "kind", "name")

    def __init__(self, end: int, kind: str, name: str) -> None:
        self.end, self.kind, self.name = end, kind, name


def extract(language: str, text: str) -> Parsed:
    """Parse `text` as `language`. A language without a grammar gives identifiers only."""
    spec = SPECS.get(language)
    identifiers = frozenset(IDENT_RE.findall(text))
    query = _query(language)
    ts_parser = parser(language)
    if spec is None or query is None or ts_parser is None:
        return Parsed(language=language, identifiers=identifiers)
    identifiers = identifiers - spec.keywords
    tree = ts_parser.parse(text.encode("utf-8"))
    imports: list[ImportRef] = []
    strings: dict[str, None] = {}
    types: dict[str, None] = {}
    package: str | None = None
    # (start_byte, end_byte, kind, Definition | None, impl type, impl trait)
    found: list[tuple[int, int, str, Definition | None, str, str]] = []
    for _, caps in QueryCursor(query).matches(tree.root_node):
        if "import" in caps:
            node = caps["import"][0]
            if node.type == "call_expression":  # require(): read the whole declaration
                while node.parent is not None and node.parent.type in _DECLARATION_PARENTS:
                    node = node.parent
            imports.extend(spec.parse_import(_text(node), node.start_point[0]))
            continue
        if "string" in caps:
            if len(strings) < MAX_STRINGS:
                s = _text(caps["string"][0])
                if 2 < len(s) <= MAX_STRING_CHARS and "\n" not in s:
                    strings[s] = None
            continue
        if "type" in caps:
            types[_text(caps["type"][0])] = None
            continue
        if "package" in caps:
            package = _text(caps["package"][0]).strip()
            continue
        if "impl" in caps:
            node = caps["impl"][0]
            impl_type = _simple_name(_text(caps["impl_type"][0])) if "impl_type" in caps else ""
            trait = _simple_name(_text(caps["bases"][0])) if "bases" in caps else ""
            found.append((node.start_byte, node.end_byte, "impl", None, impl_type, trait))
            continue
        kind = next((k[4:] for k in caps if k.startswith("def.")), None)
        if kind is None or "name" not in caps:
            continue
        node = caps["def." + kind][0]
        name = _simple_name(_text(caps["name"][0]))
        body = caps.get("body")
        hpoint: tuple[int, int]
        if body:
            hpoint = (body[0].start_point[0], body[0].start_point[1])
        elif kind in ("variable", "field", "type"):
            hpoint = (node.start_point[0], 1 << 30)  # the whole first line
        else:
            hpoint = (node.end_point[0], node.end_point[1])
        bases: tuple[str, ...] = ()
        for key in ("bases", "bases2"):
            for b in caps.get(key, ()):
                bases += tuple(
                    n for n in IDENT_RE.findall(_strip_generics(_text(b))) if n not in spec.keywords
                )
        parent = None
        if "receiver" in caps:
            parent = _simple_name(_text(caps["receiver"][0]).strip("()").split()[-1].lstrip("*"))
            kind = "method"
        if "qualifier" in caps:
            parent = _simple_name(_text(caps["qualifier"][0]))
            kind = "method"
        start = node.start_point
        d = Definition(
            name=name,
            kind=kind,
            start=start[0],
            end=node.end_point[0],
            header_end=hpoint[0],
            header_end_col=hpoint[1],
            start_col=start[1],
            parent=parent,
            bases=tuple(dict.fromkeys(bases)),
        )
        found.append((node.start_byte, node.end_byte, kind, d, "", ""))
    definitions = _nest(found)
    return Parsed(
        language=language,
        imports=imports,
        definitions=definitions,
        identifiers=identifiers,
        type_identifiers=tuple(types),
        strings=tuple(strings),
        package=package,
        exports=tuple(
            (n, imp.module) for imp in imports if imp.kind == "export" for n, _ in imp.names
        ),
    )


def _strip_generics(s: str) -> str:
    """`Base[T], metaclass=M` → `Base`; `List<T>` → `List`; keeps what names a parent type."""
    s = re.sub(r"\b\w+\s*=\s*[^,)]*", "", s)  # keyword arguments (metaclass=…)
    depth = 0
    out = []
    for ch in s:
        if ch in "<[":
            depth += 1
        elif ch in ">]":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out).replace("extends", " ").replace("implements", " ")


def _nest(found: list[tuple[int, int, str, Definition | None, str, str]]) -> list[Definition]:
    """Methods and fields get their class; local functions and variables are dropped;
    Rust `impl Trait for Type` adds Trait to Type's bases."""
    found.sort(key=lambda f: (f[0], -f[1]))
    stack: list[_Open] = []
    out: list[Definition] = []
    seen_fields: set[tuple[str | None, str]] = set()
    impl_traits: dict[str, list[str]] = {}
    for start, end, kind, d, impl_type, trait in found:
        while stack and stack[-1].end <= start:
            stack.pop()
        if kind == "impl":
            if trait and impl_type:
                impl_traits.setdefault(impl_type, []).append(trait)
            stack.append(_Open(end, "impl", impl_type))
            continue
        assert d is not None
        top = stack[-1] if stack else None
        owner = next((o for o in reversed(stack) if o.kind in ("class", "impl")), None)
        if d.parent is None and top is not None:
            if top.kind in ("class", "impl"):
                d.parent = top.name
                if d.kind == "function":
                    d.kind = "method"
            elif d.kind == "field" and owner is not None:
                d.parent = owner.name
            else:
                continue  # local to a function
        if d.kind == "field":
            if d.parent is None or (d.parent, d.name) in seen_fields:
                continue
            seen_fields.add((d.parent, d.name))
        if d.kind == "variable" and top is not None:
            continue
        out.append(d)
        if d.kind in _CONTAINERS:
            stack.append(_Open(end, d.kind, d.name))
    for d in out:
        if d.kind == "class" and d.name in impl_traits:
            d.bases = tuple(dict.fromkeys((*d.bases, *impl_traits[d.name])))
    return out
