"""Fill-in-the-middle prompt formats, detected from a model's special tokens (each family's
documented format: model cards and tokenizer configs).

Pure Python: the vocabulary is reached only through a `has_special` callable, so this module
can be tested without llama.cpp. A rendered prompt is a list of pieces: plain text (tokenized as
text, never parsed for special tokens) and `Special` markers (inserted by token id). That keeps
user code that happens to contain "<|fim_prefix|>" from becoming a control token.

Layout rule (KV-cache reuse: llama.cpp keeps the longest common token prefix of consecutive
prompts, docs/architecture.md): the stable part (repository files, then the
prefix) comes first and the volatile tail (suffix, middle marker) last. SPM and suffix-first
formats (Codestral) put the suffix first by definition.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True)
class Special:
    """A special token to insert by id, never by tokenizing text."""

    text: str


Piece: TypeAlias = str | Special


@dataclass(frozen=True)
class FimFormat:
    family: str
    prefix: str
    """Token that opens the prefix (PSM) or the whole FIM prompt."""
    suffix: str
    middle: str | None
    """Token after which the model writes the middle; None when the format has none (Codestral)."""
    stop_tokens: tuple[str, ...]
    """Tokens that end the middle, besides the model's eos/eot (each family's documented stops)."""
    supports_spm: bool
    """The model was trained on suffix-prefix-middle order too (CodeLlama, StarCoder)."""
    suffix_first: bool = False
    """The native layout is `{suffix marker}{suf}{prefix marker}{pre}` (Codestral)."""
    repo_name_token: str | None = None
    file_sep_token: str | None = None
    """Repository-level format: `repo_name_token` opens it, `file_sep_token` precedes each file."""
    markers: tuple[str, ...] = ()
    """Extra tokens that must be present to tell this family from one sharing its FIM tokens."""

    @property
    def fim_tokens(self) -> tuple[str, ...]:
        return tuple(t for t in (self.prefix, self.suffix, self.middle) if t is not None)

    @property
    def has_repo_format(self) -> bool:
        return self.file_sep_token is not None

    @property
    def special_tokens(self) -> tuple[str, ...]:
        """Every special token string this format uses or stops on."""
        extra = (self.repo_name_token, self.file_sep_token)
        seen = dict.fromkeys(
            [*self.fim_tokens, *(t for t in extra if t), *self.stop_tokens, *self.markers]
        )
        return tuple(seen)


_QWEN_FIM = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")

# Detection tries these in order: a family whose `markers` distinguish it comes before the
# family that shares its FIM tokens (CodeGemma before Qwen).
FORMATS: dict[str, FimFormat] = {
    "codegemma": FimFormat(
        family="codegemma",
        prefix=_QWEN_FIM[0],
        suffix=_QWEN_FIM[1],
        middle=_QWEN_FIM[2],
        stop_tokens=(*_QWEN_FIM, "<|file_separator|>"),
        supports_spm=False,
        file_sep_token="<|file_separator|>",
        markers=("<|file_separator|>",),
    ),
    "qwen": FimFormat(
        family="qwen",
        prefix=_QWEN_FIM[0],
        suffix=_QWEN_FIM[1],
        middle=_QWEN_FIM[2],
        stop_tokens=(
            "<|endoftext|>",
            "<|fim_pad|>",
            "<|file_sep|>",
            "<|repo_name|>",
            *_QWEN_FIM,
        ),
        supports_spm=False,
        repo_name_token="<|repo_name|>",
        file_sep_token="<|file_sep|>",
    ),
    "starcoder": FimFormat(
        family="starcoder",
        prefix="<fim_prefix>",
        suffix="<fim_suffix>",
        middle="<fim_middle>",
        stop_tokens=("<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
        supports_spm=True,
        repo_name_token="<repo_name>",
        file_sep_token="<file_sep>",
    ),
    "santacoder": FimFormat(
        family="santacoder",
        prefix="<fim-prefix>",
        suffix="<fim-suffix>",
        middle="<fim-middle>",
        stop_tokens=("<|endoftext|>", "<fim-prefix>", "<fim-suffix>", "<fim-middle>"),
        supports_spm=False,
    ),
    "deepseek": FimFormat(
        family="deepseek",
        prefix="<｜fim▁begin｜>",
        suffix="<｜fim▁hole｜>",
        middle="<｜fim▁end｜>",
        stop_tokens=("<｜end▁of▁sentence｜>", "<|EOT|>", "<｜fim▁begin｜>", "<｜fim▁hole｜>"),
        supports_spm=False,
    ),
    "codellama": FimFormat(
        family="codellama",
        prefix="<PRE>",
        suffix="<SUF>",
        middle="<MID>",
        stop_tokens=("<EOT>", "<PRE>", "<SUF>", "<MID>"),
        supports_spm=True,
    ),
    "codestral": FimFormat(
        family="codestral",
        prefix="[PREFIX]",
        suffix="[SUFFIX]",
        middle=None,
        stop_tokens=("[PREFIX]", "[SUFFIX]"),
        supports_spm=False,
        suffix_first=True,
    ),
}


def detect_format(has_special: Callable[[str], bool]) -> FimFormat | None:
    """The FIM format whose tokens the vocabulary has, or None (left-to-right generation).

    `has_special(s)` is True when `s` is one special (control or user-defined) token of the
    model. Repository-level tokens the vocabulary lacks are dropped from the returned format
    (StarCoder 1 has the FIM tokens of StarCoder2 but no `<file_sep>`), so rendering never asks
    for a token that does not exist.
    """
    for fmt in FORMATS.values():
        if not all(has_special(t) for t in (*fmt.fim_tokens, *fmt.markers)):
            continue
        repo = (
            fmt.repo_name_token
            if fmt.repo_name_token and has_special(fmt.repo_name_token)
            else None
        )
        sep = fmt.file_sep_token if fmt.file_sep_token and has_special(fmt.file_sep_token) else None
        if (repo, sep) != (fmt.repo_name_token, fmt.file_sep_token):
            fmt = dataclasses.replace(fmt, repo_name_token=repo, file_sep_token=sep)
        return fmt
    return None


def _plain_files(files: Sequence[tuple[str, str]], comment: str) -> str:
    """Repository files as `header + code` blocks, for formats without a repo-level layout.

    Without a comment marker the header is the bare path on its own line: the format does not
    know the language, and a bare path is what StarCoder2 and Qwen place after their file
    separators, so it is the closest thing these models have seen to "a file starts here".
    """
    blocks = []
    for path, text in files:
        header = f"{comment} {path}" if comment else path
        blocks.append(f"{header}\n{_ends_with_newline(text)}\n")
    return "".join(blocks)


def _ends_with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _repo_header(
    fmt: FimFormat, files: Sequence[tuple[str, str]], repo_name: str, path: str
) -> tuple[list[Piece], str]:
    """Pieces before the FIM markers, and the text that must lead the prefix.

    Qwen:      <|repo_name|>{name}\\n<|file_sep|>{path}\\n{code}\\n…<|file_sep|>{cur}\\n<FIM>
    StarCoder2: <repo_name>{name}<file_sep>{path}\\n{code}<file_sep><fim_prefix>{cur}\\n{pre}…
    CodeGemma: <|file_separator|>{path}\\n{code}\\n…<|file_separator|>{cur}\\n<FIM>
    """
    sep = fmt.file_sep_token
    assert sep is not None
    pieces: list[Piece] = []
    if fmt.family == "starcoder":
        if fmt.repo_name_token and repo_name:
            pieces += [Special(fmt.repo_name_token), repo_name]
        for file_path, text in files:
            pieces += [Special(sep), f"{file_path}\n{text}"]
        if files or repo_name:
            pieces.append(Special(sep))
        # StarCoder2 puts the current file's path right after <fim_prefix>.
        lead = f"{path}\n" if path and (files or repo_name) else ""
        return pieces, lead
    if fmt.repo_name_token and (repo_name or files):
        pieces += [Special(fmt.repo_name_token), f"{repo_name}\n"]
    for file_path, text in files:
        pieces += [Special(sep), f"{file_path}\n{_ends_with_newline(text)}"]
    if path and (files or repo_name):
        pieces += [Special(sep), f"{path}\n"]
    return pieces, ""


def render_fim(
    fmt: FimFormat,
    prefix: str,
    suffix: str,
    *,
    files: Sequence[tuple[str, str]] = (),
    repo_name: str = "",
    path: str = "",
    spm: bool = False,
    comment: str = "",
) -> list[Piece]:
    """The FIM prompt as pieces, in the family's format.

    `files` are `(path, text)` of repository context. With a repo-level format they are
    rendered in it; otherwise they become plain `header + code` blocks at the start of the
    prefix (inside the FIM prefix region, where repository-level pre-training such as
    DeepSeek-Coder's placed concatenated files). `comment` turns those headers into comments
    (`# path`); empty leaves them bare. `spm` asks for suffix-prefix-middle order; it is
    ignored by formats that were not trained on it.
    """
    head: list[Piece] = []
    lead = ""
    if fmt.has_repo_format and (files or repo_name):
        head, lead = _repo_header(fmt, files, repo_name, path)
    elif files:
        lead = _plain_files(files, comment)
    pre = lead + prefix
    if fmt.family == "codellama" and pre:
        # Meta's reference code encodes the prefix with SentencePiece's implicit leading space
        # (`<PRE> {pre}`) and the suffix without it; text pieces are literal, so write it out.
        pre = " " + pre
    if fmt.suffix_first:
        body: list[Piece] = [Special(fmt.suffix), suffix, Special(fmt.prefix), pre]
    elif spm and fmt.supports_spm and fmt.middle is not None:
        body = [Special(fmt.prefix), Special(fmt.suffix), suffix, Special(fmt.middle), pre]
    else:
        body = [Special(fmt.prefix), pre, Special(fmt.suffix), suffix]
        if fmt.middle is not None:
            body.append(Special(fmt.middle))
    return [p for p in head + body if p != ""]


def render_left_to_right(
    prefix: str, *, files: Sequence[tuple[str, str]] = (), path: str = "", comment: str = "#"
) -> str:
    """Prompt text for models without FIM tokens: context files, then the prefix.

    Each repository file is shown as `{comment} {path}` followed by its code; the current file's
    path is announced the same way when there is context, and generation continues the prefix.
    """
    parts = [_plain_files(files, comment)] if files else []
    if path and files:
        parts.append(f"{comment} {path}\n")
    parts.append(prefix)
    return "".join(parts)
