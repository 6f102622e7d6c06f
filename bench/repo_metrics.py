"""CrossCodeEval line-completion metrics (Ding et al., NeurIPS 2023).

- code exact match: the stripped prediction equals the stripped target;
- edit similarity: `fuzz.ratio` (rapidfuzz/thefuzz), i.e. the normalised Indel similarity
  100 * 2 * LCS(a, b) / (len(a) + len(b)) on the stripped texts, written here (no dependency);
- identifier exact match and F1: identifiers (`[_a-zA-Z]\\w*`) after removing string literals and
  comments, keywords dropped; EM compares the sequences, F1 the multisets.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter

from repofill.retrieval import lang_go, lang_rust

_IDENT = re.compile(r"[_a-zA-Z]\w*")
_STRINGS = re.compile(
    r"'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'?|\"(?:\\.|[^\"\\\n])*\"?|`(?:\\.|[^`\\])*`?"
)
_C_COMMENT = re.compile(r"//.*|/\*[\s\S]*?\*/")
_COMMENT = {"python": re.compile(r"#.*"), "js": _C_COMMENT, "go": _C_COMMENT, "rust": _C_COMMENT}
_JS_KEYWORDS = frozenset(
    [
        "abstract",
        "any",
        "as",
        "async",
        "await",
        "boolean",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "constructor",
        "continue",
        "debugger",
        "declare",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "from",
        "function",
        "get",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "is",
        "keyof",
        "let",
        "module",
        "namespace",
        "never",
        "new",
        "null",
        "number",
        "object",
        "of",
        "package",
        "private",
        "protected",
        "public",
        "readonly",
        "return",
        "set",
        "static",
        "string",
        "super",
        "switch",
        "symbol",
        "this",
        "throw",
        "true",
        "try",
        "type",
        "typeof",
        "undefined",
        "unknown",
        "var",
        "void",
        "while",
        "with",
        "yield",
    ]
)
# Rust's reserved keywords (The Rust Reference), beside the strict ones retrieval knows.
_RUST_RESERVED = frozenset(
    [
        "abstract",
        "become",
        "box",
        "do",
        "final",
        "macro",
        "override",
        "priv",
        "try",
        "typeof",
        "unsized",
        "virtual",
        "yield",
    ]
)
KEYWORDS = {
    "python": frozenset(keyword.kwlist) | frozenset(keyword.softkwlist),
    "js": _JS_KEYWORDS,
    "go": lang_go.KEYWORDS,
    "rust": lang_rust.KEYWORDS | _RUST_RESERVED,
}


def family(language: str) -> str:
    """The keyword and comment family of a language id: python, go, rust, or js (the rest)."""
    return language if language in ("python", "go", "rust") else "js"


def exact_match(prediction: str, target: str) -> bool:
    return prediction.strip() == target.strip()


def edit_similarity(prediction: str, target: str) -> float:
    """`fuzz.ratio`: 100 * 2 * LCS / (len(a) + len(b)) on the stripped texts."""
    a, b = prediction.strip(), target.strip()
    if not a and not b:
        return 100.0
    return 100.0 * 2 * _lcs(a, b) / (len(a) + len(b))


def _lcs(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for ca in a:
        current = [0]
        for j, cb in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if ca == cb else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def identifiers(code: str, language: str) -> list[str]:
    fam = family(language)
    code = _STRINGS.sub(" ", code)
    code = _COMMENT[fam].sub(" ", code)
    return [t for t in _IDENT.findall(code) if t not in KEYWORDS[fam]]


def identifier_match(prediction: str, target: str, language: str) -> tuple[bool, float]:
    """(identifier exact match, identifier F1)."""
    pred = identifiers(prediction, language)
    gold = identifiers(target, language)
    if not pred and not gold:
        return True, 1.0
    overlap = sum((Counter(pred) & Counter(gold)).values())
    if overlap == 0:
        return pred == gold, 0.0
    precision = overlap / len(pred)
    recall = overlap / len(gold)
    return pred == gold, 2 * precision * recall / (precision + recall)


_LEAD = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*[ \t]*[(\[{<]?")
COVERAGE = ("ctx_name", "ctx_lead", "ctx_line")
"""Whether the repository context shows the answer (`context_coverage`), percentages pooled."""


def context_coverage(context: str, target: str) -> dict[str, float]:
    """Whether `context` (the repository snippets the model was given) shows the hole's answer:

    - `ctx_name`: the target's first identifier, as a whole word (in a CrossCodeEval hole, the
      imported name whose first use the hole is);
    - `ctx_lead`: its lead verbatim: that name, the attribute or path chain after it and the
      bracket that opens its call or index (`bytesconv.StringToBytes(`, `hir::ClassUnicode::`);
    - `ctx_line`: the whole stripped target verbatim.

    1.0 or 0.0 each (0.0 for a target without an identifier). Separates a selection that did not
    find the answer from a model that did not copy it."""
    stripped = target.strip()
    match = _IDENT.search(stripped)
    if match is None:
        return dict.fromkeys(COVERAGE, 0.0)
    name = match.group()
    lead_match = _LEAD.match(stripped, match.start())
    lead = lead_match.group() if lead_match else name
    whole = re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", context) is not None
    return {
        "ctx_name": float(whole),
        "ctx_lead": float(lead in context),
        "ctx_line": float(stripped in context),
    }
