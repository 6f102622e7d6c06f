"""How much each (source, context type) proposal is worth before looking at the cursor.

Tuned by hand against `repofill bench retrieval` (docs/context.md, docs/benchmarks.md), whose
metric rewards the definition of the name at the cursor. They order the structural proposals;
how much of the budget similar windows take first is `Params.window_share`, chosen on the dev
projects of `repofill bench repo`, where the embedded model gains most from code similar to the
cursor's (bench/results/tuning/README.md).
"""

from __future__ import annotations

PRIORS: dict[tuple[str, str], float] = {
    ("import", "signatures"): 1.0,
    ("import", "bodies"): 0.55,
    ("import", "field_declarations"): 0.3,
    ("import", "type_identifiers"): 0.12,
    ("import", "identifiers"): 0.08,
    ("import", "string_literals"): 0.06,
    ("parent_class", "signatures"): 0.95,
    ("parent_class", "bodies"): 0.5,
    ("parent_class", "field_declarations"): 0.4,
    ("child_class", "signatures"): 0.35,
    ("sibling", "signatures"): 0.5,
    ("sibling", "field_declarations"): 0.2,
    ("similar_name", "signatures"): 0.55,
    ("similar_name", "bodies"): 0.3,
    ("import_of_sibling", "signatures"): 0.3,
    ("import_of_parent_class", "signatures"): 0.3,
    ("import_of_similar_name", "signatures"): 0.3,
    ("import_of_child_class", "signatures"): 0.2,
    ("current", "imports"): 0.8,
    ("current", "signatures"): 0.45,
    ("current", "post_lines"): 0.35,
    ("current", "field_declarations"): 0.3,
    ("current", "identifiers"): 0.05,
    ("current", "type_identifiers"): 0.08,
    ("current", "string_literals"): 0.05,
    ("similar_window", "window"): 0.9,
}

# Relevance mixes in as score = prior * (FLOOR + (1 - FLOOR) * relevance).
FLOOR = 0.3

# Where a snippet sits in the prompt: lower tiers come first (they change least as the cursor
# moves); within the last tier the best-ranked snippet is last, nearest the cursor.
TIERS: dict[str, int] = {
    "import": 0,
    "parent_class": 0,
    "child_class": 0,
    "sibling": 0,
    "similar_name": 0,
    "import_of_sibling": 0,
    "import_of_parent_class": 0,
    "import_of_similar_name": 0,
    "import_of_child_class": 0,
    "current": 1,
    "similar_window": 2,
    "recent": 2,
}


def prior(
    source: str, context_type: str, table: dict[tuple[str, str], float] | None = None
) -> float:
    return (table or PRIORS).get((source, context_type), 0.05)
