"""`repofill bench soak`: thousands of editor events against one `repofill serve` over stdio.

A seeded script plays an editor on a copy of real project files: keystrokes (with inline
completion requests after each, as editors send them), deletions, cursor moves, `$/cancelRequest`,
saves, files created and deleted on disk (`didChangeWatchedFiles`), switching and re-opening
files, and pauses where the "user" waits for the suggestion. The server runs the real model.

What it reports (docs/reliability.md, "Checks"):
- crashes: the server process ended before `exit` (must be 0);
- log errors: ERROR lines and tracebacks in the server's log and stderr, plus error
  messages shown to the client (must be 0);
- stale completions: non-empty suggestions that arrived after the server had provably applied
  a newer version of the document (must be 0). "Provably": after every edit the client sends a
  cheap request (`repofill.status`); the server handles messages in order, so once its answer
  has arrived the edit has been applied, and any completion answer arriving later was sent
  later;
- RSS of the server after warm-up and at the end;
- p50/p95 latency of the round trip after each edit and of the awaited completions, for the
  first and the last thousand events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.io_ import run_async
from pygls.lsp.client import LanguageClient

RESULTS = Path(__file__).with_name("results")
SOURCE_ROOT = Path(__file__).resolve().parents[1]
SOURCE_FOLDERS = ("lsp", "retrieval", "models")
MAX_SOURCE_BYTES = 30_000
WARM_UP_EVENTS = 1000
WINDOW = 1000
# What a keystroke types: mostly code characters, sometimes a newline or a non-ASCII character
# (accents, CJK, emoji: UTF-16 surrogate pairs) so positions are exercised too.
TYPED = "abcdefghijklmnopqrstuvwxyz_ (),.:=0123456789" * 4 + "\n\n\n" + "éü中文🙂"
WEIGHTS = {
    "type": 50,
    "delete": 12,
    "move": 8,
    "pause": 1,
    "cancel": 5,
    "save": 4,
    "disk": 4,
    "switch": 10,
    "reopen": 1,
}


@dataclass
class Doc:
    path: Path
    uri: str
    text: str
    version: int = 1
    cursor: int = 0
    open: bool = False
    confirmed: int = 0  # the newest version the server has provably applied


@dataclass
class Tally:
    events: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    completion_requests: int = 0
    completions_with_items: int = 0
    completions_empty: int = 0
    completions_cancelled: int = 0
    completions_errors: int = 0
    stale_completions: int = 0
    pauses_answered: int = 0
    pauses_timed_out: int = 0
    barrier_ms: list[tuple[int, float]] = field(default_factory=list)  # (event, ms)
    completion_ms: list[tuple[int, float]] = field(default_factory=list)
    answered_ms: list[tuple[int, float]] = field(default_factory=list)  # every one with items
    rss_mb: list[tuple[int, float]] = field(default_factory=list)
    shown_errors: list[str] = field(default_factory=list)
    crashed: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=10_000, help="editor events to play")
    parser.add_argument("--files", type=int, default=20, help="project files to edit")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--think-ms", type=float, default=25.0, help="mean pause between events")
    parser.add_argument(
        "--pause-timeout", type=float, default=30.0, help="seconds a pause waits for its answer"
    )
    parser.add_argument(
        "--settings",
        type=json.loads,
        default={"debounceMs": 150},
        help="initializationOptions as JSON (default: an editor-like 150 ms debounce)",
    )
    parser.add_argument("--model-path", help="GGUF model (default: the embedded one)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--name", default="soak", help="results file name (without suffix)")
    parser.add_argument("--keep-log", type=Path, help="copy the server's log here")


def run(args: argparse.Namespace) -> int:
    summary = asyncio.run(soak(args))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / f"{args.name}.md").write_text(markdown(summary))
    print(markdown(summary))
    ok = (
        summary["crashes"] == 0 and summary["log_errors"] == 0 and summary["stale_completions"] == 0
    )
    return 0 if ok else 1


# -- the project --------------------------------------------------------------------------------


def copy_project(dest: Path, n_files: int) -> list[Path]:
    """`n_files` real source files of this repository, copied with their folders."""
    picked: list[Path] = []
    for folder in SOURCE_FOLDERS:
        for path in sorted((SOURCE_ROOT / folder).glob("*.py")):
            if 0 < path.stat().st_size <= MAX_SOURCE_BYTES:
                picked.append(path)
    rng = random.Random(0)
    rng.shuffle(picked)
    out: list[Path] = []
    for source in picked[:n_files]:
        target = dest / source.relative_to(SOURCE_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        out.append(target)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(dest)], check=False)
    return out


# -- positions (the client offers only UTF-16, the LSP default) ---------------------------------


def position(text: str, offset: int) -> types.Position:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=len(text[start:offset].encode("utf-16-le")) // 2)


# -- the client ---------------------------------------------------------------------------------


class Editor:
    """One LSP client session against a server process it started."""

    def __init__(
        self,
        root: Path,
        log_file: Path,
        stderr_file: Path,
        model: str | None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.root = root
        self.settings = settings or {}
        self.log_file = log_file
        self.stderr_file = stderr_file
        self.model = model
        self.client = LanguageClient("repofill-soak", "1")
        self.process: asyncio.subprocess.Process | None = None
        self.tally = Tally()
        self._ids = 0
        self._stop = threading.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._register()

    def _register(self) -> None:
        client, tally = self.client, self.tally

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress_create(params: Any) -> None:
            return None

        @client.feature(types.PROGRESS)
        def progress(params: Any) -> None:
            return None

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def show(params: types.ShowMessageParams) -> None:
            if params.type == types.MessageType.Error:
                tally.shown_errors.append(params.message)

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params: types.LogMessageParams) -> None:
            if params.type == types.MessageType.Error:
                tally.shown_errors.append(params.message)

        @client.feature("repofill/status")
        def status(params: Any) -> None:
            return None

    async def start(self) -> None:
        command = [sys.executable, "-m", "repofill.lsp.cli", "serve", "--log-file"]
        command.append(str(self.log_file))
        if self.model:
            command += ["--model-path", self.model]
        stderr = self.stderr_file.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
        stderr.close()
        assert self.process.stdin is not None and self.process.stdout is not None
        self.client.protocol.set_writer(self.process.stdin)
        self._tasks.append(
            asyncio.create_task(
                run_async(
                    stop_event=self._stop,
                    reader=self.process.stdout,
                    protocol=self.client.protocol,
                )
            )
        )
        capabilities = types.ClientCapabilities(
            general=types.GeneralClientCapabilities(
                position_encodings=[types.PositionEncodingKind.Utf16]
            ),
            window=types.WindowClientCapabilities(work_done_progress=True),
        )
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities,
                process_id=os.getpid(),
                root_uri=self.root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name="soak")],
                initialization_options=self.settings,
            )
        )
        self.client.initialized(types.InitializedParams())

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def next_id(self) -> str:
        self._ids += 1
        return f"soak-{self._ids}"

    def rss_mb(self) -> float:
        assert self.process is not None
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    async def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = await self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="repofill.status", arguments=[])
            )
            state = status["state"] if isinstance(status, dict) else getattr(status, "state", "")
            if state == "ready":
                return
            await asyncio.sleep(0.2)
        raise RuntimeError("the server did not become ready")

    async def stop(self) -> int | None:
        """`shutdown` then `exit`; the server's exit code (None if it did not exit)."""
        if self.alive:
            try:
                await asyncio.wait_for(self.client.shutdown_async(None), 30)
                self.client.exit(None)
            except Exception:
                pass
        assert self.process is not None
        try:
            code = await asyncio.wait_for(self.process.wait(), 30)
        except asyncio.TimeoutError:
            self.process.kill()
            code = None
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        return code


# -- the script ---------------------------------------------------------------------------------


class Script:
    def __init__(self, editor: Editor, docs: list[Doc], args: argparse.Namespace) -> None:
        self.editor = editor
        self.docs = docs
        self.args = args
        self.rng = random.Random(args.seed)
        self.active = docs[0]
        self.pending: dict[str, tuple[str, Future[Any], Doc, int, float]] = {}
        self.created: list[Path] = []
        self.n_created = 0
        self.event = 0

    @property
    def tally(self) -> Tally:
        return self.editor.tally

    # the protocol messages -----------------------------------------------------------

    def open(self, doc: Doc) -> None:
        doc.text = doc.path.read_text()
        doc.version += 1
        doc.cursor = self.rng.randrange(len(doc.text) + 1)
        doc.open = True
        self.editor.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=doc.uri, language_id="python", version=doc.version, text=doc.text
                )
            )
        )
        self.barrier(doc)

    def edit(self, doc: Doc, start: int, end: int, new: str) -> None:
        rng = types.Range(start=position(doc.text, start), end=position(doc.text, end))
        doc.text = doc.text[:start] + new + doc.text[end:]
        doc.version += 1
        doc.cursor = start + len(new)
        self.editor.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=doc.uri, version=doc.version
                ),
                content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new)],
            )
        )
        self.barrier(doc)

    def barrier(self, doc: Doc) -> None:
        """A cheap request after an edit: its answer proves the edit was applied."""
        version, event, sent = doc.version, self.event, time.perf_counter()
        future = self.editor.client.protocol.send_request(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="repofill.status", arguments=[]),
            msg_id=self.editor.next_id(),
        )

        def done(f: Future[Any]) -> None:
            if f.cancelled() or f.exception() is not None:
                return
            doc.confirmed = max(doc.confirmed, version)
            self.tally.barrier_ms.append((event, (time.perf_counter() - sent) * 1000))

        future.add_done_callback(done)

    def request_completion(self, doc: Doc) -> str:
        msg_id = self.editor.next_id()
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            position=position(doc.text, doc.cursor),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        version, sent, event = doc.version, time.perf_counter(), self.event
        future = self.editor.client.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
        )
        self.tally.completion_requests += 1

        def done(f: Future[Any]) -> None:
            self.pending.pop(msg_id, None)
            if f.cancelled():
                self.tally.completions_cancelled += 1
                return
            error = f.exception()
            if error is not None:
                if "cancel" in type(error).__name__.lower() or "cancel" in str(error).lower():
                    self.tally.completions_cancelled += 1
                else:
                    self.tally.completions_errors += 1
                return
            result = f.result()
            items = getattr(result, "items", None) or []
            if not items:
                self.tally.completions_empty += 1
                return
            self.tally.completions_with_items += 1
            self.tally.answered_ms.append((event, (time.perf_counter() - sent) * 1000))
            if doc.confirmed > version:
                self.tally.stale_completions += 1

        future.add_done_callback(done)
        self.pending[msg_id] = (doc.uri, future, doc, version, sent)
        return msg_id

    # the events ----------------------------------------------------------------------

    async def play(self, n_events: int) -> None:
        kinds = list(WEIGHTS)
        weights = [WEIGHTS[k] for k in kinds]
        self.open(self.active)
        for self.event in range(1, n_events + 1):
            if not self.editor.alive:
                self.tally.crashed = True
                return
            kind = self.rng.choices(kinds, weights)[0]
            await getattr(self, f"do_{kind}")()
            self.tally.events += 1
            self.tally.by_kind[kind] = self.tally.by_kind.get(kind, 0) + 1
            if self.event % 250 == 0 or self.event == WARM_UP_EVENTS:
                self.tally.rss_mb.append((self.event, self.editor.rss_mb()))
            if self.event % 1000 == 0:
                print(f"soak: {self.event}/{n_events} events", file=sys.stderr, flush=True)
            await asyncio.sleep(self.rng.expovariate(1000 / self.args.think_ms))
        await self.drain()

    async def do_type(self) -> None:
        doc = self.active
        chars = "".join(self.rng.choice(TYPED) for _ in range(self.rng.choice((1, 1, 1, 2, 3))))
        self.edit(doc, doc.cursor, doc.cursor, chars)
        self.request_completion(doc)

    async def do_delete(self) -> None:
        doc = self.active
        if doc.cursor == 0:
            return await self.do_move()
        start = max(0, doc.cursor - self.rng.choice((1, 1, 2, 5)))
        self.edit(doc, start, doc.cursor, "")
        self.request_completion(doc)

    async def do_move(self) -> None:
        doc = self.active
        doc.cursor = self.rng.randrange(len(doc.text) + 1)
        self.request_completion(doc)

    async def do_pause(self) -> None:
        """The user stops typing and waits for the suggestion."""
        doc = self.active
        msg_id = self.request_completion(doc)
        entry = self.pending.get(msg_id)
        if entry is None:
            return
        _, future, _, _, sent = entry
        deadline = sent + self.args.pause_timeout
        # polled, not awaited: cancelling a wrapped future would cancel the request itself
        while not future.done() and time.perf_counter() < deadline and self.editor.alive:
            await asyncio.sleep(0.01)
        if not future.done():
            self.tally.pauses_timed_out += 1
            return
        if future.cancelled() or future.exception() is not None:
            return
        self.tally.pauses_answered += 1
        self.tally.completion_ms.append((self.event, (time.perf_counter() - sent) * 1000))

    async def do_cancel(self) -> None:
        for msg_id in list(self.pending)[-1:]:
            self.editor.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    async def do_save(self) -> None:
        doc = self.active
        doc.path.write_text(doc.text)
        self.editor.client.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=doc.uri), text=doc.text
            )
        )

    async def do_disk(self) -> None:
        """A file created on disk (by a tool or git), or a created one deleted again."""
        if self.created and self.rng.random() < 0.5:
            path = self.created.pop(self.rng.randrange(len(self.created)))
            path.unlink(missing_ok=True)
            change = types.FileChangeType.Deleted
        else:
            self.n_created += 1
            source = self.rng.choice(self.docs)
            path = source.path.parent / f"generated_{self.n_created}.py"
            path.write_text(source.text[: self.rng.randrange(200, 4000)])
            self.created.append(path)
            change = types.FileChangeType.Created
        self.editor.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=path.as_uri(), type=change)]
            )
        )

    async def do_switch(self) -> None:
        self.active = self.rng.choice(self.docs)
        if not self.active.open:
            self.open(self.active)

    async def do_reopen(self) -> None:
        """Close the active document (unsaved edits dropped) and open it again."""
        doc = self.active
        self.editor.client.text_document_did_close(
            types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=doc.uri)
            )
        )
        doc.open = False
        self.open(doc)

    async def drain(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline and self.editor.alive:
            await asyncio.sleep(0.05)


# -- the run ------------------------------------------------------------------------------------


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="repofill-soak-") as tmp:
        work = Path(tmp)
        root = work / "project"
        files = copy_project(root, args.files)
        docs = [Doc(p, p.as_uri(), p.read_text()) for p in files]
        log_file, stderr_file = work / "server.log", work / "server.stderr"
        editor = Editor(root, log_file, stderr_file, args.model_path, args.settings)
        started = time.perf_counter()
        await editor.start()
        await editor.wait_ready()
        ready_s = time.perf_counter() - started
        script = Script(editor, docs, args)
        began = time.perf_counter()
        await script.play(args.events)
        played_s = time.perf_counter() - began
        final_rss = editor.rss_mb() if editor.alive else 0.0
        crashed = script.tally.crashed or not editor.alive
        exit_code = await editor.stop()
        log_errors, samples = count_log_errors(log_file, stderr_file)
        if args.keep_log is not None:
            shutil.copyfile(log_file, args.keep_log)
        return summarize(
            args, script.tally, len(files), ready_s, played_s, final_rss, crashed, exit_code,
            log_errors, samples,
        )  # fmt: skip


def count_log_errors(*files: Path) -> tuple[int, list[str]]:
    """ERROR/CRITICAL lines and tracebacks in the server's log and stderr."""
    count, samples = 0, list[str]()
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
                count += 1
                if len(samples) < 10:
                    samples.append(line[:300])
    return count, samples


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _window(samples: list[tuple[int, float]], lo: int, hi: int) -> list[float]:
    return [ms for event, ms in samples if lo < event <= hi]


def summarize(
    args: argparse.Namespace,
    tally: Tally,
    n_files: int,
    ready_s: float,
    played_s: float,
    final_rss: float,
    crashed: bool,
    exit_code: int | None,
    log_errors: int,
    log_samples: list[str],
) -> dict[str, Any]:
    n = tally.events
    first, last = (0, min(WINDOW, n)), (max(0, n - WINDOW), n)
    warm = next((mb for event, mb in tally.rss_mb if event >= min(WARM_UP_EVENTS, n)), 0.0)
    rss_values = [mb for _, mb in tally.rss_mb] + [final_rss]

    def stats(samples: list[tuple[int, float]]) -> dict[str, float | int]:
        a, b = _window(samples, *first), _window(samples, *last)
        return {
            "first_n": len(a),
            "first_p50_ms": round(_pct(a, 0.5), 1),
            "first_p95_ms": round(_pct(a, 0.95), 1),
            "last_n": len(b),
            "last_p50_ms": round(_pct(b, 0.5), 1),
            "last_p95_ms": round(_pct(b, 0.95), 1),
            "all_p95_ms": round(_pct([ms for _, ms in samples], 0.95), 1),
        }

    raw = {k: v for k, v in asdict(tally).items() if not k.endswith("_ms")}
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared with other work)",
        "python": platform.python_version(),
        "events": n,
        "files": n_files,
        "seed": args.seed,
        "think_ms": args.think_ms,
        "settings": args.settings,
        "pause_timeout_s": args.pause_timeout,
        "ready_s": round(ready_s, 1),
        "played_s": round(played_s, 1),
        "crashes": int(crashed),
        "exit_code": exit_code,
        "log_errors": log_errors + len(tally.shown_errors),
        "log_error_samples": log_samples + tally.shown_errors[:5],
        "stale_completions": tally.stale_completions,
        "rss_warm_mb": round(warm, 1),
        "rss_final_mb": round(final_rss, 1),
        "rss_max_mb": round(max(rss_values), 1),
        "rss_growth_mb": round(final_rss - warm, 1),
        "edit_roundtrip": stats(tally.barrier_ms),
        "completion_latency": stats(tally.completion_ms),
        "answered_latency": stats(tally.answered_ms),
        "tally": raw,
    }


def markdown(s: dict[str, Any]) -> str:
    e, c, a = s["edit_roundtrip"], s["completion_latency"], s["answered_latency"]
    t = s["tally"]
    rows = [
        ("events (edits, moves, cancels, saves, disk changes, …)", f"{s['events']:,}"),
        ("files", s["files"]),
        ("crashes", s["crashes"]),
        ("server exit code after shutdown/exit", s["exit_code"]),
        ("errors in the log (and error messages shown)", s["log_errors"]),
        ("completions returned for a stale document version", s["stale_completions"]),
        ("completion requests / with items / empty / cancelled / errors",
         f"{t['completion_requests']} / {t['completions_with_items']} / "
         f"{t['completions_empty']} / {t['completions_cancelled']} / {t['completions_errors']}"),
        ("RSS after warm-up → end (max)",
         f"{s['rss_warm_mb']} → {s['rss_final_mb']} MB ({s['rss_max_mb']} MB)"),
        ("RSS growth after warm-up", f"{s['rss_growth_mb']} MB"),
        ("edit round trip p95, first → last 1000 events",
         f"{e['first_p95_ms']} → {e['last_p95_ms']} ms"),
        ("awaited completion p95, first → last 1000 events",
         f"{c['first_p95_ms']} → {c['last_p95_ms']} ms (n = {c['first_n']}, {c['last_n']})"),
        ("any completion with items, request to answer p95, first → last 1000 events",
         f"{a['first_p95_ms']} → {a['last_p95_ms']} ms (n = {a['first_n']}, {a['last_n']})"),
        ("pauses answered / timed out", f"{t['pauses_answered']} / {t['pauses_timed_out']}"),
        ("played in", f"{s['played_s']} s (server ready after {s['ready_s']} s)"),
    ]  # fmt: skip
    lines = [
        f"# Soak: {s['events']:,} editor events over stdio",
        "",
        f"{s['date']}, {s['machine']}, Python {s['python']}, seed {s['seed']}, "
        f"mean think time {s['think_ms']} ms, settings {json.dumps(s['settings'])}, "
        f"pauses wait up to {s['pause_timeout_s']} s.",
        "",
        "| measure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
    ]
    if s["log_error_samples"]:
        lines += ["Log errors:", "", *(f"    {x}" for x in s["log_error_samples"]), ""]
    return "\n".join(lines)
