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
