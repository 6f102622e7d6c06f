"""Fixtures: tiny GGUF models written once per test session (see gguf_factory.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.models.gguf_factory import write_tiny_gguf

TinyGguf = Callable[..., Path]


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> TinyGguf:
    """`tiny_gguf(family, successors=None, user_defined=())` -> path, cached per arguments."""
    folder = tmp_path_factory.mktemp("gguf")
    made: dict[tuple[Any, ...], Path] = {}

    def make(
        family: str | None,
        successors: Mapping[str, str] | None = None,
        user_defined: tuple[str, ...] = (),
    ) -> Path:
        key = (family, tuple(sorted((successors or {}).items())), user_defined)
        if key not in made:
            path = folder / f"tiny-{family or 'none'}-{len(made)}.gguf"
            made[key] = write_tiny_gguf(
                path, family, successors=successors, user_defined=user_defined
            )
        return made[key]

    return make


@pytest.fixture(scope="session")
def tiny_llm(tiny_gguf: TinyGguf) -> Iterator[Callable[..., Any]]:
    """`tiny_llm(family, ...)` -> a loaded `llama_cpp.Llama`, shared by the session."""
    from llama_cpp import Llama

    loaded: dict[Path, Any] = {}

    def load(family: str | None, **kwargs: Any) -> Any:
        path = tiny_gguf(family, **kwargs)
        if path not in loaded:
            loaded[path] = Llama(model_path=str(path), n_ctx=512, verbose=False)
        return loaded[path]

    yield load
    for llm in loaded.values():
        llm.close()
