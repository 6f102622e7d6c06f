"""LlamaBackend on tiny GGUFs: the prompt is the family's FIM layout, special tokens stop."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import llama_cpp
import pytest
from repofill.models.fim import FORMATS
from repofill.models.llama_backend import LlamaBackend, LlamaOptions, heal_prefix
from repofill.models.types import CancelToken, InfillRequest, RepoFile

from tests.models.conftest import TinyGguf

# Ends in "(" so that token healing (which holds back a partial word at the cursor) leaves the
# prompt prefix whole and the forced tokens are not constrained to spell a fragment first.
PREFIX = "def add(a, b):\n    return add("
SUFFIX = ")\n\nprint(add(1, 2))\n"
HEALED, _FRAGMENT = heal_prefix(PREFIX)
assert not _FRAGMENT

BackendFactory = Callable[..., LlamaBackend]


@pytest.fixture
def backend_for(tiny_gguf: TinyGguf) -> Iterator[BackendFactory]:
    opened: list[LlamaBackend] = []

    def make(family: str | None, successors: Mapping[str, str] | None = None) -> LlamaBackend:
        path: Path = tiny_gguf(family, successors=successors)
        # PSM order even for families that default to SPM: these tests force tokens after the
        # middle marker, which PSM puts last (tests/models/test_prompt_reuse.py covers SPM).
        options = LlamaOptions(n_ctx=512, n_threads=1, n_gpu_layers=0, spm=False)
        backend = LlamaBackend(path, options=options)
        opened.append(backend)
        return backend

    yield make
    for backend in opened:
        backend.close()


def request(**kwargs: object) -> InfillRequest:
    base: dict[str, object] = {
        "prefix": PREFIX,
        "suffix": SUFFIX,
        "max_tokens": 12,
        "max_lines": None,
    }
    base.update(kwargs)
    return InfillRequest(**base)


@pytest.mark.parametrize(
    ("family", "template"),
    [
        ("qwen", "<|fim_prefix|>{pre}<|fim_suffix|>{suf}<|fim_middle|>"),
        ("starcoder", "<fim_prefix>{pre}<fim_suffix>{suf}<fim_middle>"),
        ("deepseek", "<｜begin▁of▁sentence｜><｜fim▁begin｜>{pre}<｜fim▁hole｜>{suf}<｜fim▁end｜>"),
    ],
)
def test_prompt_is_the_families_fim_format(
    backend_for: BackendFactory, family: str, template: str
) -> None:
    backend = backend_for(family)
    assert backend.info.family == family
    assert backend.render_prompt(request()) == template.format(pre=HEALED, suf=SUFFIX)


def test_prompt_token_ids_use_llamacpps_fim_ids(backend_for: BackendFactory) -> None:
    backend = backend_for("starcoder")
    ids = backend.prompt_tokens(request(), HEALED)
    vocab = backend._llm._model.vocab
    pre, suf, mid = (
        llama_cpp.llama_vocab_fim_pre(vocab),
        llama_cpp.llama_vocab_fim_suf(vocab),
        llama_cpp.llama_vocab_fim_mid(vocab),
    )
    assert ids[0] == pre and ids[-1] == mid
    assert [t for t in ids if t in (pre, suf, mid)] == [pre, suf, mid]
    between = ids[1 : ids.index(suf)]
    assert bytes(backend._llm.detokenize(between)).decode() == HEALED


def test_repository_context_uses_the_repo_level_format(backend_for: BackendFactory) -> None:
    backend = backend_for("qwen")
    req = request(context=(RepoFile("util.py", "X = 1\n"),), repo_name="proj", path="main.py")
    assert backend.render_prompt(req) == (
        "<|repo_name|>proj\n<|file_sep|>util.py\nX = 1\n<|file_sep|>main.py\n"
        f"<|fim_prefix|>{HEALED}<|fim_suffix|>{SUFFIX}<|fim_middle|>"
    )


def test_a_model_without_fim_tokens_continues_the_prefix(backend_for: BackendFactory) -> None:
    backend = backend_for(None)
    assert backend.info.family == "none"
    assert backend.render_prompt(request()) == HEALED


@pytest.mark.parametrize(
    ("family", "stop"),
    [
        ("qwen", "<|file_sep|>"),
        ("qwen", "<|fim_prefix|>"),
        ("qwen", "<|endoftext|>"),
        ("qwen", "<|im_start|>"),  # a control token no FIM format names
        ("starcoder", "<file_sep>"),
        ("starcoder", "<fim_middle>"),
        ("starcoder", "<issue_start>"),
    ],
)
def test_a_forced_special_token_stops_generation(
    backend_for: BackendFactory, family: str, stop: str
) -> None:
    middle = FORMATS[family].middle
    assert middle is not None
    # After the middle marker the model writes "x", "y", then the special token.
    backend = backend_for(family, successors={middle: "x", "x": "y", "y": stop})
    [candidate] = backend.complete(request(), CancelToken())
    assert candidate.text == "xy"
    assert candidate.finish_reason == "eos"
    assert candidate.ended_with_eot
    assert candidate.timings.generated_tokens == 2
    assert stop not in candidate.text and "<" not in candidate.text


def test_without_a_special_token_generation_runs_to_the_limit(backend_for: BackendFactory) -> None:
    backend = backend_for("qwen", successors={"<|fim_middle|>": "x", "x": "y", "y": "x"})
    [candidate] = backend.complete(request(max_tokens=6), CancelToken())
    assert candidate.text == "xyxyxy"
    assert candidate.finish_reason == "length"
    assert not candidate.ended_with_eot
