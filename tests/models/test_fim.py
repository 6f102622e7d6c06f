"""FIM formats: detection from a vocabulary's special tokens, and prompt layouts (no model)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from repofill.models.fim import (
    FORMATS,
    FimFormat,
    Piece,
    Special,
    detect_format,
    render_fim,
    render_left_to_right,
)

LAYOUTS = json.loads((Path(__file__).parent / "data" / "fim_layouts.json").read_text("utf-8"))


def vocab(*tokens: str) -> Any:
    known = set(tokens)
    return lambda s: s in known


def full_vocab(family: str) -> set[str]:
    fmt = FORMATS[family]
    return set(fmt.special_tokens)


@pytest.mark.parametrize("family", sorted(FORMATS))
def test_each_family_is_detected_from_its_own_tokens(family: str) -> None:
    fmt = detect_format(vocab(*full_vocab(family)))
    assert fmt is not None
    assert fmt.family == family
    assert fmt.repo_name_token == FORMATS[family].repo_name_token
    assert fmt.file_sep_token == FORMATS[family].file_sep_token


def test_no_fim_tokens_means_left_to_right() -> None:
    assert detect_format(vocab()) is None
    assert detect_format(vocab("<|endoftext|>", "<bos>", "<eos>", "<|im_start|>")) is None


def test_an_incomplete_fim_set_is_not_a_format() -> None:
    assert detect_format(vocab("<|fim_prefix|>", "<|fim_suffix|>", "<|file_sep|>")) is None
    assert detect_format(vocab("<PRE>", "<SUF>")) is None


def test_qwen_and_codegemma_share_fim_tokens_but_not_file_separators() -> None:
    fim = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
    qwen = detect_format(vocab(*fim, "<|file_sep|>", "<|repo_name|>", "<|endoftext|>"))
    gemma = detect_format(vocab(*fim, "<|file_separator|>", "<eos>"))
    assert qwen is not None and qwen.family == "qwen"
    assert gemma is not None and gemma.family == "codegemma"
    assert gemma.file_sep_token == "<|file_separator|>"


def test_starcoder_and_santacoder_differ_by_hyphens() -> None:
    star = detect_format(vocab("<fim_prefix>", "<fim_suffix>", "<fim_middle>"))
    santa = detect_format(vocab("<fim-prefix>", "<fim-suffix>", "<fim-middle>"))
    assert star is not None and star.family == "starcoder"
    assert santa is not None and santa.family == "santacoder"


def test_repo_tokens_the_vocabulary_lacks_are_dropped() -> None:
    # StarCoder 1: StarCoder2's FIM tokens, no <file_sep>/<repo_name>.
    fmt = detect_format(vocab("<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<|endoftext|>"))
    assert fmt is not None and fmt.family == "starcoder"
    assert not fmt.has_repo_format
    pieces = render_fim(fmt, "a = ", "\n", files=[("b.py", "B = 2\n")], repo_name="r", path="a.py")
    assert specials(pieces) == ["<fim_prefix>", "<fim_suffix>", "<fim_middle>"]
    assert pieces[1] == "b.py\nB = 2\n\na = "


def test_deepseek_and_codellama_and_codestral_are_told_apart() -> None:
    found = {
        detect_format(vocab(*toks)).family
        for toks in (
            ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
            ("<PRE>", "<SUF>", "<MID>", "<EOT>"),
            ("[PREFIX]", "[SUFFIX]", "[INST]"),
        )
    }
    assert found == {"deepseek", "codellama", "codestral"}


def specials(pieces: Iterable[Piece]) -> list[str]:
    return [p.text for p in pieces if isinstance(p, Special)]


def as_json(pieces: list[Piece]) -> list[list[str]]:
    return [["special", p.text] if isinstance(p, Special) else ["text", p] for p in pieces]


@pytest.mark.parametrize("case", LAYOUTS["cases"], ids=[c["name"] for c in LAYOUTS["cases"]])
def test_layouts_match_the_reference(case: dict[str, Any]) -> None:
    inputs = {**LAYOUTS["inputs"], **case}
    pieces = render_fim(
        FORMATS[case["family"]],
        inputs["prefix"],
        inputs["suffix"],
        files=[tuple(f) for f in inputs["files"]],
        repo_name=inputs["repo_name"],
        path=inputs["path"],
        spm=inputs.get("spm", False),
        comment=inputs.get("comment", ""),
    )
    assert as_json(pieces) == case["expected"]


def psm_families() -> list[FimFormat]:
    return [f for f in FORMATS.values() if not f.suffix_first]


@pytest.mark.parametrize("fmt", psm_families(), ids=lambda f: f.family)
def test_stable_part_comes_first_so_the_kv_cache_survives_suffix_edits(fmt: FimFormat) -> None:
    files = [("lib/a.py", "A = 1\n"), ("lib/b.py", "B = 2\n")]
    one = render_fim(fmt, "x = ", "\nprint(x)\n", files=files, repo_name="r", path="m.py")
    two = render_fim(fmt, "x = ", "\nprint(y)\nz = 3\n", files=files, repo_name="r", path="m.py")
    cut = one.index(Special(fmt.suffix))
    assert one[: cut + 1] == two[: cut + 1]
    assert one[cut + 1 :] != two[cut + 1 :]
    # Repository files precede the prefix.
    text = "".join(p for p in one[:cut] if isinstance(p, str))
    assert text.index("A = 1") < text.index("B = 2") < text.index("x = ")


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=lambda f: f.family)
def test_every_rendered_special_belongs_to_the_format(fmt: FimFormat) -> None:
    for spm in (False, True):
        pieces = render_fim(
            fmt, "p", "s", files=[("f.py", "c")], repo_name="r", path="m.py", spm=spm
        )
        assert set(specials(pieces)) <= set(fmt.special_tokens)
        texts = [p for p in pieces if isinstance(p, str)]
        assert "" not in texts
        joined = "".join(texts)
        assert "p" in joined and "s" in joined and "c" in joined


def test_user_text_with_special_strings_stays_text() -> None:
    pieces = render_fim(FORMATS["qwen"], "s = '<|fim_middle|>'", "<|file_sep|>")
    assert specials(pieces) == ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"]
    assert "s = '<|fim_middle|>'" in pieces and "<|file_sep|>" in pieces


def test_left_to_right_shows_files_with_commented_paths_then_the_prefix() -> None:
    text = render_left_to_right(
        "def main():\n    ", files=[("a.py", "A = 1"), ("b/c.py", "C = 3\n")], path="m.py"
    )
    assert text == "# a.py\nA = 1\n\n# b/c.py\nC = 3\n\n# m.py\ndef main():\n    "


def test_left_to_right_without_files_is_the_prefix() -> None:
    assert render_left_to_right("x = 1\ny = ", path="m.py") == "x = 1\ny = "


def test_left_to_right_uses_the_languages_comment_marker() -> None:
    text = render_left_to_right("let x = ", files=[("a.js", "export const a = 1;")], comment="//")
    assert text.startswith("// a.js\nexport const a = 1;\n")
    assert text.endswith("let x = ")
