"""RemoteBackend against a real `python -m llama_cpp.server` on loopback (embedded model), and
against a stand-in for llama.cpp's `/infill` protocol (tests/models/llama_server.py)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from repofill.models.fim import FORMATS
from repofill.models.remote import RemoteBackend, make_remote_backend
from repofill.models.types import CancelToken, InfillRequest, ModelError, RepoFile

from .llama_server import Running, free_port, infill_stand_in, llama_cpp_server

KEY = "test-key-123"
ONE_LINE = InfillRequest(
    prefix="def add(a, b):\n    return ", suffix="\n", max_tokens=24, max_lines=1
)
LONG = InfillRequest(
    prefix="# A long story about a cat.\n", suffix="", max_tokens=1500, max_lines=None
)


@pytest.fixture(scope="module")
def server(embedded_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with llama_cpp_server(
        embedded_model, tmp_path_factory.mktemp("server"), api_key=KEY
    ) as running:
        yield running


@pytest.fixture
def backend(server: Running) -> RemoteBackend:
    return RemoteBackend(server.url, "openai", api_key=KEY, timeout_s=30)


# -- a real llama_cpp.server -----------------------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
def test_check_and_a_one_line_completion(backend: RemoteBackend) -> None:
    backend.check()
    [candidate] = backend.complete(ONE_LINE, CancelToken())
    assert candidate.text.strip()
    assert "\n" not in candidate.text
    assert candidate.finish_reason in ("lines", "eos", "length", "stop")
    assert candidate.timings.generated_tokens >= 1 and candidate.timings.prompt_ms > 0
    # Greedy decoding on the server is deterministic.
    assert backend.complete(ONE_LINE, CancelToken())[0].text == candidate.text


@pytest.mark.model
@pytest.mark.slow
def test_token_healing_and_local_stop_strings(backend: RemoteBackend) -> None:
    [free] = backend.complete(ONE_LINE, CancelToken())
    assert not free.text.startswith(" ")  # the prefix's trailing space is not generated twice
    stop = free.text.strip()[-1:]
    [stopped] = backend.complete(
        InfillRequest(
            prefix=ONE_LINE.prefix, suffix="\n", max_tokens=24, max_lines=1, stop=(stop,)
        ),
        CancelToken(),
    )
    assert stop not in stopped.text and free.text.startswith(stopped.text)


@pytest.mark.model
@pytest.mark.slow
def test_cancellation_closes_the_request_and_frees_the_server(backend: RemoteBackend) -> None:
    cancel = CancelToken()
    threading.Timer(0.8, cancel.cancel).start()
    started = time.monotonic()
    [candidate] = backend.complete(LONG, cancel)
    stopped_after = time.monotonic() - started
    assert candidate.finish_reason == "cancelled"
    assert 0.75 < stopped_after < 2.0  # the cancel lands between two tokens
    # llama_cpp.server runs one request at a time: had it kept generating the 1500 tokens
    # (about a minute on 2 CPU cores), the next request would wait for it.
    started = time.monotonic()
    [after] = backend.complete(ONE_LINE, CancelToken())
    assert after.text and time.monotonic() - started < 15


@pytest.mark.model
@pytest.mark.slow
def test_deadline_returns_what_arrived(backend: RemoteBackend) -> None:
    request = InfillRequest(prefix=LONG.prefix, suffix="", max_tokens=1500, max_lines=None,
                            deadline=time.monotonic() + 0.8)  # fmt: skip
    started = time.monotonic()
    [candidate] = backend.complete(request, CancelToken())
    assert candidate.finish_reason == "deadline"
    assert time.monotonic() - started < 2.0


@pytest.mark.model
@pytest.mark.slow
def test_wrong_or_missing_api_key_is_a_clear_error(server: Running) -> None:
    with pytest.raises(ModelError, match=r"HTTP 401.*rejected"):
        RemoteBackend(server.url, "openai", api_key="wrong").complete(ONE_LINE, CancelToken())
    with pytest.raises(ModelError, match=r"HTTP 401.*no API key was sent"):
        RemoteBackend(server.url, "openai").check()


@pytest.mark.model
@pytest.mark.slow
def test_settings_read_the_key_from_the_named_variable(
    server: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {
        "backend": "openai",
        "remoteUrl": server.url,
        "remoteApiKeyEnv": "REPOFILL_TEST_KEY",
    }
    with pytest.raises(ModelError, match=r"REPOFILL_TEST_KEY.*not set"):
        make_remote_backend(settings)
    monkeypatch.setenv("REPOFILL_TEST_KEY", KEY)
    backend = make_remote_backend({**settings, "remoteTimeoutMs": 20000})
    assert backend.complete(ONE_LINE, CancelToken())[0].text


# -- no server ------------------------------------------------------------------------------


def test_server_down_fails_at_once_with_what_to_do() -> None:
    backend = RemoteBackend(f"http://127.0.0.1:{free_port()}", "llama-server")
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"cannot connect.*is the server running"):
        backend.complete(ONE_LINE, CancelToken())
    with pytest.raises(ModelError, match="cannot connect"):
        backend.check()
    assert time.monotonic() - started < 2


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        backend = RemoteBackend(url, "openai", timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(ModelError, match=r"sent nothing for 0.5s"):
            backend.complete(ONE_LINE, CancelToken())
        assert time.monotonic() - started < 2


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(ModelError, match="remoteUrl"):
        make_remote_backend({"backend": "openai"})
    with pytest.raises(ModelError, match="not a remote backend"):
        make_remote_backend({"backend": "local", "remoteUrl": "http://x"})
    with pytest.raises(ModelError, match="remoteFimFormat"):
        make_remote_backend(
            {"backend": "openai", "remoteUrl": "http://x", "remoteFimFormat": "gpt"}
        )
    with pytest.raises(ModelError, match="not an http"):
        RemoteBackend("ftp://host", "openai")
    with pytest.raises(ModelError, match="infill"):
        RemoteBackend("http://h", "openai", prompt_style="infill")


# -- llama.cpp's /infill and /completion protocol --------------------------------------------

FINAL = {
    "stopped_eos": True,
    "stopped_word": False,
    "stopped_limit": False,
    "tokens_cached": 40,
    "timings": {
        "prompt_n": 12,
        "cache_n": 30,
        "predicted_n": 3,
        "prompt_ms": 5.0,
        "predicted_ms": 9.0,
    },
}
WITH_CONTEXT = InfillRequest(
    prefix="x = helper(",
    suffix=")\n",
    path="src/main.py",
    context=(RepoFile("src/util.py", "def helper(n):\n    return n\n"),),
    max_tokens=16,
    max_lines=1,
    stop=("\n\n",),
)


def test_infill_sends_repository_snippets_as_input_extra() -> None:
    with infill_stand_in(["1", ", ", "2"], FINAL) as stand_in:
        backend = RemoteBackend(stand_in.url, "llama-server")
        assert backend.prompt_style == "infill"
        backend.check()
        [candidate] = backend.complete(WITH_CONTEXT, CancelToken())
    assert candidate.text == "1, 2"
    assert candidate.finish_reason == "eos" and candidate.ended_with_eot
    assert candidate.timings.reused_tokens == 30 and candidate.timings.prompt_tokens == 42
    assert candidate.timings.generated_tokens == 3
    [(path, body)] = stand_in.bodies
    assert path == "/infill"
    assert body["input_extra"] == [
        {"filename": "src/util.py", "text": "def helper(n):\n    return n\n"}
    ]
    assert body["input_prefix"] == "x = helper(" and body["input_suffix"] == ")\n"
    assert body["cache_prompt"] is True and body["stream"] is True and body["n_predict"] == 16
    assert body["stop"] == ["\n\n"]


def test_completion_with_a_rendered_fim_prompt() -> None:
    fmt = FORMATS["qwen"]
    with infill_stand_in(
        ["a", "b\n", "c"], {**FINAL, "stopped_eos": False, "stopped_limit": True}
    ) as stand_in:
        backend = RemoteBackend(stand_in.url, "llama-server", family="qwen")
        [candidate] = backend.complete(WITH_CONTEXT, CancelToken())
    assert candidate.text == "ab" and candidate.finish_reason == "lines"
    [(path, body)] = stand_in.bodies
    assert path == "/completion" and body["cache_prompt"] is True
    prompt = body["prompt"]
    # Repository format first (stable part), then prefix, suffix, middle marker last.
    order = [
        prompt.index(t)
        for t in ("<|repo_name|>", "src/util.py", fmt.prefix, "x = helper(", fmt.suffix, fmt.middle)
    ]
    assert order == sorted(order) and prompt.endswith(fmt.middle or "")
    assert set(fmt.stop_tokens) <= set(body["stop"])


def test_server_errors_name_the_problem() -> None:
    with infill_stand_in([], FINAL) as stand_in:
        backend = RemoteBackend(stand_in.url, "openai")  # wrong kind: no /v1/completions
        with pytest.raises(ModelError, match=r"HTTP 404.*backend setting"):
            backend.complete(ONE_LINE, CancelToken())


def test_prewarm_asks_llama_server_to_cache_the_prompt_up_to_the_line_start() -> None:
    on_a_line = InfillRequest(
        prefix="import os\n\ndef main():\n    x = helper(",
        suffix=")\n",
        context=WITH_CONTEXT.context,
        max_tokens=16,
    )
    for family in (None, "qwen"):
        with infill_stand_in([], {**FINAL, "stopped_eos": False}) as stand_in:
            backend = RemoteBackend(stand_in.url, "llama-server", family=family)
            warm = backend.prewarm(on_a_line, CancelToken())
        [(path, body)] = stand_in.bodies
        assert body["n_predict"] == 0 and body["cache_prompt"] is True
        assert warm.stable_tokens == 42 and warm.evaluated_tokens == 12 and not warm.stopped
        if family is None:  # /infill: the server renders the FIM prompt
            assert path == "/infill" and body["input_prefix"] == "import os\n\ndef main():\n"
            [extra] = body["input_extra"]
            assert extra == {"filename": "src/util.py", "text": WITH_CONTEXT.context[0].text}
        else:
            assert path == "/completion"
            assert "def main():\n" + FORMATS["qwen"].suffix in body["prompt"]
            assert "x = helper(" not in body["prompt"]


def test_prewarm_sends_nothing_to_an_openai_compatible_server() -> None:
    with infill_stand_in([], FINAL) as stand_in:
        warm = RemoteBackend(stand_in.url, "openai").prewarm(WITH_CONTEXT, CancelToken())
    assert stand_in.bodies == [] and warm.stable_tokens == 0 and warm.evaluated_tokens == 0


def test_branch_decoding_is_not_asked_of_a_server() -> None:
    """The APIs cannot force a first token: a branch request returns no candidates and sends
    nothing (here to a port where no server listens, which would otherwise be an error)."""
    backend = RemoteBackend(f"http://127.0.0.1:{free_port()}", "llama-server")
    request = InfillRequest(prefix="x = ", suffix="\n", branch_ranks=(1, 2))
    assert backend.complete(request, CancelToken()) == []
