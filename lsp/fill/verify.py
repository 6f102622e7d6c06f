"""Verified mode: run the tests that exercise a function against a candidate fill.

The project is copied to a temporary directory, the candidate's file is written there, and the
tests run in a subprocess (its own process group, killed on timeout or cancellation). The user's
files are only ever read. Python only for now: pytest files that mention the function, and the
doctests in the function's docstring.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        "build",
        "dist",
        "target",
    }
)
_MAX_FILE_BYTES = 2_000_000
_MAX_TEST_FILES = 20
_OUTPUT_CHARS = 2000
_POLL_S = 0.02

# Runs in the subprocess: the doctests of the first named function that has examples.
# argv: module path, then qualified names (innermost first). Exit 0 pass, 1 fail, 3 no examples.
_DOCTEST_RUNNER = r"""
import doctest, importlib.util, sys
path, names = sys.argv[1], sys.argv[2:]
spec = importlib.util.spec_from_file_location("_repofill_candidate", path)
module = importlib.util.module_from_spec(spec)
sys.modules["_repofill_candidate"] = module
spec.loader.exec_module(module)
for qualname in names:
    obj = module
    try:
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        continue
    finder = doctest.DocTestFinder(recurse=False)
    tests = [t for t in finder.find(obj, qualname, module=module, globs=vars(module)) if t.examples]
    if not tests:
        continue
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    sys.exit(1 if result.failed else 0)
sys.exit(3)
"""


@dataclass(frozen=True)
class TestPlan:
    """What to run for one function: its file (relative to the root) and the tests that use it."""

    __test__ = False  # not a pytest class

    root: Path
    rel_path: str
    qualnames: tuple[str, ...]
    """Qualified names of the function and the functions around it, innermost first."""
    test_files: tuple[str, ...]
    doctest: bool

    def describe(self) -> str:
        parts = [f"{len(self.test_files)} test file(s)"] if self.test_files else []
        if self.doctest:
            parts.append(f"the doctests of {self.qualnames[0]}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Verdict:
    status: str
    """`passed`, `failed`, `timeout`, `cancelled`, `error` or `no-tests` (nothing ran)."""
    seconds: float = 0.0
    output: str = ""


Runner = Callable[[TestPlan, str, float, Callable[[], bool]], Verdict]
"""(plan, the candidate's whole file, timeout in seconds, cancelled?) -> verdict."""


def plan_tests(
    root: Path, path: Path, text: str, names: tuple[str, ...], language: str
) -> TestPlan | None:
    """The tests that exercise the function `names` (outermost first), or None when none do."""
    if language != "python" or not names:
        return None
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        root, rel = path.parent, path.name
    qualnames = tuple(".".join(names[: i + 1]) for i in range(len(names) - 1, -1, -1))
    doctest = ">>>" in text
    name = names[-1]
    word = re.compile(rf"\b{re.escape(name)}\b")
    tests: list[str] = []
    if _pytest_available():
        for candidate in _python_test_files(root):
            if candidate.resolve() == path.resolve():
                continue
            try:
                if word.search(candidate.read_text(encoding="utf-8", errors="replace")):
                    tests.append(candidate.relative_to(root).as_posix())
            except OSError:
                continue
            if len(tests) >= _MAX_TEST_FILES:
                break
    if not tests and not doctest:
        return None
    return TestPlan(root, rel, qualnames, tuple(sorted(tests)), doctest)


def _python_test_files(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                yield Path(dirpath) / name


def _pytest_available() -> bool:
    try:
        import pytest  # noqa: F401
    except ImportError:
        return False
    return True


def run_tests(
    plan: TestPlan, filled: str, timeout_s: float, cancelled: Callable[[], bool]
) -> Verdict:
    """Run the plan's tests against `filled` (the candidate's whole file) in a temporary copy."""
    started = time.monotonic()
    with _project_copy(plan.root) as copy:
        target = copy / plan.rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(filled, encoding="utf-8")
        commands: list[list[str]] = []
        if plan.doctest:
            commands.append([sys.executable, "-c", _DOCTEST_RUNNER, str(target), *plan.qualnames])
        if plan.test_files:
            pytest = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
            commands.append([*pytest, *plan.test_files])
        outputs: list[str] = []
        ran = False
        for command in commands:
            left = timeout_s - (time.monotonic() - started)
            status, output = _run(command, copy, left, cancelled)
            outputs.append(output)
            if status == "no-examples":
                continue
            ran = True
            if status != "passed":
                return Verdict(status, time.monotonic() - started, "\n".join(outputs))
    return Verdict("passed" if ran else "no-tests", time.monotonic() - started, "\n".join(outputs))


def _run(
    command: list[str], cwd: Path, timeout_s: float, cancelled: Callable[[], bool]
) -> tuple[str, str]:
    if timeout_s <= 0:
        return "timeout", ""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(cwd))
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return "error", str(exc)
        deadline = time.monotonic() + timeout_s
        status = ""
        while proc.poll() is None:
            if cancelled():
                status = "cancelled"
            elif time.monotonic() > deadline:
                status = "timeout"
            if status:
                _kill(proc)
                break
            time.sleep(_POLL_S)
        proc.wait()
        out.seek(0)
        output = out.read()[-_OUTPUT_CHARS:].decode("utf-8", "replace")
    if status:
        return status, output
    if proc.returncode == 0:
        return "passed", output
    if proc.returncode == 3 and command[1] == "-c":
        return "no-examples", output
    # pytest: 1 tests failed, 2 interrupted, 3 internal error, 4 usage error, 5 no tests.
    return ("failed" if proc.returncode in (1, 2) or command[1] == "-c" else "error"), output


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the test run and everything it started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


@contextmanager
def _project_copy(root: Path) -> Iterator[Path]:
    """A throw-away copy of the project's source files (no VCS, caches, builds or big files)."""
    with tempfile.TemporaryDirectory(prefix="repofill-verify-") as tmp:
        copy = Path(tmp) / root.name
        scratch = os.path.realpath(tmp)

        def ignore(directory: str, names: list[str]) -> set[str]:
            return _ignore(directory, names, scratch)

        shutil.copytree(root, copy, ignore=ignore, symlinks=True)
        yield copy


def _ignore(directory: str, names: list[str], scratch: str) -> set[str]:
    skipped: set[str] = set()
    for name in names:
        path = os.path.join(directory, name)
        if name in _SKIP_DIRS or os.path.realpath(path) == scratch:
            skipped.add(name)
            continue
        try:
            if os.path.isfile(path) and os.path.getsize(path) > _MAX_FILE_BYTES:
                skipped.add(name)
        except OSError:
            skipped.add(name)
    return skipped
