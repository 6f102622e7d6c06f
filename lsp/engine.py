"""The completion engine: cursor → repository context → model → post-processing.

It is where `retrieval` and `models` meet (docs/architecture.md). The LSP handlers and the CLI
call it; it knows nothing about the protocol. All model work, retrieval included, runs as one
job on the model worker's thread, so a request's stages never interleave with another
request's.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from repofill.models.types import (
    Backend,
    CancelToken,
    Candidate,
    InfillRequest,
    ModelError,
    RepoFile,
)
from repofill.models.worker import JobSkipped, ModelWorker
from repofill.retrieval import Retriever
from repofill.retrieval.exclusion import is_secret
from repofill.retrieval.types import Context, Cursor

from .postprocess import PostContext, decide_multiline, postprocess
from .prewarm import Prewarmer
from .prompt_window import ANCHOR_LINES, fit_tokens, prompt_window, word_end
from .settings import Settings
from .strategies import (
    MULTILINE_TOKEN_FACTOR,
    Plan,
    Strategy,
    choose,
    fallback_plan,
    plan,
    rank,
)
from .suggestion_cache import SuggestionCache

log = logging.getLogger(__name__)

PREFIX_LINES = 64
SUFFIX_LINES = 24
MAX_WINDOW_CHARS = 8000
HOLE_MAX_LINES = 24
# Tokens of a prompt that are neither the cursor's window nor context text: FIM and repository
# special tokens, the repository name and file path, a healed token; and per context file, its
# header line.
PROMPT_OVERHEAD = 64
HEADER_TOKENS = 16
# Post-processing sees this much text around the cursor: enough for any filter, and bounded
# on a 10 MB minified line.
POST_CONTEXT_CHARS = 4 * MAX_WINDOW_CHARS
# How many recent requests `Engine.history` keeps (the `repofill.stats` command returns them).
HISTORY = 2048


@dataclass
class RequestTimings:
    retrieval_ms: float = 0.0
    prompt_tokens: int = 0
    reused_tokens: int = 0
    prompt_ms: float = 0.0
    generated_tokens: int = 0
    generation_ms: float = 0.0
    post_ms: float = 0.0
    total_ms: float = 0.0
    wait_ms: float = 0.0
    """From the request's arrival until its job started: debounce and queueing, not work."""
    prewarm_wait_ms: float = 0.0
    """Part of `wait_ms`: waiting for a preempted pre-warm to end its chunk (lsp/prewarm.py)."""

    def add_model(self, candidates: list[Candidate], *, again: bool = False) -> None:
        """Add one model call's work. `again`: a second call on the same prompt (the fallback
        branches), whose time and tokens count but whose prompt reuse does not: the request's
        reuse is its first call's, at most its prompt."""
        for c in candidates:
            self.prompt_tokens = max(self.prompt_tokens, c.timings.prompt_tokens)
            self.prompt_ms += c.timings.prompt_ms
            self.generated_tokens += c.timings.generated_tokens
            self.generation_ms += c.timings.generation_ms
        if candidates and not again:
            # later candidates re-read the prompt the first one left in the KV cache
            self.reused_tokens = candidates[0].timings.reused_tokens

    @property
    def model_ms(self) -> float:
        return self.prompt_ms + self.generation_ms

    @property
    def overhead_ms(self) -> float:
        """The engine's own work: total minus waiting minus llama.cpp time."""
        return max(0.0, self.total_ms - self.wait_ms - self.model_ms)

    def line(self) -> str:
        return (
            f"retrieval {self.retrieval_ms:.1f} ms | prompt {self.prompt_tokens} tok "
            f"({self.reused_tokens} reused) {self.prompt_ms:.0f} ms | generated "
            f"{self.generated_tokens} tok {self.generation_ms:.0f} ms | post {self.post_ms:.1f} ms "
            f"| total {self.total_ms:.0f} ms"
        )


@dataclass
class Completion:
    """What the engine answers for one cursor."""

    items: list[str] = field(default_factory=list)
    status: str = "ok"
    """`ok`, `empty`, `cancelled`, `superseded`, `disabled`, `error`."""
    message: str = ""
    timings: RequestTimings = field(default_factory=RequestTimings)
    context: Context = field(default_factory=Context)
    finish_reason: str = ""
    model_text: str = ""
    """The first candidate's text as the model wrote it, before post-processing (for
    `repofill.stats`: a benchmark checks where a cut suggestion ended in it)."""
    fallback: bool = False
    """Post-processing rejected the first candidate and the fallback branches were asked for
    (Engine.run); `items` then come from them, if any survived."""


@dataclass(frozen=True)
class SelectedItem:
    """The item selected in the editor's suggest list (LSP `selectedCompletionInfo`).

    `text` would replace the character offsets [start, end) of the document if accepted.
    """

    start: int
    end: int
    text: str

    def accepted(self, cursor: Cursor) -> Cursor:
        """The document as if the item were accepted, the cursor just after the item's text.

        Raises ValueError when the range is not inside the document.
        """
        if not 0 <= self.start <= self.end <= len(cursor.text):
            raise ValueError(f"selected item range {self.start}..{self.end} is outside the text")
        text = cursor.text[: self.start] + self.text + cursor.text[self.end :]
        return replace(cursor, text=text, offset=self.start + len(self.text))


class Engine:
    def __init__(
        self,
        worker: ModelWorker,
        settings: Settings | None = None,
        retriever: Retriever | None = None,
    ) -> None:
        self.worker = worker
        self._settings = settings or Settings()
        self.retriever = retriever
        self._latest: dict[str, CancelToken] = {}
        self.cache = SuggestionCache()
        self.started = 0
        self.completed = 0
        self.cancelled = 0
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        """Recent requests' outcomes and timings, oldest first (appended from any thread)."""
        self._block_context: tuple[tuple[str, int, int, int, bool], Context] | None = None
        self._running: tuple[Path, int, CancelToken] | None = None
        """The model job in progress: its file, line and cancel token."""
        self.prewarmer = Prewarmer(self)

    @property
    def settings(self) -> Settings:
        """The settings in force; they change only through `apply_settings`."""
        return self._settings

    def apply_settings(self, settings: Settings) -> None:
        """Use `settings` from the next request on.

        Suggestions cached under other settings (model, max lines, …) are dropped: they must not
        be served again.
        """
        if settings != self._settings:
            self.cache = SuggestionCache()
        self._settings = settings

    # -- building a request -------------------------------------------------------------------

    def stable_context(self, cursor: Cursor, backend: Backend) -> Context:
        """The repository context, selected once per block of lines (worker thread only).

        It comes first in the prompt. Selected anew on every keystroke it changes members or
        order now and then, and llama.cpp must then re-evaluate the whole prompt after the
        change (seconds on a CPU). It is kept while the cursor stays in one block of
        ANCHOR_LINES lines: the block in which the prefix window's start does not move either.
        """
        block = cursor.line // ANCHOR_LINES
        generation = self.retriever.generation if self.retriever is not None else 0
        place = (
            str(cursor.path),
            block,
            self.settings.contextBudget,
            generation,
            self.shows_suffix(backend),
        )
        if self._block_context is not None and self._block_context[0] == place:
            return self._block_context[1]
        context = self.select_context(cursor, backend)
        self._block_context = (place, context)
        return context

    def shows_suffix(self, backend: Backend) -> bool:
        """Whether prompts show the code after the cursor: native FIM (a model with FIM tokens
        under the `auto` or `fim` strategy). Left-to-right prompts end at the cursor, so the
        context may then hold the code just below it (`Retriever.select`)."""
        fim_model = backend.info.family not in ("", "none")
        return fim_model and self.settings.strategy in ("auto", "fim")

    def select_context(self, cursor: Cursor, backend: Backend) -> Context:
        if self.retriever is None or self.settings.contextBudget <= 0:
            return Context()
        try:
            return self.retriever.select(
                cursor,
                backend.count_tokens,
                self.settings.contextBudget,
                shows_suffix=self.shows_suffix(backend),
            )
        except Exception:  # retrieval must never cost the user a completion
            log.exception("context selection failed for %s", cursor.path)
            return Context()

    def build_request(
        self,
        cursor: Cursor,
        context: Context,
        *,
        plan: Plan,
        multiline: bool,
        max_lines: int,
        started: float | None = None,
        backend: Backend | None = None,
    ) -> InfillRequest:
        """The model request for `cursor` under `plan` (lsp/strategies.py), for every feature:
        its window bounded in `backend`'s tokens (by default the worker's loaded backend;
        without one, in characters only). `started` (`time.monotonic()`) starts the `deadlineMs`
        budget when the plan has a deadline. ModelError when the document holds a secret."""
        if is_secret(cursor.path, cursor.text):
            # every prompt is built here (completion, fill-hole): the last gate before a model
            raise ModelError(f"{cursor.path.name} holds a secret: it is never sent to a model")
        win = prompt_window(
            cursor.text,
            cursor.offset,
            prefix_lines=PREFIX_LINES,
            suffix_lines=SUFFIX_LINES,
            max_chars=MAX_WINDOW_CHARS,
        )
        max_tokens = plan.max_tokens or self.settings.maxTokens * (
            MULTILINE_TOKEN_FACTOR if multiline else 1
        )
        prefix, suffix = win.prefix, win.suffix
        if backend is None and self.worker.loaded and self.worker.error is None:
            backend = self.worker.backend()
        if backend is not None:
            # The character window can hold more tokens than the model's context window (CJK,
            # emoji, minified code): bound it in tokens, the context snippets and output counted.
            context, room = _fit_context(context, backend.info.n_ctx - max_tokens - 1)
            prefix, suffix = fit_tokens(prefix, suffix, room, backend.count_tokens)
        deadline = None
        if plan.deadline and self.settings.deadlineMs > 0:
            deadline = (started or time.monotonic()) + self.settings.deadlineMs / 1000
        root = self.retriever.root if self.retriever is not None else cursor.path.parent
        return InfillRequest(
            prefix=prefix,
            suffix=suffix,
            path=_relative(cursor.path, root),
            language=cursor.language,
            repo_name=root.name,
            context=tuple(RepoFile(s.path, s.text) for s in context.snippets),
            max_tokens=max_tokens,
            max_lines=max_lines if multiline else 1,
            stop=plan.stop,
            deadline=deadline,
            n_candidates=plan.n_candidates,
            temperature=plan.temperature,
            top_p=plan.top_p,
            mode=plan.mode,
            score_suffix=plan.score_suffix,
            score_lines=plan.score_lines,
            seed=0,
            branch_ranks=plan.branch_ranks,
        )

    def candidates(
        self,
        backend: Backend,
        cursor: Cursor,
        context: Context,
        plan: Plan,
        cancel: CancelToken,
        *,
        multiline: bool,
        max_lines: int,
        started: float | None = None,
    ) -> list[Candidate]:
        """The model's candidates for `cursor` under `plan`, in generation order (worker thread
        only): the one way every feature (inline completion, fill-hole) asks the model. Raises
        ModelError as `build_request` and the backend do."""
        request = self.build_request(
            cursor,
            context,
            plan=plan,
            multiline=multiline,
            max_lines=max_lines,
            started=started,
            backend=backend,
        )
        return backend.complete(request, cancel)

    # -- running ------------------------------------------------------------------------------

    def run(
        self,
        backend: Backend,
        cursor: Cursor,
        cancel: CancelToken,
        *,
        multiline: bool | None = None,
        max_lines: int | None = None,
        n_candidates: int = 1,
        started: float | None = None,
        explicit: bool = False,
        strategy: Strategy | None = None,
        raw: bool = False,
    ) -> Completion:
        """One completion, start to end. Runs on the model worker's thread.

        `n_candidates` is how many items to return; `explicit` (an Invoked request, fill-hole)
        lets `auto` choose the costlier rerank strategy; `strategy` overrides the setting.
        `raw` skips post-processing: the candidates as the model wrote them, in rank order (the
        benchmarks' "plain" baseline).
        """
        chosen = strategy or choose(self.settings.strategy, backend.info.family, explicit=explicit)
        started = started or time.monotonic()
        timings = RequestTimings(wait_ms=(time.monotonic() - started) * 1000)
        timings.prewarm_wait_ms = self.worker.background_wait_ms
        t0 = time.perf_counter()
        context = self.stable_context(cursor, backend)
        timings.retrieval_ms = (time.perf_counter() - t0) * 1000
        if multiline is None:
            multiline = decide_multiline(
                cursor.prefix, cursor.suffix, cursor.language, self.settings.multiline
            )
        lines = max_lines or max(1, self.settings.maxLines)
        # The deadline bounds the model's work, not time spent queued behind a model load.
        ask = functools.partial(
            self.candidates,
            backend,
            cursor,
            context,
            cancel=cancel,
            multiline=multiline,
            max_lines=lines,
            started=time.monotonic(),
        )
        self._running = (cursor.path, cursor.line, cancel)
        try:
            candidates = ask(plan(chosen, items=n_candidates))
            timings.add_model(candidates)
            t1 = time.perf_counter()
            post = post_context(cursor, multiline=multiline, max_lines=lines)
            ranked = rank(candidates, chosen, multiline=multiline)
            items = _raw_all(ranked) if raw else _postprocess_all(ranked, post)
            rejected = not raw and not items and _rejected(candidates)
            fallback = fallback_plan(chosen) if rejected else None
            if fallback is not None:
                # The model had a suggestion but it broke the code around the cursor: its next
                # choices of first token, in order, within the same deadline.
                timings.post_ms += (time.perf_counter() - t1) * 1000
                branches = ask(fallback)
                timings.add_model(branches, again=True)
                t1 = time.perf_counter()
                items = _postprocess_all(branches, post)
        finally:
            self._running = None
        items = items[: max(1, n_candidates)]
        timings.post_ms += (time.perf_counter() - t1) * 1000
        timings.total_ms = (time.monotonic() - started) * 1000
        finish = candidates[0].finish_reason if candidates else ""
        model_text = candidates[0].text if candidates else ""
        if cancel.cancelled:
            status = "superseded" if cancel.reason == "superseded" else "cancelled"
            return Completion([], status, cancel.reason, timings, context, finish)
        status = "ok" if items else "empty"
        fell_back = fallback is not None
        return Completion(items, status, "", timings, context, finish, model_text, fell_back)

    async def complete(
        self,
        key: str,
        cursor: Cursor,
        *,
        n_candidates: int = 1,
        multiline: bool | None = None,
        max_lines: int | None = None,
        explicit: bool = False,
    ) -> Completion:
        """An editor's request: supersedes every older one (`key` is the document).

        Bursts coalesce: a request waits `debounceMs` before it queues for the model, and one
        superseded meanwhile never reaches it. Typing through a suggestion is served from cache.
        """
        if not self.settings.enabled:
            return Completion(status="disabled")
        if is_secret(cursor.path, cursor.text):
            # a secrets file (.env, id_rsa, a private key by content): never sent to a model
            return Completion(status="disabled", message="secrets files are not completed")
        started = time.monotonic()
        self._hand_over(cursor)
        cancel = CancelToken()
        # One person types in one place: the newest request wins over older ones for every
        # document, or a file left behind would keep the model busy with answers no one sees.
        for previous in self._latest.values():
            previous.cancel("superseded")
        self._latest[key] = cancel
        plain = multiline is None and max_lines is None and n_candidates == 1 and not explicit
        if plain:
            cached = self.cache.lookup(key, cursor.prefix, cursor.suffix)
            if cached is not None:
                self._latest.pop(key, None)
                timings = RequestTimings(total_ms=(time.monotonic() - started) * 1000)
                self._record(key, cursor, "cached", timings)
                return Completion(cached, "cached", "", timings)
        # A pre-warm stops at the end of its chunk while this request debounces.
        self.worker.preempt_background()
        if self.settings.debounceMs > 0:
            await asyncio.sleep(self.settings.debounceMs / 1000)
            if cancel.cancelled:
                return Completion(status="superseded", message="superseded")
        self.started += 1
        future = self.worker.submit(
            lambda backend: self.run(
                backend,
                cursor,
                cancel,
                multiline=multiline,
                max_lines=max_lines,
                n_candidates=n_candidates,
                started=started,
                explicit=explicit,
            ),
            cancel,
        )
        # Recorded when the job ends, also when the editor cancelled the request meanwhile.
        future.add_done_callback(lambda done: self._record_job(key, cursor, done))
        try:
            result = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            cancel.cancel("cancelled")
            self.cancelled += 1
            raise
        except JobSkipped:
            self.cancelled += 1
            return Completion(status="superseded", message="superseded")
        except ModelError as exc:
            return Completion(status="error", message=str(exc))
        finally:
            if self._latest.get(key) is cancel:
                del self._latest[key]
        if result.status in ("cancelled", "superseded"):
            self.cancelled += 1
        else:
            self.completed += 1
            if plain:
                self.cache.store(key, cursor.prefix, cursor.suffix, result.items)
        log.info("%s %s: %s", cursor.path.name, result.status, result.timings.line())
        return result

    async def complete_selected(
        self, key: str, cursor: Cursor, selected: SelectedItem, **options: Any
    ) -> Completion:
        """Suggestions that extend the suggest list's selected item (as Copilot does).

        The model completes the document as if the item were accepted; every returned item is
        the item's text followed by the continuation, to replace the item's range, so the editor
        shows the ghost beside the list and one accept takes both. A continuation that is empty
        gives no item. `options` are those of `complete`. Raises ValueError for a range outside
        the document.
        """
        result = await self.complete(key, selected.accepted(cursor), **options)
        result.items = [selected.text + item for item in result.items if item]
        return result

    def _record(
        self, key: str, cursor: Cursor, status: str, timings: RequestTimings, **extra: str | bool
    ) -> None:
        entry = {"key": key, "offset": cursor.offset, "length": len(cursor.text)}
        entry.update(status=status, overhead_ms=timings.overhead_ms, **asdict(timings), **extra)
        self.history.append(entry)

    def _record_job(self, key: str, cursor: Cursor, done: Future[Completion]) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        result = done.result()
        self._record(
            key,
            cursor,
            result.status,
            result.timings,
            finish_reason=result.finish_reason,
            model_text=result.model_text,
            fallback=result.fallback,
        )

    def prewarm(self, cursor: Cursor) -> Future[Any] | None:
        """Evaluate ahead the stable part of the prompt at a resting cursor (lsp/prewarm.py)."""
        return self.prewarmer.request(cursor)

    def complete_blocking(self, cursor: Cursor, *, multiline: bool | None = None) -> Completion:
        """For the CLI: one request, waited for."""
        cancel = CancelToken()
        future = self.worker.submit(
            lambda backend: self.run(backend, cursor, cancel, multiline=multiline), cancel
        )
        return future.result()

    def _hand_over(self, cursor: Cursor) -> None:
        """Tell the running job whether the newest request is on its line (CancelToken)."""
        running = self._running
        if running is not None:
            path, line, token = running
            token.finish_line_start = path == cursor.path and line == cursor.line

    def cancel_all(self) -> None:
        running = self._running
        if running is not None:
            running[2].finish_line_start = False
        for token in self._latest.values():
            token.cancel("shutdown")


def _fit_context(context: Context, room: int) -> tuple[Context, int]:
    """The context snippets that leave the cursor's window at least half of `room` tokens (the
    lowest-ranked go first), and the tokens left for the window (prompt tokens, PROMPT_OVERHEAD
    kept for the format's special tokens and file headers)."""
    snippets = list(context.snippets)
    cost = [s.tokens + HEADER_TOKENS for s in snippets]
    while snippets and sum(cost) > room // 2:
        worst = min(range(len(snippets)), key=lambda i: snippets[i].score)
        del snippets[worst], cost[worst]
    if len(snippets) < len(context.snippets):
        used = sum(s.tokens for s in snippets)
        context = replace(context, snippets=tuple(snippets), used_tokens=used)
    return context, room - sum(cost) - PROMPT_OVERHEAD


def post_context(cursor: Cursor, *, multiline: bool, max_lines: int) -> PostContext:
    """What the post-processing of a suggestion at `cursor` sees: up to POST_CONTEXT_CHARS
    characters either side. In the middle of a word the suggestion replaces the word's rest
    (server.py), so it is judged against the text that follows that word."""
    after = word_end(cursor.text, cursor.offset)
    return PostContext(
        prefix=cursor.prefix[-POST_CONTEXT_CHARS:],
        suffix=cursor.text[after : after + POST_CONTEXT_CHARS],
        language=cursor.language,
        multiline=multiline,
        max_lines=max_lines if multiline else 1,
    )


def _postprocess_all(ranked: list[Candidate], post: PostContext) -> list[str]:
    """Post-processed, de-duplicated texts, in the strategy's rank order (lsp/strategies.py)."""
    items: list[str] = []
    for candidate in ranked:
        if candidate.finish_reason == "cancelled":
            continue
        text = postprocess(candidate.text, post.for_finish(candidate.finish_reason))
        if text and text not in items:
            items.append(text)
    return items


def _rejected(candidates: list[Candidate]) -> bool:
    """The request's one candidate had text and ended normally (not cancelled, not cut by the
    deadline), so an empty result means post-processing rejected it. A model that chose to
    write nothing is left alone."""
    if len(candidates) != 1:
        return False
    only = candidates[0]
    return bool(only.text.strip()) and only.finish_reason not in ("cancelled", "deadline")


def _raw_all(ranked: list[Candidate]) -> list[str]:
    """The candidates' texts as generated (only the cancelled and empty ones left out)."""
    return [c.text for c in ranked if c.finish_reason != "cancelled" and c.text.strip()]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name
