"""Remote backend: a llama.cpp server or any OpenAI-compatible `/v1/completions` endpoint.

Same interface as the in-process backend (`Backend` in types.py), for teams that serve one
large model to many editors. Standard library only (`http.client`), streaming, so that:

- cancellation and the deadline act between tokens: a watcher thread shuts the socket down,
  which closes the request; llama.cpp's server and llama-cpp-python's server stop generating
  for a closed connection;
- line limits and stop strings are applied as text arrives (the same rules as the in-process
  backend, `LlamaBackend._cut`) and the request is closed as soon as the suggestion is complete.

Prompt styles:
- `infill`   (llama-server): `POST /infill` with the repository snippets as `input_extra`; the
             server renders its model's FIM format.
- `rendered` (both): the prompt rendered here in the family's FIM format (models/fim.py) with the
             special tokens spelled out; servers tokenize prompts with special tokens parsed.
             llama-server gets `POST /completion` with `cache_prompt`.
- `suffix`   (openai): `prompt` + `suffix`, for servers that apply the FIM template themselves
             (Ollama). llama-cpp-python's server does not implement `suffix` correctly.
- `plain`    (both): left-to-right prompt (context files, then the prefix) for non-FIM models.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from .fim import FORMATS, FimFormat, Special, render_fim, render_left_to_right
from .llama_backend import LlamaBackend, heal_prefix, unheal
from .types import (
    CancelToken,
    Candidate,
    FinishReason,
    InfillRequest,
    ModelError,
    ModelInfo,
    PrewarmResult,
    Timings,
)

log = logging.getLogger(__name__)

Kind = Literal["llama-server", "openai"]
PromptStyle = Literal["auto", "infill", "rendered", "suffix", "plain"]
KINDS: tuple[str, ...] = ("llama-server", "openai")
_POLL_S = 0.01
# OpenAI's API accepts at most 4 stop strings; the rest are applied here.
_OPENAI_MAX_STOPS = 4


class _Stopped(Exception):
    """The watcher closed the connection (cancellation or deadline)."""


@dataclass
class _Stream:
    text: str = ""
    chunks: int = 0
    first_chunk_at: float | None = None
    server_finish: str | None = None
    stopped_eos: bool = False
    timings: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    cached: int | None = None


def _fmt_text(pieces: list[str | Special]) -> str:
    return "".join(p.text if isinstance(p, Special) else p for p in pieces)


def _comment(language: str) -> str:
    return "#" if language in ("python", "plaintext", "", "shellscript", "ruby", "r") else "//"


class RemoteBackend:
    """A completion server reached over HTTP. Not thread-safe: one caller at a time."""

    def __init__(
        self,
        url: str,
        kind: Kind,
        *,
        api_key: str | None = None,
        model: str | None = None,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 3.0,
        family: str | None = None,
        prompt_style: PromptStyle = "auto",
        n_ctx: int = 4096,
    ) -> None:
        if kind not in KINDS:
            raise ModelError(
                f"unknown remote backend kind {kind!r} (use one of {', '.join(KINDS)})"
            )
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelError(
                f"remote URL {url!r} is not an http(s) URL (example: http://127.0.0.1:8080)"
            )
        self._url = url
        self._kind: Kind = kind
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._base = parts.path.rstrip("/")
        self._api_key = api_key
        self._model = model
        self._timeout_s = timeout_s
        self._connect_timeout_s = min(connect_timeout_s, timeout_s)
        self._fim: FimFormat | None = None
        if family and family != "none":
            if family not in FORMATS:
                raise ModelError(
                    f"unknown FIM family {family!r} (known: {', '.join(FORMATS)}, none)"
                )
            self._fim = FORMATS[family]
        self._style = self._choose_style(prompt_style)
        self._info = ModelInfo(
            name=model or f"{kind} at {url}",
            path=url,
            family=self._fim.family if self._fim else "none",
            n_ctx=n_ctx,
            gpu_offload=False,
            source=f"remote {kind}",
        )

    def _choose_style(self, style: PromptStyle) -> PromptStyle:
        if style == "auto":
            if self._fim is not None:
                return "rendered"
            return "infill" if self._kind == "llama-server" else "plain"
        if style == "infill" and self._kind != "llama-server":
            raise ModelError("prompt style 'infill' needs a llama.cpp server (kind llama-server)")
        if style == "suffix" and self._kind != "openai":
            raise ModelError("prompt style 'suffix' is for OpenAI-compatible servers (kind openai)")
        if style == "rendered" and self._fim is None:
            raise ModelError("prompt style 'rendered' needs the model's FIM family (e.g. qwen)")
        return style

    # -- Backend protocol -------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def prompt_style(self) -> PromptStyle:
        return self._style

    def count_tokens(self, text: str) -> int:
        """An over-estimate (3 bytes a token) so that budgets computed with it fit the server's
        context; asking the server would cost a round trip per snippet."""
        return math.ceil(len(text.encode("utf-8", "replace")) / 3) if text else 0

    def close(self) -> None:
        """Nothing is held between requests (one connection per request)."""

    def check(self) -> None:
        """Ask the server whether it is up (and accepts the API key); raises ModelError."""
        path = "/health" if self._kind == "llama-server" else self._openai_path("models")
        conn = self._connect()
        try:
            conn.request("GET", path, headers=self._headers())
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise self._transport_error(exc) from exc
        finally:
            conn.close()
        if response.status != 200:
            raise self._status_error(response.status, body, path)

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        """The server's candidates. Branch decoding (`request.branch_ranks`) returns none: the
        APIs cannot force the first generated token, and a second greedy request would only
        repeat the first."""
        if request.branch_ranks:
            return []
        prefix, removed = heal_prefix(request.prefix)
        candidates: list[Candidate] = []
        for index in range(max(1, request.n_candidates)):
            if cancel.cancelled:
                break
            if request.deadline is not None and time.monotonic() > request.deadline:
                candidates.append(Candidate("", "deadline"))
                break
            temperature = request.temperature if index > 0 or request.n_candidates == 1 else 0.0
            candidate = self._one(request, prefix, temperature, cancel)
            candidate.text = unheal(candidate.text, removed)
            candidates.append(candidate)
            if candidate.finish_reason in ("cancelled", "deadline"):
                break
        return candidates

    def prewarm(self, request: InfillRequest, cancel: CancelToken) -> PrewarmResult:
        """Have a llama.cpp server cache the stable part of `request`'s prompt (lsp/prewarm.py).

        llama-server (kind `llama-server`): the prompt with the prefix cut at the start of the
        cursor's line is sent with `n_predict: 0` and `cache_prompt: true` (the server evaluates
        it into the slot's cache and generates nothing, as llama.vim's ring-buffer warm-up does);
        the next real request reuses the common prefix. Cancelling `cancel` closes the
        connection. OpenAI-compatible servers have no such control: nothing is sent. Token
        counts are those the server reports (0 when it does not say).
        """
        if self._kind != "llama-server":
            return PrewarmResult()
        prefix, _ = heal_prefix(request.prefix)
        line_start = prefix[: prefix.rfind("\n") + 1]
        warm = replace(
            request, prefix=line_start, max_tokens=0, n_candidates=1, deadline=None, stop=()
        )
        candidate = self._one(warm, line_start, 0.0, cancel)
        if candidate.finish_reason == "cancelled":
            return PrewarmResult(stopped=True)
        t = candidate.timings
        return PrewarmResult(t.prompt_tokens, t.prompt_tokens - t.reused_tokens, t.prompt_tokens)

    # -- requests -----------------------------------------------------------------------------

    def _openai_path(self, endpoint: str) -> str:
        base = self._base if self._base.endswith("/v1") else f"{self._base}/v1"
        return f"{base}/{endpoint}"

    def _stops(self, request: InfillRequest) -> list[str]:
        stops = list(request.stop)
        if self._fim is not None and self._style == "rendered":
            stops += [s for s in self._fim.stop_tokens if s not in stops]
        return stops

    def _prompt(self, request: InfillRequest, prefix: str) -> str:
        files = [(f.path, f.text) for f in request.context]
        if self._style == "rendered" and self._fim is not None:
            pieces = render_fim(
                self._fim,
                prefix,
                request.suffix,
                files=files,
                repo_name=request.repo_name,
                path=request.path,
                comment=_comment(request.language) if not self._fim.has_repo_format else "",
            )
            return _fmt_text(pieces)
        # `suffix` and `plain`: the server sees the context files and the prefix as plain text.
        return render_left_to_right(
            prefix, files=files, path=request.path, comment=_comment(request.language)
        )

    def _body(
        self, request: InfillRequest, prefix: str, temperature: float
    ) -> tuple[str, dict[str, Any]]:
        stops = self._stops(request)
        common: dict[str, Any] = {
            "temperature": temperature,
            "top_p": request.top_p,
            "stream": True,
        }
        if request.seed is not None:
            common["seed"] = request.seed
        if self._kind == "llama-server":
            body = {**common, "n_predict": request.max_tokens, "cache_prompt": True, "stop": stops}
            if self._style == "infill":
                body.update(
                    input_prefix=prefix,
                    input_suffix=request.suffix,
                    input_extra=[{"filename": f.path, "text": f.text} for f in request.context],
                    prompt="",
                )
                return f"{self._base}/infill", body
            body["prompt"] = self._prompt(request, prefix)
            return f"{self._base}/completion", body
        body = {
            **common,
            "prompt": self._prompt(request, prefix),
            "max_tokens": request.max_tokens,
        }
        if stops:
            body["stop"] = stops[:_OPENAI_MAX_STOPS]
        if self._style == "suffix":
            body["suffix"] = request.suffix
        if self._model:
            body["model"] = self._model
        return self._openai_path("completions"), body

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream, application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self._connect_timeout_s)
        try:
            conn.connect()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self._transport_error(exc, connecting=True) from exc
        if conn.sock is not None:
            conn.sock.settimeout(self._timeout_s)
        return conn

    def _transport_error(self, exc: BaseException, connecting: bool = False) -> ModelError:
        where = f"the {self._kind} server at {self._url}"
        if isinstance(exc, (socket.timeout, TimeoutError)):
            if connecting:
                return ModelError(
                    f"{where} did not accept a connection within {self._connect_timeout_s:g}s; "
                    "check remoteUrl and the network"
                )
            return ModelError(f"{where} sent nothing for {self._timeout_s:g}s (remoteTimeoutMs)")
        if isinstance(exc, ConnectionRefusedError) or (connecting and isinstance(exc, OSError)):
            return ModelError(
                f"cannot connect to {where} ({exc}); is the server running? "
                "Start it (docs/models.md, Remote backend) or set backend to local"
            )
        return ModelError(f"the connection to {where} failed: {type(exc).__name__}: {exc}")

    def _status_error(self, status: int, body: bytes, path: str) -> ModelError:
        text = body.decode("utf-8", "replace").strip()[:300]
        where = f"the {self._kind} server at {self._url}"
        if status in (401, 403):
            hint = (
                "no API key was sent: set remoteApiKeyEnv to the name of an environment variable "
                "that holds it"
                if not self._api_key
                else "the API key (from the variable named by remoteApiKeyEnv) was rejected"
            )
            return ModelError(f"{where} refused the request (HTTP {status}): {hint}")
        if status == 404:
            return ModelError(
                f"{where} has no {path} (HTTP 404): is it a {self._kind} server? "
                f"Check the backend setting. {text}"
            )
        return ModelError(f"{where} answered HTTP {status} for {path}: {text}")

    def _one(
        self, request: InfillRequest, prefix: str, temperature: float, cancel: CancelToken
    ) -> Candidate:
        path, body = self._body(request, prefix, temperature)
        started = time.perf_counter()
        conn = self._connect()
        done = threading.Event()
        why: list[FinishReason] = []

        def watch() -> None:
            while not done.wait(_POLL_S):
                if cancel.cancelled:
                    why.append("cancelled")
                elif request.deadline is not None and time.monotonic() > request.deadline:
                    why.append("deadline")
                else:
                    continue
                sock = conn.sock
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                return

        watcher = threading.Thread(target=watch, name="remote-cancel", daemon=True)
        watcher.start()
        stream = _Stream()
        finish: FinishReason = "length"
        try:
            try:
                conn.request(
                    "POST",
                    path,
                    body=json.dumps(body).encode("utf-8"),
                    headers={**self._headers(), "Content-Type": "application/json"},
                )
                response = conn.getresponse()
                if response.status != 200:
                    raise self._status_error(response.status, response.read(), path)
                for event in self._events(response, why):
                    self._absorb(event, stream)
                    if stream.first_chunk_at is None and stream.chunks:
                        stream.first_chunk_at = time.perf_counter()
                    cut = LlamaBackend._cut(stream.text, request)
                    if cut is not None:
                        stream.text, finish = cut
                        break
                else:
                    finish = self._server_finish(stream, request)
            except (OSError, http.client.HTTPException) as exc:
                if not why:
                    raise self._transport_error(exc) from exc
            except _Stopped:
                pass
        finally:
            done.set()
            conn.close()  # closing mid-stream is how a request is cancelled
            watcher.join()
        if why:
            finish = why[0]
        return Candidate(
            text=stream.text,
            finish_reason=finish,
            ended_with_eot=finish == "eos",
            timings=self._timings(stream, started),
        )

    @staticmethod
    def _events(
        response: http.client.HTTPResponse, why: list[FinishReason]
    ) -> Iterator[dict[str, Any]]:
        """JSON objects from a server-sent-event stream (or one plain JSON body)."""
        content_type = response.getheader("Content-Type", "")
        if "text/event-stream" not in content_type:
            raw = response.read()
            if why:
                raise _Stopped
            yield RemoteBackend._parse(raw)
            return
        while True:
            line = response.readline()
            if why:
                raise _Stopped
            if not line:
                return
            line = line.strip()
            if not line.startswith(b"data:"):
                continue  # blank separators, comments (": ping"), event names
            payload = line[5:].strip()
            if payload == b"[DONE]":
                return
            yield RemoteBackend._parse(payload)

    @staticmethod
    def _parse(raw: bytes) -> dict[str, Any]:
        try:
            event = json.loads(raw)
        except ValueError as exc:
            raise ModelError(f"the server sent something that is not JSON: {raw[:200]!r}") from exc
        if not isinstance(event, dict):
            raise ModelError(f"unexpected response from the server: {raw[:200]!r}")
        if "error" in event:
            raise ModelError(f"the server reported an error: {event['error']}")
        return event

    @staticmethod
    def _absorb(event: dict[str, Any], stream: _Stream) -> None:
        if "choices" in event:  # OpenAI
            choices = event.get("choices") or [{}]
            choice = choices[0]
            piece = choice.get("text") or ""
            if choice.get("finish_reason"):
                stream.server_finish = str(choice["finish_reason"])
            if isinstance(event.get("usage"), dict):
                stream.usage = event["usage"]
        else:  # llama.cpp server
            piece = event.get("content") or ""
            if event.get("stop"):
                stream.stopped_eos = bool(event.get("stopped_eos"))
                if event.get("stopped_word"):
                    stream.server_finish = "stop_word"
                elif event.get("stopped_limit"):
                    stream.server_finish = "length"
                else:
                    stream.server_finish = "eos" if stream.stopped_eos else "stop"
                if isinstance(event.get("timings"), dict):
                    stream.timings = event["timings"]
                cached = event.get("tokens_cached")
                if isinstance(cached, int):
                    stream.cached = cached
        if piece:
            stream.text += piece
            stream.chunks += 1

    @staticmethod
    def _server_finish(stream: _Stream, request: InfillRequest) -> FinishReason:
        reason = stream.server_finish
        if reason == "length":
            return "length"
        if reason == "stop_word":
            return "stop"
        if reason == "eos":
            return "eos"
        if reason == "stop":
            # OpenAI says "stop" for both an end-of-text token and a stop string.
            return "stop" if request.stop else "eos"
        return "length"

    @staticmethod
    def _timings(stream: _Stream, started: float) -> Timings:
        now = time.perf_counter()
        first = stream.first_chunk_at or now
        timings = Timings(
            generated_tokens=stream.chunks,
            prompt_ms=(first - started) * 1000,
            generation_ms=(now - first) * 1000,
        )
        if stream.timings:
            server = stream.timings
            timings.prompt_tokens = int(server.get("prompt_n", 0)) + int(server.get("cache_n", 0))
            timings.reused_tokens = int(server.get("cache_n", 0))
            timings.generated_tokens = int(server.get("predicted_n", stream.chunks))
        elif stream.usage:
            timings.prompt_tokens = int(stream.usage.get("prompt_tokens", 0))
            timings.generated_tokens = int(stream.usage.get("completion_tokens", stream.chunks))
        if stream.cached is not None and not timings.reused_tokens:
            timings.reused_tokens = stream.cached
        return timings


def make_remote_backend(settings: Mapping[str, Any]) -> RemoteBackend:
    """A RemoteBackend from the LSP settings (docs/protocol.md): `backend` ("llama-server" or
    "openai"), `remoteUrl`, `remoteApiKeyEnv`, `remoteModel`, `remoteTimeoutMs`, and optionally
    `remoteFimFormat` ("auto", a FIM family such as "qwen", "suffix", "infill" or "none")."""
    kind = str(settings.get("backend", ""))
    if kind not in KINDS:
        raise ModelError(f"backend {kind!r} is not a remote backend ({', '.join(KINDS)})")
    url = str(settings.get("remoteUrl") or "")
    if not url:
        raise ModelError(f"backend {kind} needs remoteUrl (for example http://127.0.0.1:8080)")
    key_env = str(settings.get("remoteApiKeyEnv") or "")
    api_key = None
    if key_env:
        api_key = os.environ.get(key_env)
        if not api_key:
            raise ModelError(
                f"remoteApiKeyEnv names the environment variable {key_env}, but it is not set "
                "in the environment of the language server"
            )
    timeout_ms = settings.get("remoteTimeoutMs") or 10_000
    fim = str(settings.get("remoteFimFormat") or "auto")
    family: str | None = None
    style: PromptStyle = "auto"
    if fim in FORMATS:
        family, style = fim, "rendered"
    elif fim == "none":
        style = "plain"
    elif fim in ("suffix", "infill"):
        style = fim  # type: ignore[assignment]
    elif fim != "auto":
        raise ModelError(
            f"remoteFimFormat {fim!r} is not auto, none, suffix, infill "
            f"or one of {', '.join(FORMATS)}"
        )
    model = str(settings.get("remoteModel") or "") or None
    return RemoteBackend(
        url,
        kind,  # type: ignore[arg-type]
        api_key=api_key,
        model=model,
        timeout_s=float(timeout_ms) / 1000.0,
        family=family,
        prompt_style=style,
    )
