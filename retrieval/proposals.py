"""RLPG prompt proposals (Shrivastava et al., ICML 2023), adapted to several languages.

A proposal is (source, context type, file) with text units that each carry a relevance weight, so
the packer can keep the units that matter for this cursor when a proposal does not fit whole.
Sources: current, import, parent_class, sibling, similar_name, child_class, import_of_* and
similar_window (line windows of other files ranked by BM25 over sub-words). Only files of the
cursor's language family give
context (`_same_family`): no TypeScript for a Python cursor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .extract import spec_for
from .index import RepoIndex
from .index_entries import Definition, FileEntry
from .naming import name_parts
from .naming import stem as _stem
from .query import QUERY_LINES, WINDOW_LINES, Query
from .similar_windows import Scoring, WindowHit

IMPORTED = 0.15  # weight of a name that is imported but not used near the cursor
_ATTR = re.compile(r"\b([A-Za-z_]\w*)(?:\.|::)([A-Za-z_]\w*)")
_WINDOW_FULL = 0.35  # a Jaccard score this high counts as fully relevant


@dataclass(slots=True)
class Unit:
    text: str
    line: int
    end: int
    weight: float


@dataclass(slots=True)
class Proposal:
    source: str
    context_type: str
    path: str
    units: list[Unit]
    relevance: float
    atomic: bool = False  # windows and post lines: all or nothing


@dataclass(frozen=True)
class Params:
    prefix_lines: int = 64  # lines before the cursor the engine shows itself
    suffix_lines: int = 40  # lines after the cursor the engine shows itself
    post_lines: int = 30
    max_body_lines: int = 60
    files_per_source: int = 3
    windows: int = 12  # similar windows proposed (as many as a 512-token budget could take)
    window_lines: int = WINDOW_LINES
    """Lines of a similar-code window (step: half of it); `query.WINDOW_LINES`."""
    window_scoring: Scoring = "bm25"
    """How similar windows are ranked (`similar_windows.WindowIndex.query`): `bm25`, or
    RepoCoder's `jaccard`. Chosen on the dev projects of `bench repo` (BM25 put the answer's
    line in the context more often: bench/results/tuning/README.md)."""
    query_lines: int = QUERY_LINES
    """Lines before the cursor that query the similar windows (0: `window_lines`);
    `query.QUERY_LINES`."""
    window_share: float = 1.0
    """Share of the context budget similar windows may fill before the structural proposals are
    packed (`select.pack`); what the structure leaves goes to more windows. Chosen on the dev
    projects of `bench repo` (docs/benchmarks.md)."""
    current_imports: bool = True  # propose the file's import lines above the prefix window
    file_windows: bool = True
    """Also rank windows of the cursor's own buffer outside the lines the prompt shows
    (`prefix_lines` above; `suffix_lines` below when `suffix_shown`) beside the other files'
    windows. On 139 dev holes of `bench repo` (a left-to-right model) code EM rose from 23.7
    to 28.8 (bench/results/tuning/README.md)."""
    suffix_shown: bool = True
    """Whether the prompt shows the `suffix_lines` below the cursor (native FIM). False for a
    left-to-right prompt, which ends at the cursor (`Retriever.select(shows_suffix=False)`):
    the buffer's windows right below the cursor then compete too. The current file's
    signatures and post lines keep their places either way."""
    unused_import_weight: float = 0.6
    """Weight of a name the file imports but has not used above the cursor (IMPORTED when 0):
    such a name is a likely next one (a CrossCodeEval hole is the first use of one)."""


@dataclass
class _Ctx:
    index: RepoIndex
    entry: FileEntry
    query: Query
    params: Params
    out: list[Proposal] = field(default_factory=list)
    targets: set[str] = field(default_factory=set)
    attrs: dict[str, set[str]] = field(default_factory=dict)


def propose(index: RepoIndex, entry: FileEntry, query: Query, params: Params) -> list[Proposal]:
    ctx = _Ctx(index, entry, query, params)
    ctx.targets = set(index.import_targets(entry))
    for m in _ATTR.finditer(query.text):
        ctx.attrs.setdefault(m.group(1), set()).add(m.group(2))
    _imports(ctx)
    parents = _parent_classes(ctx)
    _children(ctx)
    siblings = _siblings(ctx)
    similar = _similar_names(ctx)
    _imports_of(ctx, "import_of_parent_class", parents)
    _imports_of(ctx, "import_of_sibling", siblings[:1])
    _imports_of(ctx, "import_of_similar_name", similar[:1])
    _current(ctx)
    if params.current_imports:
        _current_imports(ctx)
    _windows(ctx)
    return ctx.out


# -- helpers ----------------------------------------------------------------------------------


def _sig_units(entry: FileEntry, d: Definition, weight: float, query: Query | None) -> list[Unit]:
    units = [Unit(entry.header_text(d), d.start, d.header_end, weight)]
    if d.kind == "class":
        for m in entry.members(d):
            w = weight * (0.3 if m.kind == "field" else 0.5)
            if query is not None:
                w = max(w, weight * query.weight(m.name))
            if m.name.startswith("_") and not m.name.startswith("__init"):
                w *= 0.5
            units.append(Unit(entry.header_text(m), m.start, m.header_end, w))
    return units


def _file_sig_units(entry: FileEntry, query: Query, base: float) -> list[Unit]:
    units: list[Unit] = []
    for d in entry.top_level():
        w = base + (1 - base) * query.weight(d.name)
        units.extend(_sig_units(entry, d, w, query))
    return units


def _best(units: Iterable[Unit]) -> float:
    return max((u.weight for u in units), default=0.0)


def _add(
    ctx: _Ctx,
    source: str,
    ctype: str,
    path: str,
    units: list[Unit],
    rel: float | None = None,
    atomic: bool = False,
) -> None:
    units = [u for u in units if u.text.strip()]
    if units and _same_language(ctx, path):
        ctx.out.append(
            Proposal(source, ctype, path, units, _best(units) if rel is None else rel, atomic)
        )


def _same_family(a: FileEntry, b: FileEntry) -> bool:
    """Same language family: JavaScript, TypeScript and TSX are one, so are C and C++ (headers
    are shared); every other language is its own."""
    sa, sb = spec_for(a.parsed.language), spec_for(b.parsed.language)
    return sa is not None and sb is not None and sa.family == sb.family


def _same_language(ctx: _Ctx, path: str) -> bool:
    """Whether a file may give context to this cursor: itself, or a file of its family."""
    if path == ctx.entry.path:
        return True
    other = ctx.index.entries.get(path)
    return other is not None and _same_family(other, ctx.entry)


# -- sources ----------------------------------------------------------------------------------


def _unused_names(query: Query, names: Iterable[str]) -> frozenset[str]:
    """Those of `names` written at most once above the cursor's line (a name imported there and
    not used since). Counted as substrings, so a longer name that contains one counts as a use:
    a name may be missed, never wrongly called unused. One C-level scan per name (the whole
    prefix is up to hundreds of kilobytes; a tokenizer pass over it costs milliseconds)."""
    lines = query.lines[: query.line]
    above = "\n".join(lines)
    return frozenset(n for n in names if above.count(n) <= 1)


def _imports(ctx: _Ctx) -> None:
    index, entry, query = ctx.index, ctx.entry, ctx.query
    used: dict[str, dict[int, tuple[FileEntry, Definition, float]]] = {}

    def add(file: FileEntry, d: Definition, w: float) -> None:
        slot = used.setdefault(file.path, {})
        prev = slot.get(d.start)
        if prev is None or prev[2] < w:
            slot[d.start] = (file, d, w)

    def module_attrs(target: str, local: str) -> None:
        for attr in ctx.attrs.get(local, ()):
            hit = index.find_definition(target, attr)
            if hit is not None:
                add(hit[0], hit[1], max(IMPORTED * 0.8, query.weight(attr)))

    unused: frozenset[str] = frozenset()
    if ctx.params.unused_import_weight:
        local_names = {local for imp in entry.parsed.imports for local, _ in imp.names}
        unused = _unused_names(query, local_names - {"*"})
    file_rel: dict[str, float] = {}
    for imp, targets in index.resolved_imports(entry):
        if not targets:
            continue
        for local, remote in imp.names:
            if local == "*":
                for t in targets:
                    te = index.entries.get(t)
                    for d in te.top_level() if te else ():
                        w = query.weight(d.name)
                        if w > 0 and te is not None:
                            add(te, d, w)
                continue
            w = max(IMPORTED, query.weight(local))
            if local in unused:
                w = max(w, ctx.params.unused_import_weight)
            hit = None
            for t in targets:
                hit = index.find_definition(t, remote)
                if hit is None and remote == "default":
                    hit = index.find_definition(t, local) or index.find_definition(t, _stem(t))
                if hit is not None:
                    add(hit[0], hit[1], w)
                    break
            if hit is None:
                for t in targets:
                    if _stem(t) == remote:
                        module_attrs(t, local)
        if imp.local:
            for t in targets:
                module_attrs(t, imp.local)
        if not imp.names and not imp.local:  # C includes: what the cursor mentions
            for t in targets:
                te = index.entries.get(t)
                for d in te.top_level() if te else ():
                    if query.weight(d.name) > 0 and te is not None:
                        add(te, d, query.weight(d.name))
        for t in targets:
            file_rel[t] = max(
                file_rel.get(t, IMPORTED),
                max((query.weight(n) for n, _ in imp.names), default=0.0),
                query.weight(imp.local or ""),
            )
    for path, defs in used.items():
        file = next(iter(defs.values()))[0]
        sig: list[Unit] = []
        bodies: list[Unit] = []
        fields: list[Unit] = []
        chosen = set(defs)
        for _, d, w in sorted(defs.values(), key=lambda t: t[1].start):
            sig.extend(_sig_units(file, d, 0.5 + 0.5 * w, query))
            if d.kind not in ("variable", "field"):
                text = file.span_text(d, ctx.params.max_body_lines)
                bodies.append(Unit(text, d.start, d.end, w))
            if d.kind == "class":
                fields.extend(
                    Unit(file.header_text(m), m.start, m.start, w)
                    for m in file.members(d)
                    if m.kind == "field"
                )
        for d in file.top_level():
            if d.start not in chosen:
                sig.append(
                    Unit(
                        file.header_text(d),
                        d.start,
                        d.header_end,
                        0.05 + 0.3 * query.weight(d.name),
                    )
                )
        rel = _best(u for u in sig if u.weight >= 0.5) * 2 - 1
        _add(ctx, "import", "signatures", path, sig, max(rel, IMPORTED))
        _add(ctx, "import", "bodies", path, bodies)
        _add(ctx, "import", "field_declarations", path, fields)
    top = sorted(file_rel, key=lambda p: -file_rel[p])[:2]
    for t in top:
        te = index.entries.get(t)
        if te is not None:
            _file_level(ctx, "import", te, file_rel[t])


def _file_level(ctx: _Ctx, source: str, te: FileEntry, rel: float) -> None:
    """RLPG's whole-file context types: identifiers, type identifiers, string literals."""
    q = ctx.query
    idents = sorted(te.parsed.identifiers, key=lambda n: -q.weight(n))[:150]
    _add(ctx, source, "identifiers", te.path, [Unit(" ".join(idents), 0, 0, rel)], rel)
    types = list(te.parsed.type_identifiers)[:100]
    if types:
        _add(ctx, source, "type_identifiers", te.path, [Unit(" ".join(types), 0, 0, rel)], rel)
    strings = list(te.parsed.strings)[:60]
    if strings:
        _add(
            ctx,
            source,
            "string_literals",
            te.path,
            [Unit(s, i, i, rel) for i, s in enumerate(strings)],
            rel,
        )


def _enclosing_classes(ctx: _Ctx) -> list[tuple[Definition, float]]:
    """Classes of the current file, weighted 1 when the cursor is inside (also on a new,
    indented line just after the class's last line), 0.3 otherwise."""
    line = ctx.query.line
    current = ctx.query.lines[line] if line < len(ctx.query.lines) else ""
    indent = len(current) - len(current.lstrip())
    out = []
    for d in ctx.entry.parsed.definitions:
        if d.kind == "class":
            inside = d.start <= line <= d.end or (
                d.end < line <= d.end + 3
                and indent > d.start_col
                and all(
                    not x.strip() or x.startswith(" " * (d.start_col + 1)) or x.startswith("\t")
                    for x in ctx.query.lines[d.end + 1 : line]
                )
            )
            out.append((d, 1.0 if inside else 0.3))
    return out


def _parent_classes(ctx: _Ctx) -> list[str]:
    index, entry, query = ctx.index, ctx.entry, ctx.query
    seen: dict[tuple[str, int], float] = {}
    found: list[tuple[FileEntry, Definition, float]] = []
    for cls, w in _enclosing_classes(ctx):
        for base in cls.bases:
            hit = index.class_definition(base, entry)
            if hit is None or hit[0].path == entry.path:
                continue
            key = (hit[0].path, hit[1].start)
            if seen.get(key, -1) >= w:
                continue
            seen[key] = w
            found.append((hit[0], hit[1], w))
    found.sort(key=lambda t: -t[2])
    paths: list[str] = []
    for pe, pd, w in found[:4]:
        _add(ctx, "parent_class", "signatures", pe.path, _sig_units(pe, pd, w, query), w)
        _add(
            ctx,
            "parent_class",
            "bodies",
            pe.path,
            [Unit(pe.span_text(pd, ctx.params.max_body_lines * 2), pd.start, pd.end, w)],
            w,
        )
        fields = [
            Unit(pe.header_text(m), m.start, m.start, w)
            for m in pe.members(pd)
            if m.kind == "field"
        ]
        _add(ctx, "parent_class", "field_declarations", pe.path, fields, w)
        paths.append(pe.path)
    return list(dict.fromkeys(paths))


def _children(ctx: _Ctx) -> None:
    index, entry, query = ctx.index, ctx.entry, ctx.query
    files: dict[str, float] = {}
    for cls, w in _enclosing_classes(ctx):
        for p in index.children.get(cls.name, ()):
            if p != entry.path:
                files[p] = max(files.get(p, 0.0), w)
    ranked = sorted(files, key=lambda p: (-files[p], p))[: ctx.params.files_per_source]
    for p in ranked:
        ce = index.entries.get(p)
        if ce is None:
            continue
        units: list[Unit] = []
        for d in ce.parsed.definitions:
            if d.kind == "class" and any(c.name in d.bases for c, _ in _enclosing_classes(ctx)):
                units.extend(_sig_units(ce, d, files[p], query))
        _add(ctx, "child_class", "signatures", p, units, files[p])
    _imports_of(ctx, "import_of_child_class", ranked[:1])


def _siblings(ctx: _Ctx) -> list[str]:
    index, entry, query = ctx.index, ctx.entry, ctx.query
    folder = entry.path.rpartition("/")[0]
    spec = spec_for(entry.parsed.language)
    package = spec is not None and spec.package_scoped
    scored: list[tuple[float, str]] = []
    for p in index.project.by_dir.get(folder, []):
        se = index.entries.get(p)
        if se is None or p == entry.path or not _same_family(se, entry):
            continue
        shared = len(ctx.targets & set(index.import_targets(se)))
        if not shared and not package:
            continue
        names = sum(query.weight(d.name) for d in se.top_level())
        scored.append((shared + 2 * names, p))
    scored.sort(key=lambda t: (-t[0], t[1]))
    ranked = [p for _, p in scored[: ctx.params.files_per_source]]
    for p in ranked:
        se = index.entries[p]
        units = _file_sig_units(se, query, 0.1)
        _add(ctx, "sibling", "signatures", p, units)
        fields = [
            Unit(se.header_text(d), d.start, d.start, 0.1 + 0.9 * query.weight(d.name))
            for d in se.parsed.definitions
            if d.kind == "field"
        ]
        _add(ctx, "sibling", "field_declarations", p, fields)
    return ranked


def _similar_names(ctx: _Ctx) -> list[str]:
    index, entry, query = ctx.index, ctx.entry, ctx.query
    mine = name_parts(entry.path)
    if not mine:
        return []
    candidates: dict[str, int] = {}
    for part in mine:
        for p in index.parts.get(part, ()):
            if p != entry.path:
                candidates[p] = candidates.get(p, 0) + 1
    scored: list[tuple[float, str]] = []
    for p, overlap in candidates.items():
        se = index.entries.get(p)
        if se is None or not _same_family(se, entry):
            continue
        shared = len(ctx.targets & set(index.import_targets(se)))
        scored.append((overlap / max(1, len(mine)) + 0.2 * min(shared, 3), p))
    scored.sort(key=lambda t: (-t[0], t[1]))
    ranked = [p for _, p in scored[: ctx.params.files_per_source]]
    for p in ranked:
        se = index.entries[p]
        units = _file_sig_units(se, query, 0.1)
        _add(ctx, "similar_name", "signatures", p, units)
        bodies = [
            Unit(se.span_text(d, ctx.params.max_body_lines), d.start, d.end, query.weight(d.name))
            for d in se.top_level()
            if query.weight(d.name) > 0 and d.kind != "variable"
        ]
        _add(ctx, "similar_name", "bodies", p, bodies)
    return ranked


def _imports_of(ctx: _Ctx, source: str, paths: list[str]) -> None:
    index, query = ctx.index, ctx.query
    for p in paths:
        pe = index.entries.get(p)
        if pe is None:
            continue
        for t in index.import_targets(pe):
            if t == ctx.entry.path or t in ctx.targets:
                continue
            te = index.entries.get(t)
            if te is None:
                continue
            units = [u for u in _file_sig_units(te, query, 0.05) if u.weight > 0.05]
            _add(ctx, source, "signatures", t, units)


def _current(ctx: _Ctx) -> None:
    entry, query, params = ctx.entry, ctx.query, ctx.params
    lo = query.line - params.prefix_lines
    hi = query.line + params.suffix_lines
    outside = [d for d in entry.parsed.definitions if d.start < lo or d.start > hi]
    units = [
        Unit(entry.header_text(d), d.start, d.header_end, 0.1 + 0.9 * query.weight(d.name))
        for d in outside
        if d.kind != "field"
    ]
    _add(ctx, "current", "signatures", entry.path, units)
    fields = [
        Unit(entry.header_text(d), d.start, d.start, 0.2 + 0.8 * query.weight(d.name))
        for d in outside
        if d.kind == "field"
    ]
    _add(ctx, "current", "field_declarations", entry.path, fields)
    lines = query.lines
    if hi + 1 < len(lines):
        post = "\n".join(lines[hi + 1 : hi + 1 + params.post_lines])
        _add(
            ctx,
            "current",
            "post_lines",
            entry.path,
            [Unit(post, hi + 1, hi + params.post_lines, 0.5)],
            0.5,
            atomic=True,
        )


def _buffer_windows(ctx: _Ctx) -> list[WindowHit]:
    """Windows of the cursor's buffer that the prompt does not show (outside `prefix_lines`
    above and, when `suffix_shown`, `suffix_lines` below the cursor's line), scored against
    the query on the other files' windows' scale (`WindowIndex.score_spans`); those that share
    nothing are left out."""
    index, query, params = ctx.index, ctx.query, ctx.params
    lo = query.line - params.prefix_lines
    hi = query.line + (params.suffix_lines if params.suffix_shown else 0)
    lines = query.lines
    size = index.windows.size
    spans = [(a, b) for a, b in index.windows.spans(len(lines)) if a + size <= lo or a > hi]
    scores = index.windows.score_spans(query.window_text, lines, spans, params.window_scoring)
    return [
        WindowHit(ctx.entry.path, a, b, score)
        for (a, b), score in zip(spans, scores, strict=True)
        if score > 0
    ]


_OPENERS = str.maketrans("", "", "([{")
_CLOSERS = str.maketrans("", "", ")]}")
MAX_IMPORT_LINES = 40


def _statement_end(lines: list[str], start: int) -> int:
    """The last line of the statement starting on line `start`: where its brackets close (at most
    MAX_IMPORT_LINES lines)."""
    depth = 0
    last = min(len(lines), start + MAX_IMPORT_LINES) - 1
    for i in range(start, last + 1):
        line = lines[i]
        depth += (len(line) - len(line.translate(_OPENERS))) - (
            len(line) - len(line.translate(_CLOSERS))
        )
        if depth <= 0:
            return i
    return last


def _current_imports(ctx: _Ctx) -> None:
    """The current file's import statements that the prefix window no longer shows: they name
    what the file can use, and a CrossCodeEval-style hole sits before the first use of one."""
    entry, query = ctx.entry, ctx.query
    lo = query.line - ctx.params.prefix_lines
    units: list[Unit] = []
    covered = -1
    for ref in sorted(entry.parsed.imports, key=lambda r: r.line):
        if ref.line >= lo:
            break
        if ref.line <= covered:
            continue
        end = min(_statement_end(entry.lines, ref.line), lo - 1)
        covered = end
        units.append(Unit("\n".join(entry.lines[ref.line : end + 1]), ref.line, end, 1.0))
    _add(ctx, "current", "imports", entry.path, units, 1.0)


def _windows(ctx: _Ctx) -> None:
    """The best non-overlapping similar windows of other files of the cursor's language, best
    first (RepoCoder keeps the better of two overlapping windows, as here)."""
    index, query, params = ctx.index, ctx.query, ctx.params
    hits = index.windows.query(
        query.window_text,
        k=params.windows * 3,
        exclude=frozenset({ctx.entry.path}),
        only=lambda p: _same_language(ctx, p),
        scoring=params.window_scoring,
    )
    if params.file_windows:
        hits = sorted([*hits, *_buffer_windows(ctx)], key=lambda h: -h.score)
    # Jaccard is 0–1 (this high counts as fully relevant); BM25 is relative to the best hit.
    full = _WINDOW_FULL if params.window_scoring == "jaccard" else hits[0].score if hits else 1.0
    chosen: list[WindowHit] = []
    for h in hits:
        if any(c.path == h.path and h.start < c.end and c.start < h.end for c in chosen):
            continue
        chosen.append(h)
        if len(chosen) >= params.windows:
            break
    for h in chosen:
        if h.path == ctx.entry.path:
            lines = query.lines  # the buffer, not the file on disk
        else:
            we = index.entries.get(h.path)
            if we is None:
                continue
            lines = we.lines
        text = "\n".join(lines[h.start : h.end])
        rel = min(1.0, h.score / full)
        unit = Unit(text, h.start, h.end - 1, rel)
        _add(ctx, "similar_window", "window", h.path, [unit], rel, atomic=True)
