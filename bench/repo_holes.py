"""The holes of `repofill bench repo`, in two kinds (`--holes-kind`).

Both put the cursor right before a name that the file imports from another file of the same
project and take the rest of that line as the target, in the spirit of CrossCodeEval (Ding et al.,
NeurIPS 2023: the prompt ends where static analysis finds that the code needs a name from another
file of the project). They differ in which names and which uses count:

- `current` (`find_holes` in bench/retrieval.py, shared with `bench retrieval`): a name imported
  under its own name (`from .a import X`, `import { X } from "./a"`, `use crate::a::X`) that the
  project defines exactly once at top level (found by a per-language regex) in the file the import
  names; any use of it, not only the first. A package or module bound by an import (`from . import
  utils`, Go's `import ".../render"`) does not count unless the project also defines a top-level
  name like it, so Go projects have (almost) no holes of this kind.
- `crosscodeeval` (`find_crosscodeeval_holes`): every name an import binds (a name, an alias, a
  module or a Go/Python package) that the index resolves to another file of the project, wherever
  its definition is and however it is written; only its first use in the file below the imports, so
  the code above the cursor has not used it yet and only another file can show what follows.

In both, a use is a whole word not after `.` or `::` on a code line (not in an import, a comment
line or a string literal; `use_sites`), and each file gives at most two holes, drawn at random
with `--seed`.
"""

from __future__ import annotations

import random
import re

from repofill.retrieval import Retriever

from .retrieval import Hole, find_holes, sample_holes, use_sites

HOLE_KINDS = ("current", "crosscodeeval")
PER_FILE = 2
_NAME = re.compile(r"[A-Za-z_$][\w$]*")


def imported_project_names(retriever: Retriever, path: str) -> dict[str, str]:
    """Local name → the project file it comes from, for each name that an import of `path` binds
    (imported names, aliases, modules, Go packages) and the index resolves to another file of the
    project. Wildcards, `default` exports without a local name and Rust `mod x;` declarations
    bind nothing here."""
    entry = retriever.index.entries[path]
    out: dict[str, str] = {}
    for imp, targets in retriever.index.resolved_imports(entry):
        targets = [t for t in targets if t != path]
        if not targets or imp.kind == "mod":
            continue
        bound = [(local, remote) for local, remote in imp.names if local not in ("*", "default")]
        if imp.local:
            bound.append((imp.local, imp.local))
        for local, remote in bound:
            if _NAME.fullmatch(local):
                # `from . import util`: the package's __init__.py and util.py; util.py it is.
                named = [t for t in targets if t.rpartition("/")[2].split(".")[0] == remote]
                out.setdefault(local, (named or targets)[0])
    return out


def find_crosscodeeval_holes(retriever: Retriever, count: int, rng: random.Random) -> list[Hole]:
    """Up to `count` holes (see the module's docstring), in path and line order. `Hole.def_path`
    is the first file the import resolves to; `Hole.def_key` is empty (no definition line)."""
    candidates: list[Hole] = []
    for path in sorted(retriever.index.entries):
        names = imported_project_names(retriever, path)
        if not names:
            continue
        lines = retriever.index.entries[path].lines
        per_file: list[Hole] = []
        for name, def_path in names.items():
            first = next(use_sites(lines, [name]), None)
            if first is not None:
                per_file.append(Hole(path, first[0], first[1], name, def_path, ""))
        rng.shuffle(per_file)
        candidates.extend(per_file[:PER_FILE])
    return sample_holes(candidates, count, rng)


def holes_of_kind(kind: str, retriever: Retriever, count: int, rng: random.Random) -> list[Hole]:
    """The holes of one kind (`HOLE_KINDS`); ValueError for another kind."""
    if kind == "current":
        return find_holes(retriever, count, rng)
    if kind == "crosscodeeval":
        return find_crosscodeeval_holes(retriever, count, rng)
    raise ValueError(f"unknown hole kind {kind!r} ({', '.join(HOLE_KINDS)})")
