"""Special tokens and FIM prompt tokens on real (tiny) GGUF models loaded by llama.cpp."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import llama_cpp
import numpy as np
import pytest
from repofill.models.fim import FORMATS, FimFormat, Piece, Special, detect_format, render_fim
from repofill.models.vocab import is_control, special_token_id, stop_token_ids, tokenize_pieces

FIM_FAMILIES = [
    "qwen",
    "starcoder",
    "santacoder",
    "deepseek",
    "codellama",
    "codegemma",
    "codestral",
]
PREFIX = "def add(a, b):\n    return "
SUFFIX = "\n\nprint(add(1, 2))\n"
# Every FIM-family token string, as user code might contain it.
SPECIAL_TEXT = (
    "s = '" + "".join(sorted({t for f in FORMATS.values() for t in f.special_tokens})) + "'"
)

Loader = Callable[..., Any]


def fmt_of(llm: Any) -> FimFormat | None:
    return detect_format(lambda s: special_token_id(llm, s) is not None)


def detok(llm: Any, ids: list[int]) -> str:
    return bytes(llm.detokenize(ids, special=True)).decode("utf-8")


def expected_ids(llm: Any, pieces: list[Piece]) -> list[int | str]:
    """The layout as llama.cpp's own metadata sees it: FIM ids where specials go, text elsewhere."""
    vocab = llm._model.vocab
    own = {
        "fim_pre": llama_cpp.llama_vocab_fim_pre(vocab),
        "fim_suf": llama_cpp.llama_vocab_fim_suf(vocab),
        "fim_mid": llama_cpp.llama_vocab_fim_mid(vocab),
        "fim_rep": llama_cpp.llama_vocab_fim_rep(vocab),
        "fim_sep": llama_cpp.llama_vocab_fim_sep(vocab),
    }
    fmt = fmt_of(llm)
    assert fmt is not None
    role = {
        fmt.prefix: "fim_pre",
        fmt.suffix: "fim_suf",
        fmt.middle: "fim_mid",
        fmt.repo_name_token: "fim_rep",
        fmt.file_sep_token: "fim_sep",
    }
    return [own[role[p.text]] if isinstance(p, Special) else p for p in pieces]


def split_by_specials(llm: Any, ids: list[int], specials: set[int]) -> list[int | str]:
    """Special ids kept, runs of text tokens decoded."""
    out: list[int | str] = []
    run: list[int] = []
    for token in ids:
        if token in specials:
            if run:
                out.append(detok(llm, run))
                run = []
            out.append(token)
        else:
            run.append(token)
    if run:
        out.append(detok(llm, run))
    return out


@pytest.mark.parametrize("family", FIM_FAMILIES)
def test_family_is_detected_from_the_loaded_vocabulary(tiny_llm: Loader, family: str) -> None:
    fmt = fmt_of(tiny_llm(family))
    assert fmt is not None
    assert fmt.family == family


def test_a_model_without_fim_tokens_has_no_format(tiny_llm: Loader) -> None:
    llm = tiny_llm(None)
    assert fmt_of(llm) is None
    assert special_token_id(llm, "<|endoftext|>") == llm.token_eos()


@pytest.mark.parametrize("family", FIM_FAMILIES)
def test_special_ids_agree_with_llamacpp_fim_metadata(tiny_llm: Loader, family: str) -> None:
    llm = tiny_llm(family)
    fmt = fmt_of(llm)
    assert fmt is not None
    vocab = llm._model.vocab
    assert special_token_id(llm, fmt.prefix) == llama_cpp.llama_vocab_fim_pre(vocab)
    assert special_token_id(llm, fmt.suffix) == llama_cpp.llama_vocab_fim_suf(vocab)
    if fmt.middle is not None:
        assert special_token_id(llm, fmt.middle) == llama_cpp.llama_vocab_fim_mid(vocab)


@pytest.mark.parametrize("family", [*FIM_FAMILIES, None])
def test_ordinary_text_is_not_a_special_token(tiny_llm: Loader, family: str | None) -> None:
    llm = tiny_llm(family)
    for text in ("x", "def", " return", "<", "<|"):
        assert special_token_id(llm, text) is None
    others = {"starcoder": "<|fim_prefix|>", "qwen": "<fim_prefix>", "codegemma": "<|file_sep|>"}
    if family in others:
        assert special_token_id(llm, others[family]) is None


@pytest.mark.parametrize("family", FIM_FAMILIES)
@pytest.mark.parametrize("with_repo", [False, True], ids=["plain", "repo"])
def test_prompt_tokens_are_the_family_layout(
    tiny_llm: Loader, family: str, with_repo: bool
) -> None:
    llm = tiny_llm(family)
    fmt = fmt_of(llm)
    assert fmt is not None
    files = [("util.py", "X = 1\n")] if with_repo else []
    pieces = render_fim(
        fmt, PREFIX, SUFFIX, files=files, repo_name="r" if with_repo else "", path="main.py"
    )
    add_bos = bool(llm._model.add_bos_token())
    ids = tokenize_pieces(llm, pieces, add_bos=add_bos)
    if add_bos:
        assert ids[0] == llm.token_bos()
        ids = ids[1:]
    specials = {special_token_id(llm, t) for t in fmt.special_tokens} - {None}
    got = split_by_specials(llm, ids, specials)
    assert got == expected_ids(llm, pieces)
    assert PREFIX in "".join(p for p in got if isinstance(p, str))


@pytest.mark.parametrize("family", ["codellama", "starcoder"])
def test_spm_order_puts_the_suffix_first(tiny_llm: Loader, family: str) -> None:
    llm = tiny_llm(family)
    fmt = fmt_of(llm)
    assert fmt is not None and fmt.middle is not None
    ids = tokenize_pieces(llm, render_fim(fmt, PREFIX, SUFFIX, spm=True), add_bos=False)
    pre, suf, mid = (special_token_id(llm, t) for t in (fmt.prefix, fmt.suffix, fmt.middle))
    assert ids[:2] == [pre, suf]
    at_mid = ids.index(mid)
    assert detok(llm, ids[2:at_mid]) == SUFFIX
    assert detok(llm, ids[at_mid + 1 :]).lstrip(" ") == PREFIX


def test_codellama_text_pieces_are_literal(tiny_llm: Loader) -> None:
    """SentencePiece adds a space before separately tokenized text; FIM pieces must not get it."""
    llm = tiny_llm("codellama")
    suf = special_token_id(llm, "<SUF>")
    assert bytes(llm.detokenize(llm.tokenize(b"x)", add_bos=False))) == b" x)"  # the hazard
    ids = tokenize_pieces(llm, [Special("<SUF>"), "x)"], add_bos=False)
    assert ids[0] == suf
    assert detok(llm, ids[1:]) == "x)"
    # Text that opens the prompt is tokenized the model's default way.
    assert tokenize_pieces(llm, ["def f"], add_bos=True) == llm.tokenize(b"def f", add_bos=True)


@pytest.mark.parametrize("family", [*FIM_FAMILIES, None])
def test_user_text_never_becomes_a_special_token(tiny_llm: Loader, family: str | None) -> None:
    llm = tiny_llm(family)
    fmt = fmt_of(llm)
    stops = stop_token_ids(llm, fmt)
    lead: list[Piece] = [Special(fmt.prefix)] if fmt else ["# a\n"]
    ids = tokenize_pieces(llm, [*lead, SPECIAL_TEXT], add_bos=False)
    head = len(tokenize_pieces(llm, lead, add_bos=False))
    assert not set(ids[head:]) & stops
    expected = SPECIAL_TEXT
    if llm._model.vocab_type() == llama_cpp.LLAMA_VOCAB_TYPE_SPM:
        expected = expected.replace("▁", " ")  # SentencePiece reads its space marker as a space
    assert detok(llm, ids[head:]) == expected


def test_user_defined_special_strings_in_text_stay_text(tiny_llm: Loader) -> None:
    """llama.cpp matches USER_DEFINED tokens even without parsing specials; we must not."""
    llm = tiny_llm("qwen", user_defined=("<|file_sep|>", "<|fim_prefix|>"))
    text = "a = '<|file_sep|>' + '<|fim_prefix|>'"
    file_sep = special_token_id(llm, "<|file_sep|>")
    fim_prefix = special_token_id(llm, "<|fim_prefix|>")
    raw = llm.tokenize(text.encode(), add_bos=False, special=False)
    assert file_sep in raw and fim_prefix in raw  # the hazard is real
    ids = tokenize_pieces(llm, ["x\n", text], add_bos=False)
    assert file_sep not in ids and fim_prefix not in ids
    assert detok(llm, ids) == "x\n" + text
    assert {file_sep, fim_prefix} <= stop_token_ids(llm, None)


@pytest.mark.parametrize("family", [*FIM_FAMILIES, None])
def test_every_special_token_is_a_stop(tiny_llm: Loader, family: str | None) -> None:
    llm = tiny_llm(family)
    fmt = fmt_of(llm)
    stops = stop_token_ids(llm, fmt)
    vocab = llm._model.vocab
    controls = {t for t in range(llm.n_vocab()) if llama_cpp.llama_vocab_is_control(vocab, t)}
    assert controls, "the factory types special tokens CONTROL"
    assert controls <= stops
    assert llm.token_eos() in stops
    eot = llama_cpp.llama_vocab_eot(vocab)
    if eot >= 0:
        assert eot in stops
    if fmt is not None:
        for text in fmt.special_tokens:
            token = special_token_id(llm, text)
            if token is not None:
                assert token in stops, text
    ordinary = tokenize_pieces(llm, ["x = add(1, 2)\n"], add_bos=False)
    assert not set(ordinary) & stops
    assert all(is_control(llm, t) for t in controls)
    assert not any(is_control(llm, t) for t in ordinary)


@pytest.mark.parametrize("family", ["qwen", "codellama"])
def test_a_forced_special_token_is_generated_and_recognised_as_a_stop(
    tiny_llm: Loader, family: str
) -> None:
    """The factory's `successors` really steer generation, and the token it lands on stops."""
    stop_text = {"qwen": "<|file_sep|>", "codellama": "<EOT>"}[family]
    llm = tiny_llm(family, successors={FORMATS[family].middle: "x", "x": stop_text})
    fmt = fmt_of(llm)
    assert fmt is not None
    stops = stop_token_ids(llm, fmt)
    ids = tokenize_pieces(llm, render_fim(fmt, PREFIX, SUFFIX), add_bos=False)
    llm.reset()
    llm.eval(ids)
    generated: list[int] = []
    for _ in range(8):
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
        token = int(np.argmax(logits))
        generated.append(token)
        if token in stops:
            break
        llm.eval([token])
    assert detok(llm, generated[:-1]) == "x"
    assert generated[-1] == special_token_id(llm, stop_text)
