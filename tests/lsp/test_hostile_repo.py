"""Hostile repositories: no secret ever reaches a prompt, and nasty files cannot stop the server.

The engine runs for real (Runtime, Engine, Retriever over a git repository written here); only
the model is a recording fake, so every InfillRequest the model would receive is captured.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from repofill.lsp.engine import MAX_WINDOW_CHARS
from repofill.lsp.runtime import Runtime
from repofill.lsp.settings import Settings
from repofill.models.types import (
    Backend,
    CancelToken,
    Candidate,
    InfillRequest,
    ModelInfo,
)
from repofill.retrieval import Retriever
from repofill.retrieval.languages import language_for
from repofill.retrieval.types import Cursor

SECRETS = {
    ".env": "API_KEY=sk-SECRET-ENV-1111\n",
    "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-RSA-2222\n",
    "config/credentials.json": '{"token": "SECRET-CRED-3333"}\n',
    # git-ignored files that look exactly like useful code for the cursor below
    "local_settings.py": (
        'SERVICE_TOKEN = "SECRET-IGNORED-4444"\n\n\n'
        "def load_config(name):\n"
        "    return {'token': SERVICE_TOKEN, 'name': name}\n"
    ),
    "build/settings_copy.py": (
        'SERVICE_TOKEN = "SECRET-BUILD-5555"\n\n\ndef load_config(name):\n    return name\n'
    ),
}
SECRET_VALUES = (
    "SECRET-ENV-1111",
    "SECRET-RSA-2222",
    "SECRET-CRED-3333",
    "SECRET-IGNORED-4444",
    "SECRET-BUILD-5555",
    "SECRET-LATE-6666",
    "SECRET-OPENED-7777",
)
CONTROL = "CONTROL-VISIBLE-0000"
PROJECT = {
    ".gitignore": "local_settings.py\nbuild/\n*.local.py\n",
    "app/__init__.py": "",
    "app/config.py": (
        f'DEFAULT_NAME = "{CONTROL}"\n\n\n'
        "def load_defaults(name):\n"
        "    return {'name': name or DEFAULT_NAME}\n"
    ),
    "app/main.py": (
        "from app.config import load_defaults\n"
        "from local_settings import load_config\n\n\n"
        "def start(name):\n"
        "    defaults = load_defaults(name)\n"
        "    config = load_config(name)\n"
        "    return "
    ),
}


class RecordingBackend:
    """A model that records every request and answers one fixed line."""

    def __init__(self) -> None:
        self.requests: list[InfillRequest] = []

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("recorder", "", "none", 4096, False, "test")

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def complete(self, request: InfillRequest, cancel: CancelToken) -> list[Candidate]:
        self.requests.append(request)
        return [Candidate(text="defaults", finish_reason="stop")]

    def close(self) -> None:
        pass


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _git_repo(root: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "app", ".gitignore"], check=True)


def _runtime(root: Path, backend: Backend, cache: Path) -> Runtime:
    def factory(settings: Settings):  # type: ignore[no-untyped-def]
        return lambda: backend

    runtime = Runtime(Settings().merged({"debounceMs": 0}), factory=factory, cache_dir=cache)
    runtime.start(root)
    assert runtime.retriever is not None
    runtime.retriever.build()
    runtime.engine.worker.wait_loaded(10)
    return runtime


def _cursor(path: Path, text: str | None = None, offset: int | None = None) -> Cursor:
    text = path.read_text() if text is None else text
    return Cursor(text, len(text) if offset is None else offset, path, language_for(path))


def _prompt_text(request: InfillRequest) -> str:
    parts = [request.prefix, request.suffix, request.path]
    parts += [f"{f.path}\n{f.text}" for f in request.context]
    return "\n".join(parts)


async def test_no_secret_reaches_any_prompt(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _write(root, {**PROJECT, **SECRETS})
    _git_repo(root)
    backend = RecordingBackend()
    runtime = _runtime(root, backend, tmp_path / "cache")
    engine = runtime.engine
    try:
        # The editor opens and saves git-ignored and secret files, and tools create more.
        opened = root / "local_settings.py"
        opened_text = opened.read_text() + 'OTHER = "SECRET-OPENED-7777"\n'
        runtime.document_changed(opened.as_uri(), opened_text, now=True)
        runtime.document_changed((root / ".env").as_uri(), "API_KEY=SECRET-OPENED-7777", now=True)
        late = root / "late.local.py"
        late.write_text('TOKEN = "SECRET-LATE-6666"\n\ndef load_config(name):\n    return 1\n')
        runtime.file_event(late.as_uri(), deleted=False)
        (root / "build" / "late.py").write_text('TOKEN = "SECRET-LATE-6666"\n')
        runtime.file_event((root / "build" / "late.py").as_uri(), deleted=False)
        (root / ".env.production").write_text("TOKEN=SECRET-LATE-6666\n")
        runtime.file_event((root / ".env.production").as_uri(), deleted=False)

        main = root / "app" / "main.py"
        text = main.read_text()
        cursors = [
            _cursor(main),
            _cursor(main, text, text.index("config = ")),
            _cursor(root / "app" / "config.py"),
        ]
        for i, cursor in enumerate(cursors):
            result = await engine.complete(f"{cursor.path.as_uri()}#{i}", cursor)
            assert result.status in ("ok", "empty"), result
        # Completing inside secrets files is refused before any model sees their text.
        for rel in (".env", "id_rsa", "config/credentials.json"):
            result = await engine.complete(rel, _cursor(root / rel))
            assert result.status == "disabled" and not result.items
        # The ignored file opened in the editor: its own completion is the user's business,
        # but its text must not flow into other files' prompts (checked below).
    finally:
        runtime.shutdown()

    assert len(backend.requests) == len(cursors)
    prompts = [_prompt_text(r) for r in backend.requests]
    for secret in SECRET_VALUES:
        assert not any(secret in p for p in prompts), f"{secret} reached a prompt"
    # The capture works and repository context does flow: the tracked file's text is there.
    assert any(CONTROL in "".join(f.text for f in r.context) for r in backend.requests), prompts
    indexed = set(runtime.retriever.index.entries) if runtime.retriever else set()
    assert indexed == {"app/__init__.py", "app/config.py", "app/main.py"}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
async def test_nasty_files_do_not_stop_indexing_or_completion(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    nested = "x = " + "[" * 3000 + "]" * 3000 + "\n" + "def f():\n" + "    if x:\n" * 1
    deep = "".join("    " * i + f"if a{i}:\n" for i in range(400)) + "    " * 400 + "pass\n"
    _write(root, {"ok.py": "def helper(value):\n    return value * 2\n", "nested.py": nested})
    (root / "deep.py").write_text(deep)
    minified = "var a=" + ";".join(f"f{i}=function(x){{return x+{i}}}" for i in range(400_000))
    (root / "bundle.min.js").write_text(minified)  # ~10 MB on one line
    assert (root / "bundle.min.js").stat().st_size > 9_000_000
    (root / "blob.py").write_bytes(b"def x():\n" + bytes(range(256)) * 64)  # binary, .py name
    (root / "loop_a.py").symlink_to(root / "loop_b.py")
    (root / "loop_b.py").symlink_to(root / "loop_a.py")
    (root / "pkg").mkdir()
    (root / "pkg" / "again").symlink_to(root, target_is_directory=True)  # a folder loop
    (root / "outside.py").symlink_to("/etc/hostname")

    backend = RecordingBackend()
    started = time.perf_counter()
    runtime = _runtime(root, backend, tmp_path / "cache")
    build_s = time.perf_counter() - started
    try:
        assert runtime.retriever is not None
        indexed = set(runtime.retriever.index.entries)
        assert {"ok.py", "nested.py", "deep.py"} <= indexed
        assert not indexed & {"bundle.min.js", "blob.py", "loop_a.py", "outside.py"}
        assert not any(p.startswith("pkg/") for p in indexed)
        assert build_s < 60, build_s

        # Completing inside the 10 MB line: the prompt window stays bounded, and fast.
        big = root / "bundle.min.js"
        text = big.read_text()
        began = time.perf_counter()
        result = await runtime.engine.complete("big", _cursor(big, text, len(text) // 2))
        assert result.status in ("ok", "empty")
        assert time.perf_counter() - began < 20
        request = backend.requests[-1]
        assert len(request.prefix) + len(request.suffix) <= 2 * MAX_WINDOW_CHARS
        for rel in ("deep.py", "nested.py"):
            path = root / rel
            result = await runtime.engine.complete(rel, _cursor(path))
            assert result.status in ("ok", "empty")
    finally:
        runtime.shutdown()


def test_unwritable_cache_directory(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _write(root, {"a.py": "def a():\n    return 1\n"})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")  # unwritable even as root
    retriever = Retriever(root, blocker / "cache")
    retriever.build()
    assert retriever.file_count == 1
    assert retriever.save_cache() is False
    retriever.update_file(root / "a.py", "def a():\n    return 2\n")  # still serving


@pytest.mark.parametrize(
    "content",
    [b"not a pickle at all", b"\x80\x05\x95\xff\xff", b""],
    ids=["garbage", "truncated", "empty"],
)
def test_corrupt_index_cache(tmp_path: Path, content: bytes) -> None:
    root = tmp_path / "repo"
    _write(root, {"a.py": "def a():\n    return 1\n", "b.py": "from a import a\n"})
    cache = tmp_path / "cache"
    first = Retriever(root, cache)
    first.build()
    assert first.save_cache()
    files = list(cache.iterdir())
    assert files
    for f in files:
        f.write_bytes(content)
    second = Retriever(root, cache)
    second.build()
    assert set(second.index.entries) == {"a.py", "b.py"}
    assert second.cache_hits == 0
    assert second.save_cache()  # and the cache heals


def test_cache_of_the_wrong_shape(tmp_path: Path) -> None:
    """A readable pickle holding the wrong objects is ignored file by file, not fatal."""
    import pickle

    root = tmp_path / "repo"
    _write(root, {"a.py": "def a():\n    return 1\n"})
    cache = tmp_path / "cache"
    first = Retriever(root, cache)
    first.build()
    first.save_cache()
    for f in cache.iterdir():
        digests = pickle.loads(f.read_bytes())
        f.write_bytes(pickle.dumps(dict.fromkeys(digests, "not parsed")))
    second = Retriever(root, cache)
    second.build()
    assert second.file_count == 1


def _many_files(root: Path, n: int) -> None:
    for i in range(n):
        folder = root / f"pkg{i // 500}"
        if i % 500 == 0:
            folder.mkdir(parents=True)
        (folder / f"mod{i}.py").write_text(
            f"def function_{i}(value):\n    return value + {i}\n\n\nCONSTANT_{i} = {i}\n"
        )


def _index_many(tmp_path: Path, n: int, max_s: float, max_mb: float) -> None:
    root = tmp_path / "repo"
    _many_files(root, n)
    reports: list[tuple[int, int]] = []
    before = _rss_mb()
    started = time.perf_counter()
    retriever = Retriever(root, tmp_path / "cache")
    retriever.build(progress=lambda done, total: reports.append((done, total)))
    elapsed = time.perf_counter() - started
    grown = _rss_mb() - before
    assert retriever.file_count == n
    assert reports[0] == (0, n) and reports[-1] == (n, n)
    assert len(reports) >= n // 100, "progress is reported while indexing"
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    assert elapsed < max_s, f"{n} files took {elapsed:.0f} s"
    assert grown < max_mb, f"{n} files grew RSS by {grown:.0f} MB"
    # Selection over the big index still answers.
    cursor = Cursor("x = function_12", 15, root / "pkg0" / "new.py", "python")
    context = retriever.select(cursor, lambda t: max(1, len(t) // 4), 256)
    assert context.used_tokens <= 256


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_indexing_5000_files_is_bounded_and_reports_progress(tmp_path: Path) -> None:
    _index_many(tmp_path, 5_000, max_s=120, max_mb=400)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_indexing_50000_files_is_bounded_and_reports_progress(tmp_path: Path) -> None:
    _index_many(tmp_path, 50_000, max_s=900, max_mb=2000)
