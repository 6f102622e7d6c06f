"""Tiny GGUF models for tests: random weights, a real family's FIM tokens in the vocabulary.

The real FIM-trained models are not downloaded by the tests (no model hub in CI), so the tests write
llama-architecture models of a few hundred kilobytes with the `gguf` package. Each family gets
the tokenizer kind its real models use (byte-level BPE for Qwen, StarCoder, SantaCoder,
DeepSeek; SentencePiece for CodeLlama, CodeGemma, Codestral), its real special-token strings
typed CONTROL, its eos/bos, and the `tokenizer.ggml.fim_*_token_id` metadata.

Forcing output: the weights are random, but `successors={"a": "b"}` makes the model a
deterministic bigram on those tokens: whenever the last token is `a`, `b` has by far the highest
logit. Each trigger token owns one embedding dimension ("key") that no layer writes to, and the
successor's output row reads that dimension. A second reserved dimension carries a constant that
pushes every special token (and every token that is not printable ASCII) far down, so unforced
generation produces readable ordinary text and a special token appears only where a test asks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

import gguf
import numpy as np

N_EMBD = 64
N_HEAD = 4
N_FF = 128
N_LAYER = 2

# Text the tokenizer's merges / pieces are learned from, so code tokenizes into multi-byte tokens.
_CORPUS = '''
def add(a, b):
    """Return the sum."""
    return a + b


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5


for i in range(10):
    if i % 2 == 0:
        print(i, "even")
    else:
        print(i, "odd")
import os
from pathlib import Path
values = [value for value in values if value is not None]
'''

_N_MERGES = 120

# family -> (tokenizer kind, special tokens in id order, roles)
# Roles name the metadata a real conversion writes (convert_hf_to_gguf.py).
_BPE = "gpt2"
_SPM = "llama"


@dataclass(frozen=True)
class _FamilySpec:
    tokenizer: str
    pre: str
    specials: tuple[str, ...]
    roles: Mapping[str, str] = field(default_factory=dict)
    add_bos: bool = False
    add_space_prefix: bool = True
    leading: tuple[str, ...] = ()
    """SentencePiece control tokens placed at ids 0.. before the byte tokens."""


_FAMILIES: dict[str | None, _FamilySpec] = {
    None: _FamilySpec(_BPE, "gpt-2", ("<|endoftext|>",), {"eos": "<|endoftext|>"}),
    "qwen": _FamilySpec(
        _BPE,
        "qwen2",
        (
            "<|endoftext|>",
            "<|im_start|>",
            "<|im_end|>",
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ),
        {
            "eos": "<|endoftext|>",
            "fim_pre": "<|fim_prefix|>",
            "fim_suf": "<|fim_suffix|>",
            "fim_mid": "<|fim_middle|>",
            "fim_pad": "<|fim_pad|>",
            "fim_rep": "<|repo_name|>",
            "fim_sep": "<|file_sep|>",
        },
    ),
    "starcoder": _FamilySpec(
        _BPE,
        "starcoder",
        (
            "<|endoftext|>",
            "<fim_prefix>",
            "<fim_middle>",
            "<fim_suffix>",
            "<fim_pad>",
            "<repo_name>",
            "<file_sep>",
            "<issue_start>",
        ),
        {
            "eos": "<|endoftext|>",
            "fim_pre": "<fim_prefix>",
            "fim_suf": "<fim_suffix>",
            "fim_mid": "<fim_middle>",
            "fim_pad": "<fim_pad>",
            "fim_rep": "<repo_name>",
            "fim_sep": "<file_sep>",
        },
    ),
    "santacoder": _FamilySpec(
        _BPE,
        "gpt-2",
        ("<|endoftext|>", "<fim-prefix>", "<fim-middle>", "<fim-suffix>", "<fim-pad>"),
        {
            "eos": "<|endoftext|>",
            "fim_pre": "<fim-prefix>",
            "fim_suf": "<fim-suffix>",
            "fim_mid": "<fim-middle>",
            "fim_pad": "<fim-pad>",
        },
    ),
    "deepseek": _FamilySpec(
        _BPE,
        "deepseek-coder",
        (
            "<｜begin▁of▁sentence｜>",
            "<｜end▁of▁sentence｜>",
            "<｜fim▁hole｜>",
            "<｜fim▁begin｜>",
            "<｜fim▁end｜>",
            "<|EOT|>",
        ),
        {
            "bos": "<｜begin▁of▁sentence｜>",
            "eos": "<｜end▁of▁sentence｜>",
            "fim_pre": "<｜fim▁begin｜>",
            "fim_suf": "<｜fim▁hole｜>",
            "fim_mid": "<｜fim▁end｜>",
        },
        add_bos=True,
    ),
    "codellama": _FamilySpec(
        _SPM,
        "default",
        # CodeLlama's GGUF spells its FIM tokens with SentencePiece's space marker.
        ("▁<PRE>", "▁<SUF>", "▁<MID>", "▁<EOT>"),
        {
            "bos": "<s>",
            "eos": "</s>",
            "eot": "▁<EOT>",
            "fim_pre": "▁<PRE>",
            "fim_suf": "▁<SUF>",
            "fim_mid": "▁<MID>",
        },
        add_bos=True,
        leading=("<unk>", "<s>", "</s>"),
    ),
    "codegemma": _FamilySpec(
        _SPM,
        "default",
        ("<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|file_separator|>"),
        {
            "bos": "<bos>",
            "eos": "<eos>",
            "fim_pre": "<|fim_prefix|>",
            "fim_suf": "<|fim_suffix|>",
            "fim_mid": "<|fim_middle|>",
            "fim_sep": "<|file_separator|>",
        },
        add_bos=True,
        add_space_prefix=False,
        leading=("<pad>", "<eos>", "<bos>", "<unk>"),
    ),
    "codestral": _FamilySpec(
        _SPM,
        "default",
        ("[INST]", "[/INST]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]"),
        {"bos": "<s>", "eos": "</s>", "fim_pre": "[PREFIX]", "fim_suf": "[SUFFIX]"},
        add_bos=True,
        leading=("<unk>", "<s>", "</s>"),
    ),
}

FAMILIES: tuple[str | None, ...] = tuple(_FAMILIES)


@cache
def _byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = list(keep)
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(keep, chars, strict=True)}


def _learn_merges(words: list[list[str]], n: int) -> list[tuple[str, str]]:
    """A few rounds of byte-pair merging over the corpus words."""
    merges: list[tuple[str, str]] = []
    for _ in range(n):
        pairs: Counter[tuple[str, str]] = Counter()
        for word in words:
            pairs.update(pairwise(word))
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        for i, word in enumerate(words):
            out: list[str] = []
            j = 0
            while j < len(word):
                if j + 1 < len(word) and (word[j], word[j + 1]) == best:
                    out.append(joined)
                    j += 2
                else:
                    out.append(word[j])
                    j += 1
            words[i] = out
    return merges


def _corpus_words() -> list[str]:
    """GPT-2-like pre-tokenization: a word keeps the space before it."""
    words: list[str] = []
    for line in _CORPUS.splitlines(keepends=True):
        current = ""
        for ch in line:
            if ch.isalnum() or ch == "_":
                current += ch
            else:
                if current.strip():
                    words.append(current)
                current = ch if ch == " " else ""
                if ch != " ":
                    words.append(ch)
        if current.strip():
            words.append(current)
    return words


@dataclass
class _Vocab:
    tokens: list[str]
    types: list[int]
    scores: list[float]
    merges: list[str]
    text_of: list[str]
    """What each token reads as (for `successors`), special tokens by their raw string."""


def _bpe_vocab(specials: tuple[str, ...]) -> _Vocab:
    b2u = _byte_to_unicode()
    tokens = [b2u[b] for b in range(256)]
    words = [[b2u[b] for b in w.encode("utf-8")] for w in _corpus_words()]
    merges = _learn_merges(words, _N_MERGES)
    known = set(tokens)
    merge_lines = []
    for left, right in merges:
        merge_lines.append(f"{left} {right}")
        if left + right not in known:
            known.add(left + right)
            tokens.append(left + right)
    u2b = {u: b for b, u in b2u.items()}
    text_of = [bytes(u2b[c] for c in t).decode("utf-8", "replace") for t in tokens]
    types = [gguf.TokenType.NORMAL] * len(tokens)
    tokens += specials
    text_of += specials
    types += [gguf.TokenType.CONTROL] * len(specials)
    return _Vocab(tokens, [int(t) for t in types], [0.0] * len(tokens), merge_lines, text_of)


def _spm_vocab(leading: tuple[str, ...], specials: tuple[str, ...], fim_first: bool) -> _Vocab:
    tokens: list[str] = list(leading)
    types = [gguf.TokenType.UNKNOWN if t == "<unk>" else gguf.TokenType.CONTROL for t in leading]
    if fim_first:  # CodeGemma keeps its FIM tokens among the low ids, before the bytes
        tokens += specials
        types += [gguf.TokenType.CONTROL] * len(specials)
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    text_of = list(tokens)
    for b in range(256):
        text_of[len(tokens) - 256 + b] = chr(b) if b < 128 else "\ufffd"
    scores = [0.0] * len(tokens)
    # Pieces: printable characters, then merged corpus words (SentencePiece marks spaces with ▁).
    chars = sorted({c for c in _CORPUS if c.isprintable()} | set("abcdefghijklmnopqrstuvwxyz"))
    pieces = ["▁" if c == " " else c for c in chars]
    words = [[("▁" if c == " " else c) for c in w] for w in _corpus_words()]
    merged = ["".join(pair) for pair in _learn_merges(words, _N_MERGES)]
    seen = set(tokens)
    for rank, piece in enumerate([*pieces, *merged]):
        if piece in seen:
            continue
        seen.add(piece)
        tokens.append(piece)
        text_of.append(piece.replace("▁", " "))
        types.append(gguf.TokenType.NORMAL)
        scores.append(-float(rank) if rank < len(pieces) else -float(rank - len(pieces)) / 10)
    if not fim_first:
        tokens += specials
        types += [gguf.TokenType.CONTROL] * len(specials)
        scores += [0.0] * len(specials)
        text_of += [s.replace("▁", " ") for s in specials]
    else:
        for i, s in enumerate(specials):
            text_of[len(leading) + i] = s
    return _Vocab(tokens, [int(t) for t in types], scores, [], text_of)


def _vocab_for(spec: _FamilySpec, family: str | None) -> _Vocab:
    if spec.tokenizer == _BPE:
        return _bpe_vocab(spec.specials)
    return _spm_vocab(spec.leading, spec.specials, fim_first=family == "codegemma")


def _lookup(vocab: _Vocab, text: str) -> int:
    """Id of the token whose raw string or reading is `text` (specials also without `▁`)."""
    for i, (raw, reads) in enumerate(zip(vocab.tokens, vocab.text_of, strict=True)):
        if vocab.types[i] == gguf.TokenType.BYTE:
            continue  # prefer the piece "x" to the byte-fallback token <0x78>
        if text in (raw, reads) or (raw.startswith("▁<") and raw[1:] == text):
            return i
    raise KeyError(f"{text!r} is not one token of this vocabulary")


def _weights(
    n_vocab: int,
    unlikely_ids: set[int],
    successors: Mapping[int, int],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Random llama weights with the reserved dimensions described in the module docstring."""
    triggers = sorted(successors)
    if len(triggers) > N_EMBD // 2:
        raise ValueError(f"at most {N_EMBD // 2} successor triggers")
    bias_dim = N_EMBD - 1
    reserved = [*range(len(triggers)), bias_dim]

    def rand(*shape: int, std: float) -> np.ndarray:
        return (rng.standard_normal(shape) * std).astype(np.float32)

    embd = rand(n_vocab, N_EMBD, std=0.1)
    embd[:, reserved] = 0.0
    embd[:, bias_dim] = 5.0
    output = rand(n_vocab, N_EMBD, std=0.1)
    output[:, reserved] = 0.0
    for sid in unlikely_ids:
        output[sid, bias_dim] = -10.0
    for key, trigger in enumerate(triggers):
        embd[trigger, key] = 10.0
        output[successors[trigger], key] = 20.0

    tensors: dict[str, np.ndarray] = {
        "token_embd.weight": embd,
        "output_norm.weight": np.ones(N_EMBD, dtype=np.float32),
        "output.weight": output,
    }
    for layer in range(N_LAYER):
        p = f"blk.{layer}."
        attn_out = rand(N_EMBD, N_EMBD, std=0.02)
        down = rand(N_EMBD, N_FF, std=0.02)
        attn_out[reserved, :] = 0.0  # no layer writes to the reserved dimensions
        down[reserved, :] = 0.0
        tensors.update(
            {
                p + "attn_norm.weight": np.ones(N_EMBD, dtype=np.float32),
                p + "attn_q.weight": rand(N_EMBD, N_EMBD, std=0.1),
                p + "attn_k.weight": rand(N_EMBD, N_EMBD, std=0.1),
                p + "attn_v.weight": rand(N_EMBD, N_EMBD, std=0.1),
                p + "attn_output.weight": attn_out,
                p + "ffn_norm.weight": np.ones(N_EMBD, dtype=np.float32),
                p + "ffn_gate.weight": rand(N_FF, N_EMBD, std=0.1),
                p + "ffn_up.weight": rand(N_FF, N_EMBD, std=0.1),
                p + "ffn_down.weight": down,
            }
        )
    return tensors


def write_tiny_gguf(
    path: Path,
    family: str | None,
    *,
    seed: int = 0,
    n_ctx: int = 512,
    successors: Mapping[str, str] | None = None,
    user_defined: Sequence[str] = (),
) -> Path:
    """Write a tiny llama-architecture GGUF for `family` (None: no FIM tokens) to `path`.

    `successors` maps a token to the token the model then predicts (both given as text: a
    special token's string, or the text of one ordinary token such as "x" or " return").
    `user_defined` lists special tokens to type USER_DEFINED instead of CONTROL, as some
    conversions do (llama.cpp matches those in raw text even when not parsing specials).
    """
    if family not in _FAMILIES:
        raise ValueError(f"unknown family {family!r}; known: {FAMILIES}")
    spec = _FAMILIES[family]
    vocab = _vocab_for(spec, family)
    for text in user_defined:
        vocab.types[vocab.tokens.index(text)] = int(gguf.TokenType.USER_DEFINED)
    rng = np.random.default_rng(seed)
    # Unforced generation avoids special tokens and unreadable bytes (module docstring).
    unlikely_ids = {
        i
        for i, (kind, reads) in enumerate(zip(vocab.types, vocab.text_of, strict=True))
        if kind != gguf.TokenType.NORMAL or not (reads.isascii() and reads.isprintable())
    }
    forced = {_lookup(vocab, a): _lookup(vocab, b) for a, b in (successors or {}).items()}

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(f"tiny-{family or 'none'}")
    writer.add_context_length(n_ctx)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(vocab.tokens))
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)

    writer.add_tokenizer_model(spec.tokenizer)
    writer.add_tokenizer_pre(spec.pre)
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.types)
    writer.add_token_scores(vocab.scores)
    if vocab.merges:
        writer.add_token_merges(vocab.merges)
    writer.add_add_bos_token(spec.add_bos)
    if spec.tokenizer == _SPM:
        writer.add_add_space_prefix(spec.add_space_prefix)
    role_keys = {
        "bos": gguf.Keys.Tokenizer.BOS_ID,
        "eos": gguf.Keys.Tokenizer.EOS_ID,
        "eot": gguf.Keys.Tokenizer.EOT_ID,
        "fim_pre": gguf.Keys.Tokenizer.FIM_PRE_ID,
        "fim_suf": gguf.Keys.Tokenizer.FIM_SUF_ID,
        "fim_mid": gguf.Keys.Tokenizer.FIM_MID_ID,
        "fim_pad": gguf.Keys.Tokenizer.FIM_PAD_ID,
        "fim_rep": gguf.Keys.Tokenizer.FIM_REP_ID,
        "fim_sep": gguf.Keys.Tokenizer.FIM_SEP_ID,
    }
    for role, text in spec.roles.items():
        writer.add_uint32(role_keys[role], vocab.tokens.index(text))
    if spec.tokenizer == _SPM:
        writer.add_uint32(gguf.Keys.Tokenizer.UNK_ID, vocab.tokens.index("<unk>"))

    for name, tensor in _weights(len(vocab.tokens), unlikely_ids, forced, rng).items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
