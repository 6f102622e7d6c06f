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


QUICKSTART = ("--line", "13", "--column", "14")
"""The README's quickstart cursor: after `length = ` in describe_path, where the right answer,
`path_length(points)`, is a function of shapes/paths.py."""


@pytest.mark.usefixtures("embedded_model")
def test_the_quickstart_is_right_with_repository_context_and_wrong_without(demo: Path) -> None:
    report = str(demo / "shapes" / "report.py")
    done = repofill("complete", report, *QUICKSTART)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "path_length(points)"
    timing = done.stderr.strip().splitlines()[-1]
    for part in ("prompt", "reused", "generated", "total"):
        assert part in timing
    alone = repofill("complete", report, *QUICKSTART, "--no-index")
    assert alone.returncode == 0, alone.stderr
    # what the README shows the model writing from the current file alone
    assert alone.stdout.strip() == "distance(points, circle_area(points[0]))"


@pytest.mark.usefixtures("embedded_model")
def test_context_shows_why_each_snippet_was_chosen(demo: Path) -> None:
    done = repofill("context", str(demo / "shapes" / "report.py"), *QUICKSTART)
    assert done.returncode == 0, done.stderr
    assert "source=similar_window type=window path=shapes/paths.py" in done.stdout
    assert "return sum(distance(a, b) for a, b in zip(points, points[1:]))" in done.stdout
    assert "def path_length(points: list[Point]) -> float:" in done.stdout
    assert "# why: similar_window (window) has prior 0.90" in done.stdout


def test_root_must_be_a_folder_that_holds_the_file(demo: Path, tmp_path: Path) -> None:
    report = str(demo / "shapes" / "report.py")
    done = repofill("context", report, *QUICKSTART, "--root", str(tmp_path / "nope"))
    assert done.returncode == 2 and "is not a folder" in done.stderr
    other = tmp_path / "other"
    other.mkdir()
    done = repofill("context", report, *QUICKSTART, "--root", str(other))
    assert done.returncode == 2 and "is not inside --root" in done.stderr


def test_bad_cursor_and_missing_file_are_clear_errors(demo: Path) -> None:
    done = repofill("complete", str(demo / "shapes" / "report.py"), "--line", "99", "--column", "1")
    assert done.returncode == 2 and "outside the document" in done.stderr
    done = repofill("complete", str(demo / "nope.py"), "--line", "1", "--column", "1")
    assert done.returncode == 2 and "no such file" in done.stderr
    binary = demo / "blob.py"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    done = repofill("complete", str(binary), "--line", "1", "--column", "1")
    assert done.returncode == 2 and "binary" in done.stderr
