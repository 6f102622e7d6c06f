"""The `repofill` command line, run as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo"


def repofill(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repofill.lsp.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    return copy


@pytest.mark.usefixtures("embedded_model")
def test_complete_prints_a_completion_and_a_timing_line(demo: Path) -> None:
    # The README's quickstart cursor: after `length = ` in describe_segment.
    done = repofill(
        "complete", str(demo / "shapes" / "report.py"), "--line", "12", "--column", "14"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "no completion printed"
    timing = done.stderr.strip().splitlines()[-1]
    for part in ("prompt", "reused", "generated", "total"):
        assert part in timing


@pytest.mark.usefixtures("embedded_model")
def test_context_shows_the_imported_definition(demo: Path) -> None:
    done = repofill("context", str(demo / "shapes" / "report.py"), "--line", "12", "--column", "14")
    assert done.returncode == 0, done.stderr
    assert "shapes/geometry.py" in done.stdout
    assert "def distance" in done.stdout


def test_bad_cursor_and_missing_file_are_clear_errors(demo: Path) -> None:
    done = repofill("complete", str(demo / "shapes" / "report.py"), "--line", "99", "--column", "1")
    assert done.returncode == 2 and "outside the document" in done.stderr
    done = repofill("complete", str(demo / "nope.py"), "--line", "1", "--column", "1")
    assert done.returncode == 2 and "no such file" in done.stderr
    binary = demo / "blob.py"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    done = repofill("complete", str(binary), "--line", "1", "--column", "1")
    assert done.returncode == 2 and "binary" in done.stderr
